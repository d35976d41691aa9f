/**
 * The command layer: one function per admin operation, the actor in its
 * audit record, and the after-commit hooks called once the change is
 * committed — never for a change that failed.
 */
import assert from "node:assert/strict";
import { adminActor } from "../src/audit/actor.ts";
import { listRecords } from "../src/audit/read_records.ts";
import { addAgentCommand } from "../src/commands/add_agent.ts";
import type { AfterCommit, CommandContext } from "../src/commands/command_context.ts";
import { createAppCommand } from "../src/commands/create_app.ts";
import { decideApprovalCommand } from "../src/commands/decide_approval.ts";
import { SecurixError } from "../src/errors/securix_error.ts";
import { requestApproval } from "../src/approvals/approval_request.ts";
import { revokeKeyCommand } from "../src/commands/revoke_key.ts";
import { setConnectionPausedCommand } from "../src/commands/set_connection_paused.ts";
import { getConnection } from "../src/connections/connection_store.ts";
import { seedConnection } from "./helpers/seed.ts";
import { openTempAppliance } from "./helpers/temp_appliance.ts";

function recorder() {
  const calls: string[] = [];
  const after: AfterCommit = {
    agentsChanged: () => calls.push("agents"),
    appChanged: (id) => calls.push(`app:${id}`),
    connectionChanged: (c) => calls.push(`connection:${c.id}`),
  };
  return { calls, after };
}

Deno.test("commands: the actor goes into the audit record; hooks run after commit, not on failure", async () => {
  const temp = await openTempAppliance();
  try {
    const { appliance } = temp;
    const { calls, after } = recorder();
    const ctx: CommandContext = { ...appliance, by: adminActor("ops"), after };
    const { app, record } = await createAppCommand(ctx, { name: "shop", origins: [] });
    await addAgentCommand(ctx, app.id, { agentId: "agent-1" });
    assert.deepEqual(calls, ["agents"]);
    await assert.rejects(addAgentCommand(ctx, app.id, { agentId: "agent-1" }), /already/);
    assert.deepEqual(calls, ["agents"], "no hook for a refused change");

    await revokeKeyCommand(ctx, record.id);
    await revokeKeyCommand(ctx, record.id);
    assert.deepEqual(calls, ["agents", `app:${app.id}`], "once: the second revoke changed nothing");

    const connection = await seedConnection(appliance, {
      id: "conn_cmd",
      appId: app.id,
      entityId: "alice",
      provider: "gmail",
      accessToken: "t",
    });
    await setConnectionPausedCommand(ctx, connection, true);
    assert.equal((await getConnection(appliance.database.db, connection.id))?.status, "paused");
    assert.equal(calls.at(-1), "connection:conn_cmd");
    await assert.rejects(setConnectionPausedCommand(ctx, connection, true), /SX-|paused|active/);
    assert.equal(calls.filter((c) => c.startsWith("connection")).length, 1);

    const records = await listRecords(appliance.database.db, {
      kinds: "admin.app.created,admin.agent.added,admin.key.revoked,connection.paused",
    });
    assert.deepEqual(records.map((r) => r.kind), [
      "admin.app.created",
      "admin.agent.added",
      "admin.key.revoked",
      "connection.paused",
    ]);
    assert.ok(records.every((r) => r.data.actor === "admin:ops"), JSON.stringify(records));
  } finally {
    await temp.cleanup();
  }
});

Deno.test("commands: approvals decide audits the actor; the decide hook runs once, after commit", async () => {
  const temp = await openTempAppliance();
  try {
    const { appliance } = temp;
    const decided: string[] = [];
    const ctx: CommandContext = {
      ...appliance,
      by: adminActor("ops"),
      after: { approvalDecided: (a) => decided.push(a.id) },
    };
    const { app } = await createAppCommand(ctx, { name: "shop", origins: [] });
    const held = await requestApproval({
      database: appliance.database,
      now: appliance.now,
      publicUrl: "https://sx.example.com",
      ttlMs: 3_600_000,
    }, {
      appId: app.id,
      agentId: "agent-1",
      entityId: "alice",
      connectionId: "conn_1",
      provider: "gmail",
      operation: "gmail.users.messages.send",
      rule: "send_needs_ok",
      method: "POST",
      path: "/gmail/v1/users/me/messages/send",
      requestHash: "a".repeat(64),
      summary: {
        text: "Send an email",
        operation: "gmail.users.messages.send",
        method: "POST",
        path: "/gmail/v1/users/me/messages/send",
      },
    });
    const approved = await decideApprovalCommand(ctx, {
      id: held.id,
      decision: "approve",
      ttlMs: 60_000,
    });
    assert.equal(approved.decidedBy, "admin:ops");
    assert.deepEqual(decided, [held.id]);
    await assert.rejects(
      decideApprovalCommand(ctx, { id: held.id, decision: "deny", ttlMs: 60_000 }),
      (e: unknown) => e instanceof SecurixError && e.code === "SX-APPROVAL-CLOSED",
    );
    assert.deepEqual(decided, [held.id], "no hook for a refused decision");
    const records = await listRecords(appliance.database.db, { kinds: "approval.decided" });
    assert.equal(records.length, 1);
    assert.equal((records[0].data as Record<string, unknown>).actor, "admin:ops");
  } finally {
    await temp.cleanup();
  }
});
