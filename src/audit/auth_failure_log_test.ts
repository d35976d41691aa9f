import assert from "node:assert/strict";
import type { AuditEvent } from "./audit_types.ts";
import { AuthFailureLog, OTHER_ADDRESSES, summaryAddress } from "./auth_failure_log.ts";

Deno.test("auth failure log: one summary per address and minute, with the count and reasons", () => {
  const events: AuditEvent[] = [];
  const log = new AuthFailureLog({ emit: (e) => events.push(e), maxAddresses: 100 });
  for (let i = 0; i < 1_000; i++) log.record("192.0.2.1", i < 20 ? "invalid_key" : "locked_out", i);
  log.record("192.0.2.2", "missing_key", 10);
  log.flush(59_999);
  assert.equal(events.length, 0, "the minute has not ended");
  log.record("192.0.2.1", "invalid_key", 60_500);
  assert.equal(events.length, 1, "a new minute closes the address's summary");
  log.flush(61_000);
  assert.equal(events.length, 2);
  log.flushAll();
  assert.equal(events.length, 3);
  const first = events.find((e) => e.data.address === "192.0.2.1" && e.data.count === 1_000)!;
  assert.equal(first.kind, "auth.failed");
  assert.deepEqual(first.data.reasons, { invalid_key: 20, locked_out: 980 });
  assert.equal(first.data.from, new Date(0).toISOString());
  assert.equal(first.data.to, new Date(999).toISOString());
  assert.equal(events.reduce((n, e) => n + (e.data.count as number), 0), 1_002);
});

Deno.test("auth failure log: past maxAddresses in a minute, failures are summed under one address", () => {
  const events: AuditEvent[] = [];
  const log = new AuthFailureLog({ emit: (e) => events.push(e), maxAddresses: 10 });
  for (let i = 0; i < 5_000; i++) log.record(`10.0.${i >> 8}.${i & 255}`, "invalid_key", 1_000);
  assert.ok(log.open <= 11);
  log.flushAll();
  assert.equal(events.length, 11);
  const other = events.find((e) => e.data.address === OTHER_ADDRESSES)!;
  assert.equal(other.data.count, 4_990);
});

Deno.test("auth failure log: addresses are recorded canonical and bounded", () => {
  assert.equal(summaryAddress("::ffff:192.0.2.1"), "192.0.2.1");
  assert.equal(summaryAddress("2001:DB8:0:0::1"), "2001:db8::1");
  assert.equal(summaryAddress("fe80::1%" + "a".repeat(5_000)), "fe80::1");
  assert.equal(summaryAddress("unknown"), "unknown");
  assert.equal(summaryAddress("x".repeat(5_000)), "unknown");
  const events: AuditEvent[] = [];
  const log = new AuthFailureLog({ emit: (e) => events.push(e), maxAddresses: 10 });
  log.record("2001:db8::1", "invalid_key", 0);
  log.record("2001:db8:0:0:0:0:0:1", "invalid_key", 1);
  log.record("fe80::1%" + "z".repeat(5_000), "invalid_key", 2);
  log.flushAll();
  assert.deepEqual(
    events.map((e) => [e.data.address, e.data.count]),
    [["2001:db8::1", 2], ["fe80::1", 1]],
  );
});
