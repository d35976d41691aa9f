import assert from "node:assert/strict";
import { compileRules, EMPTY_RULE_SET, hashRules } from "./rule_set.ts";
import { parseRulesConfig } from "./rule_schema.ts";
import { ruleSet } from "./test_rules.ts";

Deno.test("hash: sha256 hex, independent of key order, sensitive to every field and to rule order", () => {
  const a = ruleSet([
    { name: "a", target: "gmail.*", effect: "deny", classes: ["send"], llm_error: "no" },
    { name: "b", effect: "redact", patterns: ["ssn"] },
  ], { s: { operations: ["x.*"], enabled: false } });
  const reordered = ruleSet([
    { llm_error: "no", classes: ["send"], effect: "deny", target: "gmail.*", name: "a" },
    { patterns: ["ssn"], effect: "redact", name: "b" },
  ], { s: { enabled: false, operations: ["x.*"] } });
  assert.match(a.hash, /^[0-9a-f]{64}$/);
  assert.equal(a.hash, reordered.hash);
  const changed = ruleSet([
    { name: "a", target: "gmail.*", effect: "deny", classes: ["send"], llm_error: "No" },
    { name: "b", effect: "redact", patterns: ["ssn"] },
  ], { s: { operations: ["x.*"], enabled: false } });
  assert.notEqual(changed.hash, a.hash);
  const swapped = ruleSet([
    { name: "b", effect: "redact", patterns: ["ssn"] },
    { name: "a", target: "gmail.*", effect: "deny", classes: ["send"], llm_error: "no" },
  ], { s: { operations: ["x.*"], enabled: false } });
  assert.notEqual(swapped.hash, a.hash, "file order breaks specificity ties");
  const scopeOn = ruleSet([
    { name: "a", target: "gmail.*", effect: "deny", classes: ["send"], llm_error: "no" },
    { name: "b", effect: "redact", patterns: ["ssn"] },
  ], { s: { operations: ["x.*"], enabled: true } });
  assert.notEqual(scopeOn.hash, a.hash);
});

Deno.test("hash: a default written out hashes like the default left out", () => {
  assert.equal(
    ruleSet([{ name: "a", effect: "deny" }]).hash,
    ruleSet([{ name: "a", effect: "deny", target: "*", enabled: true }]).hash,
  );
  assert.equal(EMPTY_RULE_SET.hash, hashRules([], {}));
  assert.notEqual(EMPTY_RULE_SET.hash, ruleSet([{ name: "a", effect: "deny" }]).hash);
});

Deno.test("compile: fields become sets, globs, a shared gu regex", () => {
  const set = ruleSet([{
    name: "x",
    effect: "redact",
    target: "google.*",
    classes: ["read"],
    apps: ["demo"],
    regex: "EMP-\\d{4}",
    condition: { method_in: ["get"], path_matches: "/gmail/*" },
  }, {
    name: "d",
    effect: "deny",
    condition: { recipient_domain_in: ["a.com", "*.b.com"], body_contains: ["Secret"] },
  }]);
  const [x, d] = set.rules;
  assert.equal(x.target.source, "google.*");
  assert.deepEqual([...x.classes!], ["read"]);
  assert.deepEqual([...x.apps!], ["demo"]);
  assert.equal(x.agents, null);
  assert.deepEqual([...x.methods!], ["GET"]);
  assert.equal(x.path!.match("/gmail/v1/users/me"), true);
  assert.equal(x.regex!.flags, "gu");
  assert.equal("EMP-1234 and EMP-5678".replace(x.regex!, "[R]"), "[R] and [R]");
  assert.equal(x.send, null);
  assert.deepEqual([...d.send!.recipientDomainIn!.exact], ["a.com"]);
  assert.deepEqual(d.send!.recipientDomainIn!.suffixes, [".b.com"]);
  assert.deepEqual(d.send!.bodyContains, ["secret"]);
  assert.equal(d.strict, false);
  assert.ok(Object.isFrozen(set.rules) && Object.isFrozen(x));
});

