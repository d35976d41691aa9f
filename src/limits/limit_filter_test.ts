import assert from "node:assert/strict";
import { errorResponse } from "../errors/error_response.ts";
import type { Exchange } from "../proxy/exchange.ts";
import type { Verdict } from "../proxy/proxy_filter.ts";
import { operationMapFor } from "../providers/operation_maps.ts";
import { ruleSet } from "../rules/test_rules.ts";
import { memoryBuckets } from "./test_buckets.ts";
import { LimitCounters } from "./limit_counters.ts";
import { limitFilter, limitKey } from "./limit_filter.ts";

function soloStore() {
  return memoryBuckets(10_000);
}

function exchange(
  caller: { app?: string; agent?: string; entity?: string; connection?: string } = {},
  operation = "gmail.users.messages.list",
): Exchange {
  const app = caller.app ?? "app_1";
  return {
    route: { provider: "gmail", host: "gmail.api.localhost" },
    method: "GET",
    path: "/gmail/v1/users/me/messages",
    query: "",
    caller: {
      app: { id: app, name: app === "app_1" ? "demo" : "other", origins: [], createdAt: 0 },
      agentId: caller.agent ?? "agent-1",
      entityId: caller.entity ?? "alice",
      connection: { id: caller.connection ?? "conn_1" },
    },
    operation: { id: operation, class: "read" },
    rules: [],
    notes: {},
  } as unknown as Exchange;
}

const RULE = {
  name: "reads",
  target: "gmail.users.messages.*",
  effect: "limit",
  rate: "3/min",
};

function setup(rules: unknown[]) {
  let t = 1_000_000;
  let timer: (() => void) | null = null;
  const counters = new LimitCounters({
    store: soloStore(),
    now: () => t,
    shareMs: 1000,
    leaseMs: 10_000,
    setTimer: (run) => {
      timer = run;
      return () => timer = null;
    },
  });
  const filter = limitFilter({ set: ruleSet(rules), counters })!;
  /** The filter's verdict; a call waiting for the next sync gets it one share interval later. */
  const call = async (ex: Exchange): Promise<Verdict> => {
    const verdict = filter.request!(ex, () => Promise.resolve(null));
    if (!(verdict instanceof Promise)) return verdict;
    await new Promise((r) => setTimeout(r, 0));
    if (timer) {
      t += 1000;
      const run = timer;
      timer = null;
      run();
    }
    return await verdict;
  };
  return { filter, call, counters };
}

Deno.test("limit filter: absent when no rule limits; a call no limit applies to is done at once", () => {
  const counters = new LimitCounters({
    store: soloStore(),
    now: () => 0,
    shareMs: 1000,
    leaseMs: 10_000,
  });
  assert.equal(limitFilter({ set: ruleSet([]), counters }), null);
  assert.equal(
    limitFilter({ set: ruleSet([{ ...RULE, enabled: false }]), counters }),
    null,
  );
  const { filter } = setup([RULE]);
  const verdict = filter.request!(
    exchange({}, "gmail.users.labels.list"),
    () => Promise.resolve(null),
  );
  assert.deepEqual(verdict, { action: "continue", done: true });
  assert.equal(filter.response, undefined, "no response hook: allowed calls stay zero-copy");
  assert.equal(filter.authorized, undefined);
});

Deno.test("limit filter: 3/min per connection refuses the 4th with SX-RATE-LIMIT, Retry-After and RateLimit headers", async () => {
  const { call } = setup([{ ...RULE, llm_error: "Slow down." }]);
  for (let i = 0; i < 3; i++) assert.equal((await call(exchange())).action, "continue");
  const refused = await call(exchange());
  assert.equal(refused.action, "deny");
  if (refused.action !== "deny") return;
  assert.equal(refused.rule, "reads");
  assert.equal(refused.error.code, "SX-RATE-LIMIT");
  assert.equal(refused.error.status, 429);
  assert.equal(refused.error.llmError, "Slow down.", "the rule's llm_error when it has one");
  // One token per 20 s; the syncs the calls waited for moved the clock 2 s.
  assert.deepEqual(refused.error.details, { rule: "reads", limit: 3, window: 60, retryAfter: 18 });
  const res = errorResponse(refused.error);
  assert.equal(res.status, 429);
  assert.equal(res.headers.get("retry-after"), "18");
  assert.equal(res.headers.get("ratelimit-policy"), '"reads";q=3;w=60');
  assert.equal(res.headers.get("ratelimit"), '"reads";r=0;t=18');
  assert.equal((await res.json()).error.code, "SX-RATE-LIMIT");
  // Another connection of the same app has its own bucket.
  assert.equal((await call(exchange({ connection: "conn_2" }))).action, "continue");
});

