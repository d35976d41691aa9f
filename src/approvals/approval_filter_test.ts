import assert from "node:assert/strict";
import type { Database } from "../db/client.ts";
import { loadRuleSet } from "../rules/rule_book.ts";
import { approvalFilter } from "./approval_filter.ts";
import { ApprovalSignals } from "./approval_signals.ts";

function filterFor(rules: Record<string, unknown>[]) {
  const loaded = loadRuleSet({ rules });
  assert.ok(loaded.ok);
  return approvalFilter({
    set: loaded.set,
    database: {} as Database,
    now: () => 0,
    maxInspectBytes: 1024,
    ttlMs: 60_000,
    publicUrl: "https://sx.example.com",
    signals: new ApprovalSignals(),
  });
}

Deno.test("approval filter: absent unless an enabled approve rule exists (the plain path stays plain)", () => {
  assert.equal(filterFor([]), null);
  assert.equal(
    filterFor([{ name: "d", target: "gmail.users.messages.send", effect: "deny" }]),
    null,
  );
  assert.equal(
    filterFor([{
      name: "a",
      target: "gmail.users.messages.send",
      effect: "approve",
      enabled: false,
    }]),
    null,
  );
  const filter = filterFor([{ name: "a", target: "gmail.users.messages.send", effect: "approve" }]);
  assert.equal(filter?.name, "approvals");
  assert.equal(filter?.response, undefined, "no response hook: answers stream untouched");
});

Deno.test("approval signals: a decision wakes its waiters only; an abort or the bound ends a wait", async () => {
  const signals = new ApprovalSignals();
  const never = new AbortController();
  let woke = false;
  const waiting = signals.sleep("apr_a", 60_000, never.signal).then(() => woke = true);
  const other = new AbortController();
  const otherWait = signals.sleep("apr_b", 60_000, other.signal);
  assert.equal(signals.waiting, 2);
  signals.notify("apr_a");
  await waiting;
  assert.ok(woke);
  assert.equal(signals.waiting, 1);
  other.abort();
  await otherWait;
  assert.equal(signals.waiting, 0);
  await signals.sleep("apr_c", 1, never.signal);
  assert.equal(signals.waiting, 0);
});
