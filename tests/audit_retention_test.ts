/**
 * Retention as operators configure it: `[audit] retain_days` in the config,
 * applied by a running `serve` (at start, then every minute), recorded in
 * the chain, and the pruned log still verifies.
 */
import assert from "node:assert/strict";
import { appendAudit } from "../src/audit/append.ts";
import type { AuditEvent } from "../src/audit/audit_types.ts";
import { AuditWriter } from "../src/audit/audit_writer.ts";
import { runCliProcess, startServeProcess } from "./helpers/process.ts";
import { openTempAppliance } from "./helpers/temp_appliance.ts";

const DAY = 86_400_000;

Deno.test("audit retention: serve prunes records older than retain_days, records it, and the rest verifies", async () => {
  const temp = await openTempAppliance({ raw: { audit: { retain_days: 1 } } });
  try {
    const { database } = temp.appliance;
    const now = Date.now();
    const event = (kind: string, at: number, i: number): AuditEvent => ({
      kind,
      at,
      appId: "app_1",
      data: { i },
    });
    // 20 rows and a 50-record pack from before the window, 5 rows inside it.
    for (let i = 0; i < 20; i++) {
      await database.transaction((tx) =>
        appendAudit(tx, [event("session.created", now - 3 * DAY, i)])
      );
    }
    const writer = new AuditWriter({ database, intervalMs: 60_000 });
    for (let i = 0; i < 50; i++) writer.record(event("proxy.request", now - 2 * DAY + i, i));
    await writer.stop();
    for (let i = 0; i < 5; i++) {
      await database.transaction((tx) =>
        appendAudit(tx, [event("session.created", now - 3_600_000, i)])
      );
    }
    temp.appliance.close();

    const serve = await startServeProcess({ cwd: temp.dir, timeoutMs: 30_000 });
    let pruned: { data: Record<string, unknown> } | undefined;
    try {
      for (let i = 0; i < 40 && !pruned; i++) {
        const out = await runCliProcess(["audit", "export", "--kind", "admin.audit.pruned"], {
          cwd: temp.dir,
        });
        pruned = out.stdout.trim() ? JSON.parse(out.stdout.trim().split("\n")[0]) : undefined;
        if (!pruned) await new Promise((r) => setTimeout(r, 250));
      }
    } finally {
      await serve.stop();
    }
    assert.ok(pruned, "serve recorded a prune");
    assert.equal(pruned.data.records, 70);
    assert.equal(pruned.data.actor, "serve");

    const verified = await runCliProcess(["audit", "verify", "--json"], { cwd: temp.dir });
    assert.equal(verified.code, 0, verified.stderr);
    const result = JSON.parse(verified.stdout);
    assert.equal(result.ok, true);
    assert.equal(result.pruned, 70);
    const left = await runCliProcess(["audit", "export", "--kind", "session"], { cwd: temp.dir });
    assert.equal(left.stdout.trim().split("\n").length, 5, "the records inside the window stay");
  } finally {
    await temp.cleanup();
  }
});