Deno.test("limit filter: without llm_error the agent is told how long to wait", async () => {
  const { call } = setup([{ ...RULE, rate: "1/hour" }]);
  await call(exchange());
  const refused = await call(exchange());
  assert.ok(refused.action === "deny");
  assert.equal(
    refused.error.llmError,
    "You have hit the rate limit for this kind of call (1 per hour). Wait 3600 seconds before trying again; retrying sooner will be refused too.",
  );
});

Deno.test("limit keys: per agent, entity, connection or app, always within one app", () => {
  const set = ruleSet(
    (["agent", "entity", "connection", "app"] as const).map((per) => ({
      ...RULE,
      name: `by_${per}`,
      per,
    })),
  );
  const key = (name: string, ex: Exchange) => limitKey(set.rules.find((r) => r.name === name)!, ex);
  const base = exchange();
  const otherApp = exchange({ app: "app_2" });
  for (const rule of ["by_agent", "by_entity", "by_connection", "by_app"]) {
    assert.notEqual(key(rule, base), key(rule, otherApp), `${rule}: two apps never share`);
    assert.ok(!key(rule, base).includes("\u0000"), "no NUL: SQLite would cut the key there");
  }
  assert.equal(
    key("by_agent", base),
    key("by_agent", exchange({ entity: "bob", connection: "c9" })),
  );
  assert.notEqual(key("by_agent", base), key("by_agent", exchange({ agent: "agent-2" })));
  assert.notEqual(key("by_entity", base), key("by_entity", exchange({ entity: "bob" })));
  assert.equal(
    key("by_app", base),
    key("by_app", exchange({ agent: "x", entity: "y", connection: "z" })),
  );
  // A changed rate is a new bucket; the same rule reloaded is the same one.
  const faster = ruleSet([{ ...RULE, name: "by_agent", per: "agent", rate: "5/min" }]);
  assert.notEqual(limitKey(faster.rules[0], base), key("by_agent", base));
  const same = ruleSet([{ ...RULE, name: "by_agent", per: "agent" }]);
  assert.equal(limitKey(same.rules[0], base), key("by_agent", base));
});

Deno.test("limit filter: under two limits, a call the second refuses gives the first its token back", async () => {
  const { call } = setup([
    { ...RULE, name: "wide", rate: "5/min" },
    { ...RULE, name: "narrow", target: "gmail.users.messages.list", rate: "1/min" },
  ]);
  assert.equal((await call(exchange())).action, "continue");
  for (let i = 0; i < 3; i++) {
    const refused = await call(exchange());
    assert.ok(refused.action === "deny" && refused.rule === "narrow");
  }
  // "wide" spent one token, not four: four more calls of another operation pass.
  for (let i = 0; i < 4; i++) {
    const verdict = await call(exchange({}, "gmail.users.messages.get"));
    assert.equal(verdict.action, "continue", `get ${i + 1}`);
  }
  const fifth = await call(exchange({}, "gmail.users.messages.get"));
  assert.ok(fifth.action === "deny" && fifth.rule === "wide");
});

Deno.test("limit filter: each admitted call records the policy and a decreasing remainder for the answer; the refusal carries the same policy", async () => {
  const { call } = setup([RULE]);
  const seen: (string | undefined)[][] = [];
  for (let i = 0; i < 3; i++) {
    const ex = exchange();
    assert.equal((await call(ex)).action, "continue");
    const headers = new Headers(ex.answerHeaders);
    seen.push([
      headers.get("ratelimit-policy") ?? undefined,
      headers.get("ratelimit") ?? undefined,
    ]);
  }
  // One token per 20 s; 2 s of syncs went by, as in the refusal test above.
  assert.deepEqual(seen, [
    ['"reads";q=3;w=60', '"reads";r=2'],
    ['"reads";q=3;w=60', '"reads";r=1'],
    ['"reads";q=3;w=60', '"reads";r=0;t=18'],
  ]);
  const refused = await call(exchange());
  assert.ok(refused.action === "deny");
  const res = errorResponse(refused.error);
  assert.equal(res.headers.get("ratelimit-policy"), seen[0][0]);
  assert.equal(res.headers.get("ratelimit"), seen[2][1], "the last admitted call foretold it");
  await res.body?.cancel();
});

