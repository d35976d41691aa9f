import assert from "node:assert/strict";
import { SecurixError } from "../errors/securix_error.ts";
import type { Exchange } from "./exchange.ts";
import { Denied, runAuthorizedFilters, runRequestFilters } from "./filter_chain.ts";
import { PeekableBody } from "./peekable_body.ts";
import { CONTINUE, DONE, type ProxyFilter, type Verdict } from "./proxy_filter.ts";

function exchange(): Exchange {
  return { decision: "allowed", rules: [], notes: {} } as unknown as Exchange;
}

function deny(rule: string): Verdict {
  return { action: "deny", error: new SecurixError("SX-RULE-DENIED", "no", { status: 403 }), rule };
}

const lookup = () => Promise.resolve(null);
const body = () => new PeekableBody(new TextEncoder().encode("hello"));

/** A filter whose hooks log their name and answer `verdict`, synchronously or as a promise. */
function filter(
  name: string,
  log: string[],
  verdict: Verdict,
  opts: { async?: boolean; authorized?: boolean; noRequest?: boolean } = {},
): ProxyFilter {
  const answer = (hook: string) => {
    log.push(`${hook}:${name}`);
    return opts.async ? Promise.resolve(verdict) : verdict;
  };
  return {
    name,
    request: opts.noRequest ? undefined : () => answer("request"),
    authorized: opts.authorized ? () => answer("authorized") : undefined,
  };
}

Deno.test("filter chain: plain verdicts are settled synchronously, with no promise", () => {
  const log: string[] = [];
  const ex = exchange();
  const filters = [
    filter("done", log, DONE, { authorized: true }),
    filter("engaged", log, CONTINUE, { authorized: true }),
    filter("request-only", log, CONTINUE),
  ];
  const engaged = runRequestFilters(filters, ex, body());
  assert.ok(!(engaged instanceof Promise), "no await on a call only plain verdicts decide");
  assert.deepEqual(engaged.map((f) => f.name), ["engaged"]);
  assert.deepEqual(log, ["request:done", "request:engaged", "request:request-only"]);
  assert.equal(runAuthorizedFilters(engaged, ex, lookup), undefined);
  assert.deepEqual(log.at(-1), "authorized:engaged");
  assert.equal(ex.decision, "allowed");
});

Deno.test("filter chain: no filters answer the same empty list, synchronously", () => {
  const engaged = runRequestFilters([], exchange(), body());
  assert.ok(!(engaged instanceof Promise));
  assert.equal(engaged.length, 0);
});

Deno.test("filter chain: sync and async hooks mixed run one at a time, in order", async () => {
  const log: string[] = [];
  const ex = exchange();
  const filters = [
    filter("a", log, CONTINUE, { authorized: true }),
    filter("b", log, DONE, { async: true, authorized: true }),
    filter("c", log, CONTINUE, { authorized: true, async: false }),
    filter("d", log, CONTINUE, { async: true, authorized: true }),
    filter("e", log, CONTINUE, { authorized: true, noRequest: true }),
  ];
  const requested = runRequestFilters(filters, ex, body());
  assert.ok(requested instanceof Promise);
  // Nothing after the pending hook runs before it settled.
  assert.deepEqual(log, ["request:a", "request:b"]);
  const engaged = await requested;
  assert.deepEqual(log, ["request:a", "request:b", "request:c", "request:d"]);
  assert.deepEqual(engaged.map((f) => f.name), ["a", "c", "d", "e"]);
  log.length = 0;
  await runAuthorizedFilters(engaged, ex, lookup);
  assert.deepEqual(log, ["authorized:a", "authorized:c", "authorized:d", "authorized:e"]);
});

Deno.test("filter chain: a plain deny throws at once and stops the chain", () => {
  const log: string[] = [];
  const ex = exchange();
  const filters = [
    filter("pass", log, DONE),
    filter("deny", log, deny("no_reads")),
    filter("after", log, CONTINUE),
  ];
  assert.throws(
    () => runRequestFilters(filters, ex, body()),
    (e) => e instanceof Denied && e.rule === "no_reads" && e.error.code === "SX-RULE-DENIED",
  );
  assert.deepEqual(log, ["request:pass", "request:deny"]);
  assert.equal(ex.decision, "denied");
  assert.deepEqual(ex.rules, ["no_reads"]);
});

Deno.test("filter chain: a deny after an async hook rejects and stops the chain", async () => {
  const log: string[] = [];
  const ex = exchange();
  const filters = [
    filter("async", log, DONE, { async: true }),
    filter("deny", log, deny("r1"), { async: true }),
    filter("after", log, CONTINUE),
  ];
  await assert.rejects(async () => await runRequestFilters(filters, ex, body()), Denied);
  assert.deepEqual(log, ["request:async", "request:deny"]);
  assert.equal(ex.decision, "denied");
});

Deno.test("filter chain: a deny from a thenable that is not a Promise is still a deny", async () => {
  // Taken for a plain verdict, it would have no `action` and read as "go on": fail open.
  const thenable = {
    then(resolve: (v: Verdict) => void) {
      resolve(deny("thenable"));
    },
  };
  const filters: ProxyFilter[] = [{
    name: "odd",
    request: () => thenable as unknown as Promise<Verdict>,
  }, {
    name: "odd-authorized",
    authorized: () => thenable as unknown as Promise<Verdict>,
  }];
  const ex = exchange();
  await assert.rejects(async () => await runRequestFilters(filters, ex, body()), Denied);
  assert.deepEqual(ex.rules, ["thenable"]);
  await assert.rejects(async () => await runAuthorizedFilters(filters, exchange(), lookup), Denied);
});

Deno.test("filter chain: an authorized deny, plain or async, refuses; a hidden refusal stays hidden", async () => {
  const log: string[] = [];
  const plain = [filter("deny", log, deny("r2"), { authorized: true, noRequest: true })];
  const ex = exchange();
  ex.decision = "hidden";
  assert.throws(() => runAuthorizedFilters(plain, ex, lookup), Denied);
  assert.equal(ex.decision, "hidden");
  const later = [
    filter("ok", log, CONTINUE, { authorized: true, async: true, noRequest: true }),
    filter("deny", log, deny("r3"), { authorized: true, noRequest: true }),
    filter("after", log, CONTINUE, { authorized: true, noRequest: true }),
  ];
  log.length = 0;
  const ex2 = exchange();
  await assert.rejects(async () => await runAuthorizedFilters(later, ex2, lookup), Denied);
  assert.deepEqual(log, ["authorized:ok", "authorized:deny"]);
  assert.equal(ex2.decision, "denied");
});

Deno.test("filter chain: a request hook may read the body, and the reader reads the call's body", async () => {
  let peeked: Promise<Uint8Array | "too_large" | null> | null = null;
  let small: Promise<Uint8Array | "too_large" | null> | null = null;
  const filters: ProxyFilter[] = [
    { name: "peek", request: (_ex, read) => (peeked = read(100), CONTINUE) },
    { name: "small", request: (_ex, read) => (small = read(2), DONE) },
  ];
  runRequestFilters(filters, exchange(), body());
  assert.equal(new TextDecoder().decode(await peeked! as Uint8Array), "hello");
  assert.equal(await small!, "too_large");
});
