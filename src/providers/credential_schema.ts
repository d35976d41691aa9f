import { z } from "zod";
import { show } from "../config/show_value.ts";
import type { CredentialSchema, CredentialStrategy } from "./provider_definition.ts";

/**
 * `credential_schema` in securix.toml: the subset of JSON Schema the
 * credential form renders (an object of string, number and boolean fields
 * with title, description, `format = "password"`, pattern, enum, required).
 * Anything else is refused at config load with the path and the reason, so a
 * form never meets a keyword it does not understand.
 */

const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const MAX_FIELDS = 20;

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern, "u");
    return true;
  } catch {
    return false;
  }
}

const property = z.strictObject({
  type: z.enum(["string", "number", "boolean"], {
    error: (iss) => `expected "string", "number" or "boolean", got ${show(iss.input)}`,
  }),
  title: z.string().min(1).max(100).optional(),
  description: z.string().min(1).max(500).optional(),
  format: z.literal("password", { error: 'the only format is "password" (a masked field)' })
    .optional(),
  pattern: z.string().min(1).max(500).refine(compiles, {
    error: (iss) => `not a valid regular expression: ${show(iss.input)}`,
  }).optional(),
  enum: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1).max(100).optional(),
}, {
  error: (iss) =>
    iss.code === "unrecognized_keys"
      ? `unknown key ${
        iss.keys.join(", ")
      }; a field has type, title, description, format, pattern, enum`
      : `expected a table like { type = "string", title = "API key" }, got ${show(iss.input)}`,
}).superRefine((p, ctx) => {
  if (p.enum && p.enum.some((v) => typeof v !== p.type)) {
    ctx.addIssue({ code: "custom", path: ["enum"], message: `every value must be a ${p.type}` });
  }
  if (p.type !== "string" && (p.pattern !== undefined || p.format !== undefined)) {
    ctx.addIssue({
      code: "custom",
      path: [p.pattern !== undefined ? "pattern" : "format"],
      message: "pattern and format apply to string fields only",
    });
  }
});

const schema = z.strictObject({
  type: z.literal("object", { error: 'expected type = "object"' }),
  required: z.array(z.string()).default([]),
  properties: z.record(z.string(), property, {
    error: 'expected a table of fields, e.g. properties = { api_key = { type = "string" } }',
  }),
}, {
  error: (iss) =>
    iss.code === "unrecognized_keys"
      ? `unknown key ${iss.keys.join(", ")}; a credential schema has type, required, properties`
      : `expected a table { type = "object", properties = { … } }, got ${show(iss.input)}`,
}).superRefine((s, ctx) => {
  const names = Object.keys(s.properties);
  if (names.length === 0) {
    ctx.addIssue({ code: "custom", path: ["properties"], message: "declare at least one field" });
  }
  if (names.length > MAX_FIELDS) {
    ctx.addIssue({
      code: "custom",
      path: ["properties"],
      message: `at most ${MAX_FIELDS} fields`,
    });
  }
  for (const name of names) {
    if (!FIELD_NAME.test(name)) {
      ctx.addIssue({
        code: "custom",
        path: ["properties", name],
        message: `a field name is letters, digits and "_", got ${show(name)}`,
      });
    }
  }
  for (const name of s.required) {
    if (!(name in s.properties)) {
      ctx.addIssue({
        code: "custom",
        path: ["required"],
        message: `${show(name)} is required but not among the properties`,
      });
    }
  }
});

/** The fields each strategy's credential is made of, when it is not an API key. */
const FIXED_FIELDS: Partial<Record<CredentialStrategy, { need: string[]; may: string[] }>> = {
  basic_auth: { need: ["username", "password"], may: [] },
  aws_sigv4: { need: ["access_key_id", "secret_access_key"], may: ["session_token"] },
};

