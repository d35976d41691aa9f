import { editDistance } from "../config/unknown_env.ts";
import { z } from "zod";
import { OPERATION_CLASSES } from "../providers/operation.ts";
import { textProblem } from "../identifiers/identifier.ts";
import { operationGlobProblem } from "./target_glob.ts";
import { parseRate } from "../security/rate.ts";
import { parseDuration } from "../security/duration.ts";

/**
 * The `[[rules]]` and `[scopes.<name>]` tables of securix.toml. Field names
 * follow the Securix policy language so a policy translates one to one.
 * Every refusal names the rule by index and name and the field, because an
 * operator fixing a rule file reads these errors, not the schema.
 */

export const EFFECTS = ["deny", "redact", "hide", "limit", "approve"] as const;
export type Effect = (typeof EFFECTS)[number];

/** Built-in redaction detectors. */
export const REDACT_KINDS = ["ssn", "credit_card", "iban", "email", "phone"] as const;
export type RedactKind = (typeof REDACT_KINDS)[number];

const RULE_NAME = /^[a-z0-9_-]{1,64}$/;
const REGEX_MAX = 256;
/** Drive ids are URL-safe; anything else could break out of the `q` the hide filter writes. */
const FOLDER_ID = /^[A-Za-z0-9_-]{1,200}$/;
const DOMAIN = /^(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*$/;
const METHOD = /^[A-Za-z]{1,20}$/;

function show(value: unknown): string {
  if (typeof value === "string") {
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  }
  if (value === undefined) return "nothing";
  if (typeof value === "object" && value !== null) {
    return Array.isArray(value) ? "a list" : "a table";
  }
  return String(value);
}

function expected(what: string) {
  return (iss: { input?: unknown }) =>
    iss.input === undefined ? `required: ${what}` : `expected ${what}, got ${show(iss.input)}`;
}

/** A string refused by `problem` (null = fine), reported as "expected <what>: <problem>". */
function text(what: string, problem: (value: string) => string | null) {
  return z.string({ error: expected(what) }).superRefine((value, ctx) => {
    const why = problem(value);
    if (why) ctx.addIssue({ code: "custom", message: why });
  });
}

function list<T extends z.ZodType>(
  item: T,
  what: string,
  max: number,
  empty = "an empty list matches nothing (leave the key out to match all)",
) {
  return z.array(item, { error: expected(`a list of ${what}`) })
    .min(1, { error: empty })
    .max(max, { error: `at most ${max} entries` });
}

const freeText = (max: number) => (value: string) => textProblem(value, { max, ids: false });
const idText = (value: string) => textProblem(value, { max: 256, ids: true });

const ruleName = text(
  'a rule name of a-z, 0-9, "_" and "-" (1 to 64 characters)',
  (v) =>
    RULE_NAME.test(v)
      ? null
      : `expected a-z, 0-9, "_" and "-" (1 to 64 characters), got ${show(v)}`,
);

const operationGlob = text('an operation glob such as "gmail.*"', operationGlobProblem);

const effect = z.string({ error: expected(`one of ${EFFECTS.join(", ")}`) }).superRefine(
  (value, ctx) => {
    if ((EFFECTS as readonly string[]).includes(value)) return;
    ctx.addIssue({
      code: "custom",
      message: `expected one of ${EFFECTS.join(", ")}, got ${show(value)}`,
    });
  },
).transform((value) => value as Effect);

/** Whose calls a `limit` rule counts together. */
export const LIMIT_PER = ["agent", "entity", "connection", "app"] as const;
export type LimitPer = (typeof LIMIT_PER)[number];

const rate = text(
  'a rate such as "100/min" (per s, min, hour or day)',
  (v) =>
    parseRate(v)
      ? null
      : `expected a rate such as "100/min" (per s, min, hour or day), got ${show(v)}`,
);

/** Longest a held request may wait for a person (the client's connection stays open). */
export const APPROVAL_WAIT_MAX_MS = 10 * 60_000;

const wait = text('a duration such as "60s" (at most 10m)', (v) => {
  const ms = parseDuration(v);
  if (ms === null) return `expected a duration such as "60s" or "5m", got ${show(v)}`;
  if (ms < 1000 || ms > APPROVAL_WAIT_MAX_MS) return "must be between 1s and 10m";
  return null;
});

function oneOf<const T extends readonly string[]>(values: T) {
  return z.enum(values as unknown as [T[number], ...T[number][]], {
    error: expected(`one of ${values.join(", ")}`),
  });
}

function unique<T>(items: readonly T[]): boolean {
  return new Set(items).size === items.length;
}

const domain = z.string({ error: expected('a domain such as "acme.com" or "*.acme.com"') })
  .transform((v) => v.toLowerCase().replace(/\.$/, ""))
  .refine((v) => DOMAIN.test(v) && v.length <= 253, {
    error: (iss) => `expected a domain such as "acme.com" or "*.acme.com", got ${show(iss.input)}`,
  });

const condition = z.strictObject({
  /** Deny when any recipient's domain is in the list. */
  recipient_domain_in: list(domain, "domains", 1000).optional(),
  /** Deny when any recipient's domain is not in the list. */
  recipient_domain_not_in: list(domain, "domains", 1000).optional(),
  /** Deny when the outgoing text contains any of these (case-insensitive). */
  body_contains: list(text("a non-empty string", freeText(256)), "strings", 100).optional(),
  /** Only calls with one of these HTTP methods. */
  method_in: list(
    z.string({ error: expected('an HTTP method such as "POST"') })
      .regex(METHOD, {
        error: (iss) => `expected an HTTP method such as "POST", got ${show(iss.input)}`,
      })
      .transform((v) => v.toUpperCase()),
    "HTTP methods",
    20,
  ).optional(),
  /** Only calls whose path (without the query) matches this glob; `*` spans slashes. */
  path_matches: text('a path glob starting with "/"', (v) => {
    if (!v.startsWith("/")) return `expected a path glob starting with "/", got ${show(v)}`;
    return textProblem(v, { max: 512, ids: true });
  }).optional(),
}, { error: expected('a table such as { recipient_domain_not_in = ["acme.com"] }') }).refine(
  (condition) => Object.keys(condition).length > 0,
  {
    error:
      "an empty condition: leave it out, or give recipient_domain_in, recipient_domain_not_in, body_contains, method_in or path_matches",
    // Only when nothing else is wrong: a misspelt key already says why it is empty.
    when: (payload) => payload.issues.length === 0,
  },
);

export const SEND_CONDITION_KEYS = [
  "recipient_domain_in",
  "recipient_domain_not_in",
  "body_contains",
] as const;

/** One `[[rules]]` entry, field by field (cross-field checks in `ruleSchema`). */
const ruleFields = z.strictObject({
  name: ruleName,
  description: text("a sentence", freeText(500)).optional(),
  target: operationGlob.default("*"),
  classes: list(oneOf(OPERATION_CLASSES), "operation classes", 4)
    .refine(unique, { error: "lists a class twice" }).optional(),
  /** Apps by name. */
  apps: list(text("an app name", idText), "app names", 1000).optional(),
  agents: list(text("an agent id", idText), "agent ids", 1000).optional(),
  entities: list(text("an entity id", idText), "entity ids", 1000).optional(),
  effect,
  llm_error: text("a sentence an agent can relay", freeText(1000)).optional(),
  patterns: list(oneOf(REDACT_KINDS), "detectors", REDACT_KINDS.length)
    .refine(unique, { error: "lists a detector twice" }).optional(),
  regex: text("a regular expression", regexProblem).optional(),
  labels: list(text("a Gmail label name", labelProblem), "Gmail label names", 100).optional(),
  folders: list(
    text(
      "a Drive folder id",
      (v) =>
        FOLDER_ID.test(v)
          ? null
          : `expected a Drive folder id (letters, digits, "_", "-"), got ${show(v)}`,
    ),
    "Drive folder ids",
    100,
  ).optional(),
  strict: z.boolean({ error: expected("true or false") }).optional(),
  /** `limit`: calls allowed per period, e.g. "100/min". */
  rate: rate.optional(),
  /** `limit`: calls allowed at once above the steady rate; default the rate's count. */
  burst: z.number({ error: expected("a whole number from 1 to 1000000") }).int({
    error: "expected a whole number from 1 to 1000000",
  }).min(1, { error: "expected a whole number from 1 to 1000000" }).max(1_000_000, {
    error: "expected a whole number from 1 to 1000000",
  }).optional(),
  /** `limit`: whose calls count together; default "connection". */
  per: oneOf(LIMIT_PER).optional(),
  /** `approve`: hold the original request open this long for a decision instead of answering 403 at once. */
  wait: wait.optional(),
  condition: condition.optional(),
  enabled: z.boolean({ error: expected("true or false") }).default(true),
}, { error: expected("a [[rules]] table") });

export const ruleSchema = ruleFields.superRefine((rule, ctx) => {
  const misplaced = (key: string, effects: string) =>
    ctx.addIssue({
      code: "custom",
      path: [key],
      message: `only applies to effect = ${effects}, this rule has effect = "${rule.effect}"`,
    });
  if (rule.effect === "redact" && !rule.patterns && rule.regex === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["patterns"],
      message: `effect = "redact" needs patterns (${REDACT_KINDS.join(", ")}) or a regex`,
    });
  }
  if (rule.effect === "hide" && !rule.labels && !rule.folders) {
    ctx.addIssue({
      code: "custom",
      path: ["labels"],
      message: 'effect = "hide" needs labels (Gmail label names) or folders (Drive folder ids)',
    });
  }
  if (rule.effect === "limit" && rule.rate === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["rate"],
      message: 'effect = "limit" needs a rate such as "100/min"',
    });
  }
  if (rule.effect !== "limit") {
    for (const key of ["rate", "burst", "per"] as const) {
      if (rule[key] !== undefined) misplaced(key, '"limit"');
    }
  }
  if (rule.effect !== "approve" && rule.wait !== undefined) misplaced("wait", '"approve"');
  if (rule.effect !== "redact") {
    for (const key of ["patterns", "regex", "strict"] as const) {
      if (rule[key] !== undefined) misplaced(key, '"redact"');
    }
  }
  if (rule.effect !== "hide") {
    for (const key of ["labels", "folders"] as const) {
      if (rule[key] !== undefined) misplaced(key, '"hide"');
    }
  }
  if (rule.effect !== "deny" && rule.condition) {
    for (const key of SEND_CONDITION_KEYS) {
      if (rule.condition[key] !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["condition", key],
          message:
            `only applies to effect = "deny" (a send is refused, not rewritten), this rule has effect = "${rule.effect}"`,
        });
      }
    }
  }
});

