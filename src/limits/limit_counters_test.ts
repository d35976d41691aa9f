import assert from "node:assert/strict";
import type { BucketStore } from "./bucket_store.ts";
import { memoryBuckets } from "./test_buckets.ts";
import { type Admission, LimitCounters } from "./limit_counters.ts";

const MINUTE = 60_000;
const TEN_PER_MIN = { count: 10, periodMs: MINUTE, burst: 10 };
const SHARE_MS = 1000;
const LEASE_MS = 10_000;

function memoryStore() {
  return memoryBuckets(LEASE_MS);
}

/** A clock and timers the test moves by hand. */
function manualTime() {
  let t = 1_000_000;
  let timers: { at: number; run: () => void }[] = [];
  return {
    now: () => t,
    setTimer(run: () => void, ms: number) {
      const timer = { at: t + ms, run };
      timers.push(timer);
      return () => timers = timers.filter((x) => x !== timer);
    },
    /** Moves the clock and fires the timers that came due, in order. */
    advance(ms: number) {
      t += ms;
      const due = timers.filter((x) => x.at <= t).sort((a, b) => a.at - b.at);
      timers = timers.filter((x) => x.at > t);
      for (const x of due) x.run();
    },
  };
}

function counters(
  store: BucketStore,
  time: ReturnType<typeof manualTime>,
  holder = "a",
  holders?: number,
) {
  return new LimitCounters({
    store,
    now: time.now,
    setTimer: time.setTimer,
    shareMs: SHARE_MS,
    leaseMs: LEASE_MS,
    holder,
    holders,
  });
}

/** Lets syncs in flight and their promise chains finish (starts none). */
async function settle(..._all: LimitCounters[]): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((r) => setTimeout(r, 0));
}

Deno.test("one process, 10/min burst 10: calls 1–10 pass, the 11th is refused with the time to the next token", async () => {
  const time = manualTime();
  const store = memoryStore();
  const limits = counters(store, time);
  const first = limits.take("k", TEN_PER_MIN);
  assert.ok(first instanceof Promise, "the first call of a key waits for its claim");
  assert.deepEqual(await first, { ok: true });
  for (let i = 2; i <= 10; i++) {
    assert.deepEqual(limits.take("k", TEN_PER_MIN), { ok: true }, `call ${i} from the lease`);
  }
  const eleventh = limits.take("k", TEN_PER_MIN);
  assert.ok(!(eleventh instanceof Promise), "refused at once: the bucket is known empty");
  assert.equal(eleventh.ok, false);
  assert.equal((eleventh as { retryAfterMs: number }).retryAfterMs, 6000);
  assert.equal(store.syncs.get("a"), 1, "one database round trip for eleven calls");

  // Three seconds later half a token has come back: still refused, and sooner.
  time.advance(3000);
  await settle(limits);
  const early = await limits.take("k", TEN_PER_MIN);
  assert.equal(early.ok, false);
  assert.equal((early as { retryAfterMs: number }).retryAfterMs, 3000);
  // One token per 6 s: exactly one more call at 6 s.
  time.advance(3000);
  const later = limits.take("k", TEN_PER_MIN);
  await settle(limits);
  assert.deepEqual(await later, { ok: true });
  assert.equal((await limits.take("k", TEN_PER_MIN)).ok, false);
});

Deno.test("concurrent first calls share one claim: exactly burst pass", async () => {
  const time = manualTime();
  const store = memoryStore();
  const limits = counters(store, time);
  const results = await Promise.all(
    Array.from({ length: 25 }, () => limits.take("k", TEN_PER_MIN)),
  );
  assert.equal(results.filter((r) => r.ok).length, 10);
  assert.equal(store.syncs.get("a"), 1);
});

Deno.test("keys are separate buckets; a burst below the rate's count is honoured", async () => {
  const time = manualTime();
  const limits = counters(memoryStore(), time);
  const spec = { count: 100, periodMs: MINUTE, burst: 3 };
  const a = await Promise.all(Array.from({ length: 5 }, () => limits.take("a", spec)));
  // Another key's first claim waits for the next sync: once per share_ms per process.
  const pending = Array.from({ length: 5 }, () => limits.take("b", spec));
  time.advance(SHARE_MS);
  const b = await Promise.all(pending);
  assert.equal(a.filter((r) => r.ok).length, 3);
  assert.equal(b.filter((r) => r.ok).length, 3);
});