/** The form a strategy gets when the operator writes no `credential_schema`. */
export function defaultCredentialSchema(
  strategy: CredentialStrategy,
  field: string | null,
): CredentialSchema {
  const secret = (title: string) => ({
    type: "string" as const,
    title,
    format: "password" as const,
  });
  switch (strategy) {
    case "basic_auth":
      return {
        type: "object",
        required: ["username", "password"],
        properties: {
          username: { type: "string", title: "Username" },
          password: secret("Password"),
        },
      };
    case "aws_sigv4":
      return {
        type: "object",
        required: ["access_key_id", "secret_access_key"],
        properties: {
          access_key_id: { type: "string", title: "Access key ID" },
          secret_access_key: secret("Secret access key"),
          session_token: secret("Session token (temporary credentials only)"),
        },
      };
    default: {
      const name = field ?? "api_key";
      return { type: "object", required: [name], properties: { [name]: secret("API key") } };
    }
  }
}

export type Issue = { path: string[]; message: string };

/**
 * Parses `credential_schema` for `strategy`: the schema itself, then the
 * fields the strategy needs (basic auth: username and password; SigV4: the
 * two keys and optionally session_token; header and query_param: the
 * injected `credential_field`, which must be a required string).
 */
export function parseCredentialSchema(
  raw: unknown,
  strategy: CredentialStrategy,
  field: string | null,
): { schema: CredentialSchema; field: string | null } | { issues: Issue[] } {
  const at = (path: PropertyKey[]) => ["credential_schema", ...path.map(String)];
  let parsed: CredentialSchema;
  if (raw === undefined) parsed = defaultCredentialSchema(strategy, field);
  else {
    const result = schema.safeParse(raw);
    if (!result.success) {
      return { issues: result.error.issues.map((i) => ({ path: at(i.path), message: i.message })) };
    }
    parsed = result.data as CredentialSchema;
  }
  const names = Object.keys(parsed.properties);
  const fixed = FIXED_FIELDS[strategy];
  if (fixed) {
    const issues: Issue[] = [];
    for (const need of fixed.need) {
      if (!parsed.properties[need] || !parsed.required.includes(need)) {
        issues.push({
          path: at(["properties"]),
          message: `${strategy} needs a required string field "${need}"`,
        });
      }
    }
    for (const name of names) {
      if (!fixed.need.includes(name) && !fixed.may.includes(name)) {
        issues.push({
          path: at(["properties", name]),
          message: `${strategy} takes only ${[...fixed.need, ...fixed.may].join(", ")}`,
        });
      }
    }
    for (const name of names) {
      if (parsed.properties[name].type !== "string") {
        issues.push({ path: at(["properties", name, "type"]), message: "expected a string field" });
      }
    }
    if (issues.length > 0) return { issues };
    return { schema: masked(parsed, SECRET_FIELDS[strategy] ?? []), field: null };
  }
  const injected = field ?? (names.length === 1 ? names[0] : null);
  if (injected === null) {
    return {
      issues: [{
        path: ["credential_field"],
        message: `required when the schema has several fields: which of ${
          names.join(", ")
        } is sent`,
      }],
    };
  }
  if (!parsed.properties[injected] || !parsed.required.includes(injected)) {
    return {
      issues: [{
        path: ["credential_field"],
        message: `${show(injected)} must be a required field of credential_schema`,
      }],
    };
  }
  return { schema: masked(parsed, [injected]), field: injected };
}

/** The fields that are secrets whatever the schema says. */
const SECRET_FIELDS: Partial<Record<CredentialStrategy, string[]>> = {
  basic_auth: ["password"],
  aws_sigv4: ["secret_access_key", "session_token"],
};

/**
 * The schema with `names` as password fields: what is sent upstream as the
 * secret is masked in the form and never filled back in after a refusal,
 * even when the operator's schema forgot `format = "password"`.
 */
function masked(schema: CredentialSchema, names: string[]): CredentialSchema {
  const properties = { ...schema.properties };
  for (const name of names) {
    if (properties[name]) properties[name] = { ...properties[name], format: "password" };
  }
  return { ...schema, properties };
}