export type RuleConfig = z.output<typeof ruleSchema>;
export type RuleCondition = NonNullable<RuleConfig["condition"]>;

export const scopeSchema = z.strictObject({
  /** Operation globs the scope names. */
  operations: list(operationGlob, "operation globs", 1000, "must name at least one operation glob"),
  /** A disabled scope answers 403 SX-SCOPE-DISABLED to every call in it. */
  enabled: z.boolean({ error: expected("true or false") }).default(true),
  description: text("a sentence", freeText(500)).optional(),
}, { error: expected("a [scopes.<name>] table") });

export type ScopeConfig = z.output<typeof scopeSchema>;

function labelProblem(value: string): string | null {
  // The hide filter writes labels into Gmail's `q` as -label:"<name>".
  if (/["\\]/.test(value)) return 'must not contain " or \\';
  return textProblem(value, { max: 200, ids: true });
}

/**
 * Why a custom redaction regex is refused, or null. It runs over every string
 * of every inspected response, so beyond compiling it must not be able to
 * backtrack exponentially: nested quantifiers (`(a+)+`) and backreferences are
 * refused, a cheap syntactic check rather than a proof. It is compiled with
 * the `u` flag (what the redaction filter uses) and must not match empty text.
 */
export function regexProblem(source: string): string | null {
  if (source.length === 0) return "must not be empty";
  if (source.length > REGEX_MAX) return `must be at most ${REGEX_MAX} characters`;
  let compiled: RegExp;
  try {
    compiled = new RegExp(source, "u");
  } catch (error) {
    return `is not a valid regular expression (with the u flag): ${
      (error as Error).message.split("\n")[0]
    }`;
  }
  const shape = backtrackingRisk(source);
  if (shape) return shape;
  if (compiled.test("")) return "matches empty text (it must match at least one character)";
  return null;
}

/** A quantified group containing a quantifier, or a backreference: the shapes of catastrophic backtracking. */
function backtrackingRisk(source: string): string | null {
  const groups: boolean[] = [false];
  let i = 0;
  const quantifierAt = (at: number): number => {
    const c = source[at];
    if (c === "*" || c === "+" || c === "?") return 1;
    if (c === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(at));
      if (m) return m[2] && (m[3] === "" || Number(m[3]) > 1) ? m[0].length : -m[0].length;
    }
    return 0;
  };
  while (i < source.length) {
    const c = source[i];
    if (c === "\\") {
      if (/[1-9k]/.test(source[i + 1] ?? "")) return "must not use backreferences";
      i += 2;
    } else if (c === "[") {
      i++;
      while (i < source.length && source[i] !== "]") i += source[i] === "\\" ? 2 : 1;
      i++;
    } else if (c === "(") {
      groups.push(false);
      i++;
      // Group syntax, not a quantifier: (?: (?= (?! (?<= (?<! (?<name>
      if (source[i] === "?") i += /^\?<[=!]/.test(source.slice(i)) ? 3 : 2;
    } else if (c === ")") {
      const inner = groups.length > 1 ? groups.pop()! : false;
      i++;
      const q = quantifierAt(i);
      const repeats = q > 0 && source[i] !== "?";
      if (repeats && inner) {
        return "must not nest quantifiers as in (a+)+, which can take exponential time (quantify the inner part only)";
      }
      groups[groups.length - 1] ||= inner || q !== 0;
    } else {
      const q = quantifierAt(i);
      if (q !== 0) {
        groups[groups.length - 1] = true;
        i += Math.abs(q);
        if (source[i] === "?") i++;
      } else i++;
    }
  }
  return null;
}

export interface RuleIssue {
  /** Where, as an operator reads it: `rules[2] (gmail_draft_only).effect`, `scopes.mail.operations[0]`. */
  path: string;
  message: string;
}

export type ParsedRules =
  | { ok: true; rules: RuleConfig[]; scopes: Record<string, ScopeConfig> }
  | { ok: false; issues: RuleIssue[] };

/**
 * Validates the raw `rules` (array of tables) and `scopes` (table of tables)
 * of a config file. Used by the config schema and by anything that reloads
 * rules alone.
 */
export function parseRulesConfig(rawRules: unknown, rawScopes: unknown): ParsedRules {
  const issues: RuleIssue[] = [];
  const rules: RuleConfig[] = [];
  const scopes: Record<string, ScopeConfig> = {};
  if (rawRules !== undefined && !Array.isArray(rawRules)) {
    issues.push({ path: "rules", message: `expected [[rules]] tables, got ${show(rawRules)}` });
  }
  const firstByName = new Map<string, number>();
  for (const [index, raw] of (Array.isArray(rawRules) ? rawRules : []).entries()) {
    const name = (raw as { name?: unknown } | null)?.name;
    const where = `rules[${index}]${
      typeof name === "string" && RULE_NAME.test(name) ? ` (${name})` : ""
    }`;
    const result = ruleSchema.safeParse(raw, { reportInput: true });
    if (!result.success) {
      issues.push(...result.error.issues.flatMap((issue) => describe(where, issue, RULE_KEYS)));
      continue;
    }
    const earlier = firstByName.get(result.data.name);
    if (earlier !== undefined) {
      issues.push({
        path: `${where}.name`,
        message: `the name is already used by rules[${earlier}]`,
      });
      continue;
    }
    firstByName.set(result.data.name, index);
    rules.push(result.data);
  }
  if (
    rawScopes !== undefined &&
    (typeof rawScopes !== "object" || rawScopes === null || Array.isArray(rawScopes))
  ) {
    issues.push({
      path: "scopes",
      message: `expected [scopes.<name>] tables, got ${show(rawScopes)}`,
    });
  } else {
    for (const [name, raw] of Object.entries((rawScopes ?? {}) as Record<string, unknown>)) {
      const where = `scopes.${name}`;
      if (!RULE_NAME.test(name)) {
        issues.push({
          path: where,
          message: 'a scope name must be a-z, 0-9, "_" and "-" (1 to 64 characters)',
        });
        continue;
      }
      const result = scopeSchema.safeParse(raw, { reportInput: true });
      if (result.success) scopes[name] = result.data;
      else {issues.push(...result.error.issues.flatMap((issue) =>
          describe(where, issue, SCOPE_KEYS)
        ));}
    }
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, rules, scopes };
}

const RULE_KEYS = Object.keys(ruleFields.shape);
const SCOPE_KEYS = Object.keys(scopeSchema.shape);

function describe(where: string, issue: z.core.$ZodIssue, keys: readonly string[]): RuleIssue[] {
  const path = where +
    issue.path.map((s) => typeof s === "number" ? `[${s}]` : `.${String(s)}`).join("");
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => {
      const near = issue.path.length === 0 ? keys.find((k) => nearlyEqual(k, key)) : undefined;
      return {
        path: `${path}.${key}`,
        message: `unknown key${near ? ` (did you mean ${near}?)` : ""}`,
      };
    });
  }
  if (
    issue.code === "invalid_type" && !issue.message.startsWith("expected") &&
    !issue.message.startsWith("required")
  ) {
    return [{ path, message: `expected ${issue.expected}, got ${show(issue.input)}` }];
  }
  return [{ path, message: issue.message }];
}

/** Within two edits (a typo), for "did you mean". */
function nearlyEqual(a: string, b: string): boolean {
  return Math.abs(a.length - b.length) <= 2 && editDistance(a, b) <= 2;
}