/** Two holders (processes, or isolates: `holders`) hammering one key, in lockstep with the clock. */
async function hammer(ms: number, stepMs: number, callsPerStep: number, holders?: number) {
  const time = manualTime();
  const store = memoryStore();
  const a = counters(store, time, "a", holders);
  const b = counters(store, time, "b", holders);
  let admitted = 0;
  const count = (r: Admission) => {
    if (r.ok) admitted++;
  };
  const pending: Promise<void>[] = [];
  for (let t = 0; t < ms; t += stepMs) {
    for (let i = 0; i < callsPerStep; i++) {
      for (const limits of [a, b]) {
        const r = limits.take("k", TEN_PER_MIN);
        if (r instanceof Promise) pending.push(r.then(count));
        else count(r);
      }
    }
    await settle(a, b);
    time.advance(stepMs);
  }
  time.advance(SHARE_MS);
  await settle(a, b);
  await Promise.all(pending);
  return { admitted, syncs: store.syncs };
}

Deno.test("two processes hammering one 10/min key: together at most burst in the first seconds", async () => {
  const { admitted, syncs } = await hammer(5000, 100, 5);
  console.log(`5 s, two holders, 500 calls: admitted ${admitted}, syncs ${[...syncs.values()]}`);
  assert.ok(admitted <= 10, `admitted ${admitted}`);
  assert.ok(admitted >= 10, `admitted ${admitted}: the bucket was used, not just refused`);
  // 50 steps × 10 calls each; syncs are per share interval, not per call.
  for (const [holder, n] of syncs) assert.ok(n <= 5 + 2, `${holder} synced ${n} times in 5 s`);
});

Deno.test("two processes over five minutes admit no more than one bucket would (burst + rate × time), and nearly that", async () => {
  const ms = 5 * MINUTE;
  const { admitted } = await hammer(ms, 1000, 2);
  console.log(`5 min, two holders: admitted ${admitted} of at most ${10 + ms / 6000}`);
  const bound = 10 + Math.floor(ms / 6000);
  assert.ok(admitted <= bound, `admitted ${admitted} > ${bound}`);
  assert.ok(admitted >= bound * 0.9, `admitted ${admitted}, expected near ${bound}`);
});

Deno.test("two isolates (holders = 2) hammering one 10/min key: together at most burst in the first seconds, and over five minutes at most one bucket", async () => {
  const short = await hammer(5000, 100, 5, 2);
  assert.equal(short.admitted, 10, `5 s: admitted ${short.admitted}`);
  const ms = 5 * MINUTE;
  const { admitted } = await hammer(ms, 1000, 2, 2);
  const bound = 10 + Math.floor(ms / 6000);
  assert.ok(admitted <= bound, `admitted ${admitted} > ${bound}`);
  assert.ok(admitted >= bound * 0.9, `admitted ${admitted}, expected near ${bound}`);
});

Deno.test("holders = 2: a key's first claim leases half the burst", async () => {
  const time = manualTime();
  const a = counters(memoryStore(), time, "a", 2);
  assert.deepEqual(await a.take("k", TEN_PER_MIN), { ok: true });
  for (let i = 2; i <= 5; i++) {
    assert.deepEqual(a.take("k", TEN_PER_MIN), { ok: true }, `call ${i} from the lease of 5`);
  }
  assert.ok(a.take("k", TEN_PER_MIN) instanceof Promise, "the 6th needs another claim");
});

