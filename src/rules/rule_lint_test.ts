import assert from "node:assert/strict";
import { type LintFinding, lintRules } from "./rule_lint.ts";
import { ruleSet } from "./test_rules.ts";

const OPS: Record<string, readonly string[]> = {
  gmail: ["gmail.users.messages.send", "gmail.users.messages.list", "gmail.users.drafts.create"],
  drive: ["drive.files.delete", "drive.files.list"],
  github: ["github.repos.get", "github.repos.delete", "github.issues.create"],
};
const PROVIDERS = [
  { name: "gmail", family: "google" },
  { name: "drive", family: "google" },
  { name: "github", family: "github" },
  { name: "corp", family: "custom" },
];
const known = (provider: string) => OPS[provider] ?? null;

function lint(rules: unknown[], scopes: Record<string, unknown> = {}): LintFinding[] {
  return lintRules(ruleSet(rules, scopes), known, PROVIDERS);
}

Deno.test("lint: a clean rule file has no findings", () => {
  assert.deepEqual(
    lint([
      { name: "draft_only", effect: "deny", target: "gmail.users.messages.send", llm_error: "x" },
      { name: "read_only", effect: "deny", target: "github.*", classes: ["write", "delete"] },
      { name: "pii", effect: "redact", target: "google.*", patterns: ["ssn"] },
      { name: "hr", effect: "hide", target: "gmail.*", labels: ["HR"] },
      { name: "deletes", effect: "deny", target: "*.delete*", apps: ["x"] },
      { name: "unknown_ops", effect: "deny", target: "gmail.unknown" },
      { name: "corp", effect: "deny", target: "corp.anything" },
    ], { send: { operations: ["google.users.messages.send"], enabled: false } }),
    [],
  );
});

Deno.test("lint: a target matching no known operation is an error, naming an unknown provider", () => {
  assert.deepEqual(lint([{ name: "typo", effect: "deny", target: "gmail.users.mesages.send" }]), [{
    level: "error",
    rule: "typo",
    message: 'target "gmail.users.mesages.send" matches no known operation; the rule never applies',
  }]);
  assert.deepEqual(lint([{ name: "gmal", effect: "deny", target: "gmal.*" }]), [{
    level: "error",
    rule: "gmal",
    message:
      'target "gmal.*" matches no known operation (no configured provider or family is named "gmal"); the rule never applies',
  }]);
  assert.deepEqual(lint([{ name: "fam", effect: "deny", target: "google.files.delete" }]), []);
});

Deno.test("lint: a scope operation matching nothing is an error", () => {
  assert.deepEqual(
    lint([], { mail: { operations: ["gmail.users.messages.send", "gmail.send"] } }),
    [{
      level: "error",
      rule: "scopes.mail",
      message: 'operations[1] "gmail.send" matches no known operation',
    }],
  );
});

Deno.test("lint: llm_error on a rule that never refuses and disabled rules are warnings", () => {
  assert.deepEqual(
    lint([
      { name: "pii", effect: "redact", patterns: ["ssn"], llm_error: "x" },
      { name: "off", effect: "deny", target: "github.*", enabled: false },
      { name: "slow", effect: "limit", target: "github.*", rate: "10/min", llm_error: "Wait." },
      { name: "ask", effect: "approve", target: "github.*", llm_error: "Ask the user first." },
    ]),
    [
      {
        level: "warning",
        rule: "pii",
        message:
          'llm_error is only returned by deny, limit and approve rules; this rule has effect = "redact"',
      },
      { level: "warning", rule: "off", message: "enabled = false: the rule has no effect" },
    ],
  );
});

Deno.test("lint: a redact or hide inside a deny's reach is unreachable, wherever the deny is", () => {
  const findings = lint([
    { name: "hr", effect: "hide", target: "gmail.users.messages.list", labels: ["HR"] },
    { name: "no_google", effect: "deny", target: "google.*" },
  ]);
  assert.deepEqual(findings, [{
    level: "warning",
    rule: "hr",
    message:
      'unreachable: rule "no_google" denies every call this rule matches, so this hide never applies',
  }]);
});

Deno.test("lint: a deny inside a covering deny that outranks it is unreachable", () => {
  // More specific than the broad deny: it speaks (its llm_error is returned).
  assert.deepEqual(
    lint([
      { name: "all_gmail", effect: "deny", target: "gmail.*" },
      { name: "exact", effect: "deny", target: "gmail.users.messages.send", llm_error: "x" },
    ]),
    [],
  );
  // As specific and written later: the earlier one always speaks.
  assert.deepEqual(
    lint([
      { name: "writes", effect: "deny", target: "gmail.*", classes: ["send", "write"] },
      { name: "sends", effect: "deny", target: "gmail.*", classes: ["send"], llm_error: "x" },
    ]),
    [{
      level: "warning",
      rule: "sends",
      message:
        'unreachable: rule "writes" denies every call this rule matches and is at least as specific, so its llm_error is returned instead',
    }],
  );
  // Same two, the narrower written first: it wins the tie.
  assert.deepEqual(
    lint([
      { name: "sends", effect: "deny", target: "gmail.*", classes: ["send"], llm_error: "x" },
      { name: "writes", effect: "deny", target: "gmail.*", classes: ["send", "write"] },
    ]),
    [],
  );
});

Deno.test("lint: scope lists, classes and conditions decide coverage", () => {
  // The broad deny is scoped to one app: it does not cover a rule for every app.
  assert.deepEqual(
    lint([
      { name: "app_deny", effect: "deny", target: "gmail.*", apps: ["a"] },
      { name: "pii", effect: "redact", target: "gmail.*", patterns: ["ssn"] },
    ]),
    [],
  );
  // A deny for every app covers one for a single app.
  assert.equal(
    lint([
      { name: "all", effect: "deny", target: "gmail.*" },
      { name: "pii", effect: "redact", target: "gmail.*", apps: ["a"], patterns: ["ssn"] },
    ]).length,
    1,
  );
  // Classes: a deny on sends does not cover a rule on every class.
  assert.deepEqual(
    lint([
      { name: "sends", effect: "deny", target: "gmail.*", classes: ["send"] },
      { name: "pii", effect: "redact", target: "gmail.*", patterns: ["ssn"] },
    ]),
    [],
  );
  // A conditional deny covers nothing.
  assert.deepEqual(
    lint([
      { name: "posts", effect: "deny", target: "gmail.*", condition: { method_in: ["POST"] } },
      { name: "pii", effect: "redact", target: "gmail.*", patterns: ["ssn"] },
    ]),
    [],
  );
});

Deno.test("lint: two denies with the same match set are an overlap, reported once", () => {
  assert.deepEqual(
    lint([
      {
        name: "a",
        effect: "deny",
        target: "github.*",
        classes: ["delete", "write"],
        llm_error: "a",
      },
      {
        name: "b",
        effect: "deny",
        target: "github.*",
        classes: ["write", "delete"],
        llm_error: "b",
      },
    ]),
    [{
      level: "warning",
      rule: "b",
      message:
        'denies exactly the calls rule "a" denies; "a" is written first and always speaks, so this one never does',
    }],
  );
  assert.deepEqual(
    lint([
      {
        name: "a",
        effect: "deny",
        target: "github.*",
        condition: { recipient_domain_in: ["x.com"] },
      },
      {
        name: "b",
        effect: "deny",
        target: "github.*",
        condition: { recipient_domain_in: ["y.com"] },
      },
    ]),
    [],
  );
});
