/**
 * `deno run tests/bench/rules_eval_bench.ts`: µs per `evaluate` call, for the
 * rules row of the proxy bench (the evaluator runs before every forwarded
 * request). Best of several rounds, after a warm-up, so JIT tiers settle.
 */
import type { CallContext } from "../../src/rules/evaluate.ts";
import { evaluate } from "../../src/rules/evaluate.ts";
import { parseRulesConfig } from "../../src/rules/rule_schema.ts";
import { compileRules, EMPTY_RULE_SET, type RuleSet } from "../../src/rules/rule_set.ts";

const CALLS = Number(Deno.env.get("BENCH_CALLS") ?? 1_000_000);
const ROUNDS = 5;

function ruleSet(rules: unknown[]): RuleSet {
  const parsed = parseRulesConfig(rules, {});
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return compileRules(parsed.rules, parsed.scopes);
}

/** 50 rules, none of which match a Gmail message list: other providers, other classes, other apps. */
function fiftyOthers(): unknown[] {
  const rules: unknown[] = [];
  const providers = ["github", "slack", "notion", "dropbox", "linear", "microsoft", "gitlab"];
  for (let i = 0; i < 35; i++) {
    rules.push({
      name: `other_${i}`,
      effect: "deny",
      target: `${providers[i % providers.length]}.things${i}.*`,
      classes: ["write", "delete"],
    });
  }
  for (let i = 0; i < 5; i++) {
    rules.push({ name: `deletes_${i}`, effect: "deny", target: `*.delete${i}*` });
  }
  for (let i = 0; i < 5; i++) {
    rules.push({ name: `gmail_send_${i}`, effect: "deny", target: "gmail.*", classes: ["send"] });
  }
  for (let i = 0; i < 5; i++) {
    rules.push({
      name: `other_app_${i}`,
      effect: "redact",
      target: "google.*",
      apps: [`app${i}`],
      patterns: ["ssn"],
    });
  }
  return rules;
}

const LIST: CallContext = {
  appName: "demo",
  agentId: "agent",
  entityId: "user-1",
  provider: "gmail",
  family: "google",
  operation: { id: "gmail.users.messages.list", class: "read" },
  method: "GET",
  path: "/gmail/v1/users/me/messages",
};
const SEND: CallContext = {
  ...LIST,
  operation: { id: "gmail.users.messages.send", class: "send" },
  method: "POST",
  path: "/gmail/v1/users/me/messages/send",
};

function measure(set: RuleSet, ctx: CallContext): number {
  let sink = 0;
  let best = Infinity;
  for (let round = 0; round <= ROUNDS; round++) {
    const start = performance.now();
    for (let i = 0; i < CALLS; i++) sink += evaluate(set, ctx).matched.length;
    const us = (performance.now() - start) * 1000 / CALLS;
    if (round > 0) best = Math.min(best, us); // round 0 warms up
  }
  if (sink < 0) console.log(sink);
  return best;
}

const fifty = ruleSet(fiftyOthers());
const withDeny = ruleSet([...fiftyOthers(), {
  name: "draft_only",
  effect: "deny",
  target: "gmail.users.messages.send",
  llm_error: "Drafts only.",
}]);

const rows: [string, number][] = [
  ["no rules", measure(EMPTY_RULE_SET, LIST)],
  ["50 rules, none matching", measure(fifty, LIST)],
  ["51 rules, a matching deny", measure(withDeny, SEND)],
  [
    "51 rules, multiplexed batch",
    measure(withDeny, {
      ...LIST,
      operation: { id: "gmail.batch", class: "write", multiplexed: true },
    }),
  ],
];
console.log(`rules evaluate (${CALLS} calls, best of ${ROUNDS})`);
console.log("| case | µs/call |\n|---|---:|");
for (const [name, us] of rows) console.log(`| ${name} | ${us.toFixed(3)} |`);
