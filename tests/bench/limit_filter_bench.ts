/**
 * `deno run tests/bench/limit_filter_bench.ts`: µs per call of the `limit`
 * filter's request hook when the call is admitted from this process's lease
 * (the hot path: no database, no await), next to a call no limit applies to,
 * a call under two limits, and a batch of 20 calls under two limits (its
 * body already counted, as a second filter finds it on the Exchange).
 * The store grants every claim, so only the in-memory counting is measured.
 * Best of several rounds, after a warm-up, so JIT tiers settle.
 */
import type { BucketStore } from "../../src/limits/bucket_store.ts";
import { LimitCounters } from "../../src/limits/limit_counters.ts";
import { limitFilter } from "../../src/limits/limit_filter.ts";
import type { Exchange } from "../../src/proxy/exchange.ts";
import type { ProxyFilter } from "../../src/proxy/proxy_filter.ts";
import { parseRulesConfig } from "../../src/rules/rule_schema.ts";
import { compileRules } from "../../src/rules/rule_set.ts";

const ROUNDS = 5;
/** The lease is the largest burst a rule may have (1 000 000): every round spends from it. */
const CALLS = Math.min(Number(Deno.env.get("BENCH_CALLS") ?? 150_000), 150_000);

/**
 * Every claim granted a whole burst, the bucket never empty: the filter never refuses, and a
 * key's later sync (another key's first claim) leaves it a lease for the rounds.
 */
const generous: BucketStore = {
  settle: (_holder, claims, now) =>
    Promise.resolve(claims.map((c) => ({
      key: c.key,
      granted: c.want > 0 ? c.spec.burst : 0,
      tokens: c.spec.burst,
      at: now,
      leasedByOthers: 0,
    }))),
};

/** Every rule may spend the whole lease: 1 000 000 a second, burst 1 000 000. */
const rule = (name: string, target: string, per: string) => ({
  name,
  target,
  effect: "limit",
  rate: "1000000/s",
  burst: 1_000_000,
  per,
});
const parsed = parseRulesConfig([
  rule("gmail_reads", "gmail.users.messages.list", "agent"),
  rule("gets_agent", "gmail.users.messages.get", "agent"),
  rule("gets_entity", "gmail.users.messages.get", "entity"),
  rule("deletes_agent", "gmail.users.messages.batchDelete", "agent"),
  rule("deletes_entity", "gmail.users.messages.batchDelete", "entity"),
], {});
if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
const set = compileRules(parsed.rules, parsed.scopes);
/** Batches spend 20 tokens a call: the lease would run out within a round. */
const BATCH_CALLS = 20;
// The clock stands still, so the lease never expires, and timers fire only while the keys' first
// claims are taken: no sync runs within a round.
let warming = true;
const counters = new LimitCounters({
  store: generous,
  now: () => 1_000_000,
  shareMs: 1000,
  leaseMs: 3_600_000,
  setTimer: (run) => {
    if (warming) setTimeout(run, 0);
    return () => {};
  },
});
const filter = limitFilter({ set, counters })!;

function exchange(operation: string, batch?: number): Exchange {
  return {
    route: { provider: "gmail", family: "google", host: "gmail.api.localhost" },
    method: "GET",
    path: "/gmail/v1/users/me/messages",
    query: "",
    caller: {
      app: { id: "app_bench", name: "bench", origins: [], createdAt: 0 },
      agentId: "agent-1",
      entityId: "alice",
      connection: { id: "conn_bench" },
    },
    operation: { id: operation, class: "read", multiplexed: batch !== undefined },
    batch: batch === undefined ? undefined : { calls: batch, deletes: batch },
    rules: [],
    notes: {},
  } as unknown as Exchange;
}

async function measure(hook: ProxyFilter, ex: Exchange, calls = CALLS): Promise<number> {
  const noBody = () => Promise.resolve(null);
  let best = Infinity;
  let sink = 0;
  for (let round = 0; round <= ROUNDS; round++) {
    const start = performance.now();
    for (let i = 0; i < calls; i++) {
      const verdict = hook.request!(ex, noBody);
      if (verdict instanceof Promise) sink += (await verdict).action.length;
      else sink += verdict.action.length;
    }
    const us = (performance.now() - start) * 1000 / calls;
    if (round > 0) best = Math.min(best, us); // round 0 warms up
  }
  if (sink < 0) console.log(sink);
  return best;
}

const cases = {
  none: exchange("gmail.users.labels.list"),
  one: exchange("gmail.users.messages.list"),
  two: exchange("gmail.users.messages.get"),
  batch: exchange("gmail.users.messages.batchDelete", BATCH_CALLS),
};
// Every key's first claim waits for a sync: take them before timing.
for (const ex of Object.values(cases)) await filter.request!(ex, () => Promise.resolve(null));
warming = false;
const rows: [string, number][] = [
  ["no limit applies", await measure(filter, cases.none)],
  ["admitted from the lease", await measure(filter, cases.one)],
  ["two limits, admitted", await measure(filter, cases.two)],
  [
    `batch of ${BATCH_CALLS} under two limits, per batch`,
    await measure(filter, cases.batch, Math.floor(CALLS / BATCH_CALLS)),
  ],
];
console.log(`limit filter request hook (${CALLS} calls, best of ${ROUNDS})`);
console.log("| case | µs/call |\n|---|---:|");
for (const [name, us] of rows) console.log(`| ${name} | ${us.toFixed(3)} |`);