Deno.test("compile: rank orders by literal length, then classes, then scope lists, then file order", () => {
  const set = ruleSet([
    { name: "broad", effect: "deny", target: "gmail.*" },
    { name: "scoped", effect: "deny", target: "gmail.*", apps: ["a"], agents: ["g"] },
    { name: "classed", effect: "deny", target: "gmail.*", classes: ["send"] },
    { name: "exact", effect: "deny", target: "gmail.users.messages.send" },
    { name: "broad_twin", effect: "deny", target: "gmail*" },
    { name: "any", effect: "deny" },
  ]);
  const byRank = [...set.rules].sort((a, b) => a.rank - b.rank).map((r) => r.name);
  assert.deepEqual(byRank, ["exact", "classed", "scoped", "broad", "broad_twin", "any"]);
});

Deno.test("candidates: bucketed by provider or family head, general bucket for everyone, file order", () => {
  const set = ruleSet([
    { name: "any_delete", effect: "deny", target: "*.delete*" },
    { name: "gmail", effect: "deny", target: "gmail.*" },
    { name: "google", effect: "deny", target: "google.*" },
    { name: "github", effect: "deny", target: "github.*" },
    { name: "off", effect: "deny", target: "gmail.*", enabled: false },
    { name: "gm_prefix", effect: "deny", target: "gm*" },
  ], {
    gh: { operations: ["github.repos.delete"], enabled: false },
    on: { operations: ["gmail.*"] },
  });
  const names = (p: string, f: string) => set.candidates(p, f).rules.map((r) => r.name);
  assert.deepEqual(names("gmail", "google"), ["any_delete", "gmail", "google", "gm_prefix"]);
  assert.deepEqual(names("drive", "google"), ["any_delete", "google", "gm_prefix"]);
  assert.deepEqual(names("github", "github"), ["any_delete", "github", "gm_prefix"]);
  assert.deepEqual(set.candidates("github", "github").disabledScopes.map((s) => s.name), ["gh"]);
  assert.deepEqual(set.candidates("gmail", "google").disabledScopes, []);
  assert.equal(set.candidates("gmail", "google"), set.candidates("gmail", "google"), "cached");
  assert.equal(set.empty, false);
});

Deno.test("empty: no rules, only disabled rules, or only enabled scopes evaluate nothing", () => {
  assert.equal(EMPTY_RULE_SET.empty, true);
  assert.equal(ruleSet([{ name: "a", effect: "deny", enabled: false }]).empty, true);
  assert.equal(ruleSet([], { s: { operations: ["*"] } }).empty, true);
  assert.equal(ruleSet([], { s: { operations: ["*"], enabled: false } }).empty, false);
});

Deno.test("compileRules takes the parsed config as is", () => {
  const parsed = parseRulesConfig([{ name: "a", effect: "deny" }], undefined);
  assert.ok(parsed.ok);
  const set = compileRules(parsed.rules, parsed.scopes);
  assert.equal(set.rules[0].config, parsed.rules[0]);
});

Deno.test("forOperation: target and class matches cached per operation id, bounded", () => {
  const set = ruleSet([
    { name: "sends", effect: "deny", target: "gmail.*", classes: ["send"] },
    { name: "all", effect: "redact", target: "google.*", patterns: ["ssn"] },
  ]);
  const send = set.forOperation("gmail", "google", {
    id: "gmail.users.messages.send",
    class: "send",
  });
  assert.deepEqual(send.rules.map((r) => r.name), ["sends", "all"]);
  assert.equal(
    set.forOperation("gmail", "google", { id: "gmail.users.messages.send", class: "send" }),
    send,
    "a second call is a cache hit",
  );
  // The same id with another class (a custom map could say so) is not served from the cache.
  const asWrite = set.forOperation("gmail", "google", {
    id: "gmail.users.messages.send",
    class: "write",
  });
  assert.deepEqual(asWrite.rules.map((r) => r.name), ["all"]);
  for (let i = 0; i < 3000; i++) {
    set.forOperation("gmail", "google", { id: `gmail.x${i}`, class: "send" });
  }
  assert.deepEqual(
    set.forOperation("gmail", "google", { id: "gmail.x2999", class: "send" }).rules.map((r) =>
      r.name
    ),
    ["sends", "all"],
  );
  assert.equal(
    set.forOperation("github", "github", { id: "github.repos.get", class: "read" }).rules.length,
    0,
  );
});