Deno.test("holders = 2: the other isolate's first call is admitted at its first sync, without waiting for a hand-back", async () => {
  const time = manualTime();
  const store = memoryStore();
  const a = counters(store, time, "a", 2);
  const b = counters(store, time, "b", 2);
  assert.deepEqual(await a.take("k", TEN_PER_MIN), { ok: true });
  let got: Admission | null = null;
  void Promise.resolve(b.take("k", TEN_PER_MIN)).then((r) => got = r);
  await settle(a, b); // b's first sync; the clock stands still, so a never hands back
  assert.deepEqual(got, { ok: true }, "b waited for a's lease of the whole burst");
  assert.equal(store.syncs.get("a"), 1);
  assert.equal(store.syncs.get("b"), 1);
  // Both leases spent: 10 in all, and nothing more until refill, however long they wait.
  let admitted = 2;
  const more: Promise<Admission>[] = [];
  for (const limits of [a, b, a, b]) {
    for (let i = 0; i < 6; i++) {
      const r = limits.take("k", TEN_PER_MIN);
      if (r instanceof Promise) more.push(r);
      else if (r.ok) admitted++;
    }
  }
  for (let i = 0; i < 4; i++) {
    await settle(a, b);
    time.advance(SHARE_MS);
  }
  await settle(a, b);
  admitted += (await Promise.all(more)).filter((r) => r.ok).length;
  assert.equal(admitted, 10);
});

Deno.test("holders = 2: one isolate alone still spends the whole burst, after at most one more sync", async () => {
  const time = manualTime();
  const store = memoryStore();
  const a = counters(store, time, "a", 2);
  const first = a.take("k", TEN_PER_MIN);
  await Promise.resolve(); // its sync is in flight: the next calls arrive during it
  const calls = [first, ...Array.from({ length: 9 }, () => a.take("k", TEN_PER_MIN))];
  await settle(a);
  time.advance(SHARE_MS);
  await settle(a);
  const results = await Promise.all(calls);
  assert.equal(results.filter((r) => r.ok).length, 10);
  assert.equal(store.syncs.get("a"), 2, "one sync more than alone with holders = 1");
  assert.equal((a.take("k", TEN_PER_MIN) as Admission).ok, false, "the burst is spent");

  // Ten at once before the first sync: their claim covers them all.
  const b = counters(memoryStore(), time, "b", 2);
  const together = await Promise.all(Array.from({ length: 10 }, () => b.take("k", TEN_PER_MIN)));
  assert.equal(together.filter((r) => r.ok).length, 10);
});

Deno.test("a lease one process does not spend goes back at its next sync and the other gets it", async () => {
  const time = manualTime();
  const store = memoryStore();
  const a = counters(store, time, "a");
  const b = counters(store, time, "b");
  assert.deepEqual(await a.take("k", TEN_PER_MIN), { ok: true }, "a claims the whole burst");
  // b finds the bucket empty but a's lease outstanding: it waits rather than refusing.
  const waiting = b.take("k", TEN_PER_MIN);
  assert.ok(waiting instanceof Promise);
  await settle(a, b);
  time.advance(SHARE_MS); // a hands back 9; b's second sync takes them
  await settle(a, b);
  time.advance(SHARE_MS);
  await settle(a, b);
  assert.deepEqual(await waiting, { ok: true });
  const rest = await Promise.all(Array.from({ length: 12 }, () => b.take("k", TEN_PER_MIN)));
  assert.ok(rest.filter((r) => r.ok).length <= 8, "a's spent call and b's count: 10 in all");
});

Deno.test("a holder whose hand-back sync runs late still gives the waiting call its tokens (two isolates' first calls at once)", async () => {
  const time = manualTime();
  const store = memoryStore();
  const a = counters(store, time, "a");
  // a's event loop is busy: its timers fire 5 ms late, so b's next sync comes first.
  const late = new LimitCounters({
    store,
    now: time.now,
    setTimer: (run, ms) => time.setTimer(run, ms + 5),
    shareMs: SHARE_MS,
    leaseMs: LEASE_MS,
    holder: "a-late",
  });
  assert.deepEqual(await late.take("k", TEN_PER_MIN), { ok: true }, "a claims the whole burst");
  const waiting = a.take("k", TEN_PER_MIN);
  assert.ok(waiting instanceof Promise);
  for (let i = 0; i < 3; i++) {
    await settle(a, late);
    time.advance(SHARE_MS);
  }
  await settle(a, late);
  time.advance(10);
  await settle(a, late);
  assert.deepEqual(await waiting, { ok: true }, "refused although 9 tokens were handed back");
});