Deno.test("limit filter: a call no limit applies to records nothing for its answer", async () => {
  const { call } = setup([RULE]);
  const ex = exchange({}, "gmail.users.labels.list");
  assert.equal((await call(ex)).action, "continue");
  assert.equal(ex.answerHeaders, undefined);
});

Deno.test("limit filter: under two limits the answer has both policies and the remainder of the tighter one", async () => {
  const { call } = setup([
    { ...RULE, name: "wide", rate: "5/min" },
    { ...RULE, name: "narrow", target: "gmail.users.messages.list", rate: "2/min" },
  ]);
  const first = exchange();
  assert.equal((await call(first)).action, "continue");
  assert.deepEqual(first.answerHeaders, [
    ["ratelimit-policy", '"wide";q=5;w=60, "narrow";q=2;w=60'],
    ["ratelimit", '"narrow";r=1'],
  ]);
  // Another operation only "wide" covers: 5 − 2 calls = 3 remain, counted as this process
  // knows them (the sync after the first call handed 4 tokens back and claimed twice that
  // interval's demand, 2: its lease now holds 1 after this call spent one, the bucket 2 more).
  // The lease alone said r=1 here.
  const other = exchange({}, "gmail.users.messages.get");
  assert.equal((await call(other)).action, "continue");
  assert.deepEqual(other.answerHeaders, [
    ["ratelimit-policy", '"wide";q=5;w=60'],
    ["ratelimit", '"wide";r=3'],
  ]);
  const second = exchange();
  assert.equal((await call(second)).action, "continue");
  // "wide" has 2 left; "narrow" (one token per 30 s, 3 s of syncs gone) has none, so it governs.
  assert.deepEqual(second.answerHeaders, [
    ["ratelimit-policy", '"wide";q=5;w=60, "narrow";q=2;w=60'],
    ["ratelimit", '"narrow";r=0;t=27'],
  ]);
});

/** A Gmail `/batch` of `calls` calls, its body already counted, its operation as the proxy resolves it. */
function batchExchange(calls: number): Exchange {
  const operation = operationMapFor("gmail").resolve({
    method: "POST",
    path: "/batch/gmail/v1",
    query: "",
  });
  assert.equal(operation.multiplexed, true, "a Google /batch is multiplexed");
  return {
    ...exchange({}, operation.id),
    method: "POST",
    path: "/batch/gmail/v1",
    operation,
    batch: { calls, deletes: 0 },
  } as unknown as Exchange;
}

Deno.test("limit filter: a batch takes its calls' tokens in one take: 1500 of a 2000 burst pass at once, then 501 are refused whole and 500 pass", async () => {
  // Per day, so refill between the calls (a share interval each) stays below a token.
  const rule = { ...RULE, rate: "2000/day" };
  const { call, counters } = setup([rule]);
  const first = await call(batchExchange(1500));
  assert.equal(first.action, "continue", "more calls than the 1000 a key lets wait");
  const over = await call(batchExchange(501));
  assert.ok(over.action === "deny" && over.rule === "reads");
  const key = limitKey(ruleSet([rule]).rules[0], batchExchange(1));
  assert.equal(counters.remaining(key), 500, "the refused batch spent nothing");
  assert.equal((await call(batchExchange(500))).action, "continue");
  assert.equal((await call(exchange())).action, "deny", "the burst is spent");
});

Deno.test("limit filter: a Gmail batchDelete is one call: one token, however many ids it names (the README counts only /batch and $batch by their calls)", async () => {
  const { filter, counters } = setup([RULE]);
  const path = "/gmail/v1/users/me/messages/batchDelete";
  const operation = operationMapFor("gmail").resolve({ method: "POST", path, query: "" });
  assert.equal(operation.id, "gmail.users.messages.batchDelete");
  const ex = { ...exchange({}, operation.id), method: "POST", path, operation } as Exchange;
  const ids = JSON.stringify({ ids: ["m1", "m2", "m3", "m4", "m5"] });
  let read = false;
  const verdict = await filter.request!(ex, () => {
    read = true;
    return Promise.resolve(new TextEncoder().encode(ids));
  });
  assert.equal(verdict.action, "continue");
  assert.equal(read, false, "its body is not read to count it");
  assert.equal(counters.remaining(limitKey(ruleSet([RULE]).rules[0], ex)), 2);
});
