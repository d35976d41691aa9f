import type { StoredCredential } from "../connections/connection_types.ts";
import type {
  CredentialSchema,
  CredentialSchemaProperty,
  CredentialStrategy,
} from "../providers/provider_definition.ts";

/** Longest value a form field takes: keys and passwords are short, a pasted file is not one. */
export const MAX_FIELD_CHARS = 4096;

export type FormInput =
  | { ok: true; values: Record<string, string> }
  /** Per field, a message that never repeats what was typed. */
  | { ok: false; errors: Record<string, string> };

/**
 * Checks what the user typed against the provider's `credential_schema`,
 * server-side (the browser's own checks are a convenience). Numbers and
 * booleans are kept as their text: credentials travel as strings. Fields the
 * schema does not declare are ignored.
 */
export function readCredentialForm(
  schema: CredentialSchema,
  form: Record<string, string>,
): FormInput {
  const values: Record<string, string> = {};
  const errors: Record<string, string> = {};
  for (const [name, property] of Object.entries(schema.properties)) {
    const raw = form[`field_${name}`];
    const label = property.title ?? name;
    const problem = fieldProblem(property, raw, schema.required.includes(name), label);
    if (problem) errors[name] = problem;
    else if (property.type === "boolean") values[name] = raw === "true" ? "true" : "false";
    else if (raw !== undefined && raw !== "") values[name] = raw;
  }
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, values };
}

function fieldProblem(
  property: CredentialSchemaProperty,
  raw: string | undefined,
  required: boolean,
  label: string,
): string | null {
  if (property.type === "boolean") {
    return raw === undefined || raw === "true" || raw === "false" ? null : `${label}: yes or no`;
  }
  if (raw === undefined || raw === "") return required ? `${label} is required.` : null;
  if (raw.length > MAX_FIELD_CHARS) return `${label} is longer than ${MAX_FIELD_CHARS} characters.`;
  // A line break in a header value would be header injection upstream.
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(raw)) return `${label} contains control characters.`;
  if (property.type === "number" && !/^-?\d+(\.\d+)?$/.test(raw)) {
    return `${label} must be a number.`;
  }
  if (property.enum && !property.enum.map(String).includes(raw)) {
    return `${label} must be one of the listed values.`;
  }
  if (property.pattern && !new RegExp(property.pattern, "u").test(raw)) {
    return `${label} does not have the expected format.`;
  }
  return null;
}

/** The stored credential the strategy needs, from checked form values. */
export function credentialFromForm(
  strategy: Exclude<CredentialStrategy, "oauth2">,
  values: Record<string, string>,
): StoredCredential {
  switch (strategy) {
    case "basic_auth":
      return { kind: "basic", username: values.username, password: values.password };
    case "aws_sigv4":
      return {
        kind: "aws_sigv4",
        accessKeyId: values.access_key_id,
        secretAccessKey: values.secret_access_key,
        sessionToken: values.session_token ?? null,
      };
    default:
      return { kind: "api_key", fields: values };
  }
}