Deno.test("the number of keys is bounded: the least recently used goes", async () => {
  const time = manualTime();
  const limits = new LimitCounters({
    store: memoryStore(),
    now: time.now,
    setTimer: time.setTimer,
    shareMs: SHARE_MS,
    leaseMs: LEASE_MS,
    maxKeys: 3,
  });
  for (const key of ["a", "b", "c", "d", "e"]) {
    const taken = limits.take(key, TEN_PER_MIN);
    time.advance(SHARE_MS);
    await taken;
  }
  assert.equal(limits.size, 3);
});

Deno.test("when the database cannot be reached the waiting calls are refused, not let through", async () => {
  const time = manualTime();
  const store = memoryStore();
  store.fail = true;
  const errors: unknown[] = [];
  const limits = new LimitCounters({
    store,
    now: time.now,
    setTimer: time.setTimer,
    shareMs: SHARE_MS,
    leaseMs: LEASE_MS,
    onError: (e) => errors.push(e),
  });
  const r = await limits.take("k", TEN_PER_MIN);
  assert.equal(r.ok, false);
  assert.equal(errors.length, 1);
});

Deno.test("a call that arrives while a failing sync is in flight is judged at the next sync, not left waiting", async () => {
  const time = manualTime();
  const memory = memoryStore();
  let open!: () => void;
  const gate = new Promise<void>((resolve) => open = resolve);
  let down = true;
  const store: BucketStore = {
    async settle(holder, claims, now) {
      if (!down) return memory.settle(holder, claims, now);
      await gate;
      throw new Error("database is locked");
    },
  };
  const limits = new LimitCounters({
    store,
    now: time.now,
    setTimer: time.setTimer,
    shareMs: SHARE_MS,
    leaseMs: LEASE_MS,
    onError: () => {},
  });
  const first = limits.take("k", TEN_PER_MIN);
  await settle(limits); // its sync is now waiting on the database
  let second: Admission | null = null;
  void Promise.resolve(limits.take("k", TEN_PER_MIN)).then((r) => second = r);
  open();
  assert.equal((await first).ok, false, "fail closed for the call the sync was for");
  down = false;
  time.advance(SHARE_MS);
  await settle(limits);
  assert.deepEqual(second, { ok: true }, "the later call got the next sync's answer");
});

Deno.test("close hands unspent leases back", async () => {
  const time = manualTime();
  const store = memoryStore();
  const a = counters(store, time, "a");
  await a.take("k", TEN_PER_MIN);
  await a.close();
  const b = counters(store, time, "b");
  const got = await Promise.all(Array.from({ length: 12 }, () => b.take("k", TEN_PER_MIN)));
  assert.equal(got.filter((r) => r.ok).length, 9);
});

Deno.test("a steady caller well under its limit costs the database about one sync every other interval, and never waits after the first call", async () => {
  const time = manualTime();
  const store = memoryStore();
  const limits = counters(store, time);
  const spec = { count: 1000, periodMs: MINUTE, burst: 1000 };
  let waited = 0;
  for (let second = 0; second < 20; second++) {
    for (let i = 0; i < 5; i++) {
      const r = limits.take("k", spec);
      if (r instanceof Promise) {
        waited++;
        assert.deepEqual(await r, { ok: true });
      } else assert.deepEqual(r, { ok: true });
      time.advance(200);
      await settle(limits);
    }
  }
  assert.equal(waited, 1, "only the key's first call waited");
  const syncs = store.syncs.get("a")!;
  assert.ok(syncs <= 12, `${syncs} syncs in 20 s`);
});

Deno.test("remaining never exceeds the burst: the lease and the bucket's unclaimed tokens together are at most it", async () => {
  const time = manualTime();
  const store = memoryStore();
  const limits = counters(store, time);
  const spec = { count: 100, periodMs: 1_000, burst: 100 };
  let most = 0;
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < 50; i++) {
      const taken = limits.take("k", spec);
      if (taken instanceof Promise) await taken;
      most = Math.max(most, limits.remaining("k"));
    }
    time.advance(SHARE_MS);
    await settle(limits);
    most = Math.max(most, limits.remaining("k"));
  }
  assert.ok(most <= spec.burst, `r reached ${most} with a burst of ${spec.burst}`);
  assert.ok(most >= 50, `and still counts the bucket (${most})`);
});

