import assert from "node:assert/strict";
import {
  catchUpMessages,
  runnableIsolates,
  servingIsolates,
  type ServingPoolOptions,
} from "./serving_pool.ts";

Deno.test('serving pool: workers = "auto" is one isolate per core, a number is itself', () => {
  assert.equal(servingIsolates("auto", 8), 8);
  assert.equal(servingIsolates("auto", 0), 1, "an unknown core count still serves");
  assert.equal(servingIsolates(3, 8), 3);
  assert.equal(servingIsolates(1, 64), 1);
});

Deno.test("serving pool: without a shareable port serve (and doctor) count one isolate", () => {
  assert.equal(runnableIsolates(4, 8, "127.0.0.1", () => false), 1);
  assert.equal(runnableIsolates("auto", 8, "127.0.0.1", () => true), 8);
  assert.equal(runnableIsolates(1, 8, "127.0.0.1", () => false), 1);
});

Deno.test("serving pool: keyFailed is required (its absence would fail the lockout open)", () => {
  // A type check: with an optional keyFailed this assignment does not compile.
  type KeyFailed = ServingPoolOptions["keyFailed"];
  const required: undefined extends KeyFailed ? false : true = true;
  assert.equal(required, true);
});

Deno.test("serving pool: an isolate that reports listening is told the rules, backlog and lockouts", () => {
  assert.deepEqual(catchUpMessages({ rules: null, backlogged: false, lockouts: [] }), []);
  const raw = { rules: [] };
  assert.deepEqual(
    catchUpMessages({ rules: raw, backlogged: true, lockouts: [{ key: "203.0.113.9", until: 9 }] }),
    [
      { type: "rules", raw },
      { type: "backlog", backlogged: true },
      { type: "lockOut", key: "203.0.113.9", until: 9 },
    ],
  );
});
