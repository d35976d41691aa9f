import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { buildPack, packedRecordHash, readPack } from "./audit_pack.ts";
import type { AuditEvent } from "./audit_types.ts";
import { chainedFields, chainHash } from "./chain.ts";

/**
 * Events as the audit thread receives them (after the JSON round trip) and
 * as direct callers pass them: flat and nested data, unsorted keys, nulls,
 * missing fields, text SQLite would not hand back as given, big and odd numbers.
 */
const EVENTS: AuditEvent[] = [
  {
    kind: "proxy.request",
    at: 1_796_201_234_567,
    appId: "app_bench",
    agentId: "agent-1",
    entityId: "user-7",
    provider: "gmail",
    data: {
      bytesIn: 0,
      bytesOut: 1834,
      class: "read",
      decision: "allowed",
      durationMs: 12,
      host: "gmail.api.securix.test",
      method: "GET",
      note: null,
      operation: "gmail.users.messages.list",
      path: "/gmail/v1/users/me/messages?maxResults",
      status: 200,
    },
  },
  {
    kind: "proxy.request",
    at: 1_796_201_234_568,
    appId: "app_bench",
    agentId: null,
    entityId: "user-7",
    provider: "gmail",
    data: { status: 403, decision: "denied", error: "SX-SCOPE-DISABLED", rules: ["a", "b"] },
  },
  {
    kind: "proxy.request",
    at: 1_796_201_234_568.5,
    appId: "app\0nul",
    entityId: "lone \uD800 surrogate",
    provider: "drive",
    data: {
      z: { b: 1, a: [{ y: 2, x: null }] },
      a: 'quote " backslash \\ newline \n tab \t \u2028 \uD83D\uDE00',
      n: 1e21,
      m: -0,
      s: 5e-7,
      t: true,
      u: undefined,
      lone: "\uDC00",
    },
  },
  { kind: "proxy.request", at: 1, data: {} },
  { kind: "proxy.request", at: 2, appId: "", agentId: "", entityId: "", provider: "", data: {} },
];

const IDS = EVENTS.map((_, i) => `aud_00000000${i}${"ab".repeat(10)}`);
const PREV = createHash("sha256").update("previous pack").digest("hex");
const sha = (text: string) => createHash("sha256").update(text).digest("hex");

// Computed by the code before the audit thread's per-record work was cut: what is
// stored and hashed must not change, or `securix audit verify` breaks on old rows.
const GOLDEN = {
  dataSha: "e8578dffa2ad599dbf008c5b9a10e1bea66e8b49283e2934c07e8207bb8a7b94",
  hash: "78a1f10a495a2ae4a21948846d48f5917542c27e4246a98a13185ac021816bfb",
  rowHashes: [
    "0243937081d9fd63d8155b95b941d501ed5bbef27d5ba67c1c92ac873e75725b",
    "b617b47ac4b9e6c73d6fd651d34b9cbb86c7c75c0bb0cdb964e3897f304840d3",
    "21c694d464ee7b802809be012febbcbf9ad56d9d39b50e1292131a4828aead89",
    "dca9dacd86c05316385d46293df060db2b2494c186b5af5a4b612f34d1aeed14",
    "78a1f10a495a2ae4a21948846d48f5917542c27e4246a98a13185ac021816bfb",
  ],
};

for (
  const [label, events] of [
    ["as given", EVENTS],
    ["after the audit thread's JSON round trip", JSON.parse(JSON.stringify(EVENTS))],
  ] as const
) {
  Deno.test(`buildPack: the stored text and hashes of a fixed batch are unchanged (${label})`, () => {
    const pack = buildPack(events, IDS, PREV);
    assert.equal(sha(pack.data), GOLDEN.dataSha);
    assert.equal(pack.hash, GOLDEN.hash);
    assert.deepEqual(
      [pack.id, pack.kind, pack.at, pack.lastAt, pack.records, pack.prevHash],
      [IDS[0], "proxy.request", 1, 1_796_201_234_568.5, EVENTS.length, PREV],
    );
    let prev = PREV;
    for (const record of readPack(pack.data)) {
      assert.equal(packedRecordHash(prev, record), record.hash);
      prev = record.hash;
    }
    assert.equal(prev, pack.hash);
  });
}

Deno.test("chainHash: a single row's hash of each fixed event is unchanged", () => {
  let prev = PREV;
  const hashes = EVENTS.map((event, i) => (prev = chainHash(prev, chainedFields(event, IDS[i]))));
  assert.deepEqual(hashes, GOLDEN.rowHashes);
});