Deno.test("take(n): 0 takes nothing, n = burst takes the whole burst at once, more than the burst is refused at once and takes nothing", async () => {
  const time = manualTime();
  const limits = counters(memoryStore(), time);
  assert.deepEqual(limits.take("k", TEN_PER_MIN, 0), { ok: true });
  assert.equal(limits.size, 0, "n = 0 counts nothing, not even a key");
  const over = limits.take("k", TEN_PER_MIN, 11);
  assert.ok(!(over instanceof Promise), "more than the burst never passes: no sync to wait for");
  assert.equal(over.ok, false);
  assert.deepEqual(await limits.take("k", TEN_PER_MIN, 10), { ok: true });
  assert.equal(limits.remaining("k"), 0);
  const next = limits.take("k", TEN_PER_MIN, 1);
  assert.ok(!(next instanceof Promise) && !next.ok, "the burst is spent");
  assert.equal((next as { retryAfterMs: number }).retryAfterMs, 6000);
});

Deno.test("take(n): all or nothing; a refusal for want of tokens says when n tokens are back", async () => {
  const time = manualTime();
  const limits = counters(memoryStore(), time);
  assert.deepEqual(await limits.take("k", TEN_PER_MIN, 7), { ok: true });
  const four = limits.take("k", TEN_PER_MIN, 4);
  assert.ok(!(four instanceof Promise) && !four.ok, "3 left: 4 is refused whole");
  assert.equal((four as { retryAfterMs: number }).retryAfterMs, 6000, "one more token: 6 s");
  assert.equal(limits.remaining("k"), 3, "the refused take spent nothing");
  assert.deepEqual(limits.take("k", TEN_PER_MIN, 3), { ok: true });
  const five = limits.take("k", TEN_PER_MIN, 5);
  assert.equal((five as { retryAfterMs: number }).retryAfterMs, 30_000, "five tokens: 30 s");
  limits.refund("k", 2);
  assert.equal(limits.remaining("k"), 2, "refund(n) gives n back");
});

Deno.test("take(n): concurrent takes of a new key share one claim and together never pass the burst", async () => {
  const time = manualTime();
  const store = memoryStore();
  const limits = counters(store, time);
  const sizes = [4, 4, 4, 1, 1];
  const results = await Promise.all(sizes.map((n) => limits.take("k", TEN_PER_MIN, n)));
  assert.deepEqual(results.map((r) => r.ok), [true, true, false, true, true]);
  assert.equal(store.syncs.get("a"), 1);
  assert.equal(limits.remaining("k"), 0);
});

Deno.test("take(n): a take larger than this holder's lease is judged on the shared bucket: admitted when it holds n, refused when the burst cannot", async () => {
  const time = manualTime();
  const store = memoryStore();
  const a = counters(store, time, "a");
  const b = counters(store, time, "b");
  assert.deepEqual(await a.take("k", TEN_PER_MIN, 1), { ok: true }, "a claims the whole burst");
  // a's lease holds 9; b's 5 wait for a's hand-back, however the two syncs fall.
  const five = b.take("k", TEN_PER_MIN, 5);
  assert.ok(five instanceof Promise);
  for (let i = 0; i < 3; i++) {
    await settle(a, b);
    time.advance(SHARE_MS);
  }
  await settle(a, b);
  assert.deepEqual(await five, { ok: true });
  // 6 of 10 spent, 3 s of refill (half a token): 4.5 left, a's lease back in the bucket.
  const over = b.take("k", TEN_PER_MIN, 5);
  assert.ok(!(over instanceof Promise) && !over.ok, "5 do not fit: refused at once");
  assert.equal((over as { retryAfterMs: number }).retryAfterMs, 3000, "half a token to go");
  assert.deepEqual(await b.take("k", TEN_PER_MIN, 4), { ok: true }, "4 fit");
});

Deno.test("take(n): a take of more than 1000 tokens (the waiting calls' bound) is admitted when the burst holds it", async () => {
  const time = manualTime();
  const limits = counters(memoryStore(), time);
  const spec = { count: 5000, periodMs: MINUTE, burst: 5000 };
  assert.deepEqual(await limits.take("k", spec, 1500), { ok: true });
  assert.equal(limits.remaining("k"), 3500);
});
