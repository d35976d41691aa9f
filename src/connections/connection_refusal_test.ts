import assert from "node:assert/strict";
import { connectionRefusal, type DoorWording, REFUSALS } from "./connection_refusal.ts";
import { CONNECTION_STATUSES } from "./connection_types.ts";

const DOOR: DoorWording = {
  notConnected: (provider, status) => ({
    message: `no ${provider} (${status})`,
    llmError: "connect",
    details: { status },
  }),
  // A door's details cannot hide that the provider refused the refresh token.
  needsReauth: () => ({ message: "gone", llmError: "reconnect", details: { status: "x", y: 1 } }),
};

Deno.test("connection refusal: every status has an answer, and only active is usable", () => {
  assert.deepEqual(Object.keys(REFUSALS).toSorted(), [...CONNECTION_STATUSES].toSorted());
  for (const status of CONNECTION_STATUSES) {
    assert.equal(connectionRefusal(status, "gmail", DOOR) === null, status === "active", status);
  }
});

Deno.test("connection refusal: code, HTTP status and shared details are its own; words are the door's", () => {
  const none = connectionRefusal(null, "gmail", DOOR)!;
  assert.deepEqual([none.code, none.status, none.message, none.llmError], [
    "SX-NOT-CONNECTED",
    401,
    "no gmail (null)",
    "connect",
  ]);
  const reauth = connectionRefusal("needs_reauth", "gmail", DOOR)!;
  assert.deepEqual([reauth.code, reauth.status], ["SX-TOKEN-EXPIRED", 401]);
  assert.deepEqual(reauth.details, { status: "needs_reauth", y: 1 });
  // A door without its own paused words gets the ones every door uses.
  const paused = connectionRefusal("paused", "gmail", DOOR)!;
  assert.deepEqual([paused.code, paused.status, paused.message], [
    "SX-PAUSED",
    403,
    "The gmail connection is paused",
  ]);
  assert.equal(paused.details, null);
});
