import assert from "node:assert/strict";
import { createApp } from "../apps/app_store.ts";
import { listRecords } from "../audit/read_records.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { openSecondDatabase, openTempAppliance } from "../../tests/helpers/temp_appliance.ts";
import { decideApproval } from "./approval_decide.ts";
import { requestApproval } from "./approval_request.ts";
import {
  APPROVAL_KEEP_MS,
  claimUse,
  findApproval,
  listApprovals,
  pruneApprovals,
} from "./approval_store.ts";

const HOUR = 3_600_000;

function held(appId: string) {
  return {
    appId,
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
      text: "Send an email to bob@acme.com",
      operation: "gmail.users.messages.send",
      method: "POST",
      path: "/gmail/v1/users/me/messages/send",
    },
  };
}

function code(expected: string) {
  return (e: unknown) => e instanceof SecurixError && e.code === expected;
}

Deno.test("approvals: decided once, by one of two racing deciders; app-scoped; expiry derived from the clock", async () => {
  let clock = Date.parse("2030-01-01T12:00:00Z");
  const temp = await openTempAppliance({ now: () => clock });
  const { database } = temp.appliance;
  try {
    const now = () => clock;
    const app = await createApp(database.db, { name: "demo", origins: [] }, { now });
    const other = await createApp(database.db, { name: "other", origins: [] }, { now });
    const deps = { database, now, publicUrl: "https://sx.example.com", ttlMs: HOUR };
    const a = await requestApproval(deps, held(app.id));
    assert.equal(a.status, "pending");
    assert.equal(a.expiresAt, clock + HOUR);

    // Another app neither sees nor decides it.
    assert.equal(await findApproval(database.db, a.id, clock, other.id), null);
    await assert.rejects(
      decideApproval(deps, {
        id: a.id,
        decision: "approve",
        by: { actor: "api:key_x" },
        appId: other.id,
      }),
      code("SX-APPROVAL-NOT-FOUND"),
    );

    const woken: string[] = [];
    const decide = (decision: "approve" | "deny") =>
      decideApproval({ ...deps, onDecided: (d) => woken.push(d.id) }, {
        id: a.id,
        decision,
        by: { actor: "cli", osUser: "op" },
      });
    const results = await Promise.allSettled([decide("approve"), decide("deny")]);
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
    const lost = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    assert.equal((lost.reason as SecurixError).code, "SX-APPROVAL-CLOSED");
    assert.deepEqual(woken, [a.id]);
    const decided = (await findApproval(database.db, a.id, clock))!;
    assert.equal(decided.decidedBy, "cli");

    const records = await listRecords(database.db, {});
    assert.deepEqual(
      records.map((r) => r.kind).filter((k) => k.startsWith("approval.")),
      ["approval.requested", "approval.decided"],
    );
    assert.equal(records.at(-1)?.data.osUser, "op");

    // Expiry: a pending approval past its time is expired everywhere, and cannot be decided.
    const b = await requestApproval(deps, held(app.id));
    clock += HOUR;
    assert.equal((await findApproval(database.db, b.id, clock))!.status, "expired");
    // An approved but unused approval lapses too.
    const expired = await listApprovals(database.db, { appId: app.id, status: "expired" }, clock);
    assert.deepEqual(
      expired.map((x) => x.id).sort(),
      (decided.status === "approved" ? [a.id, b.id] : [b.id]).sort(),
    );
    assert.deepEqual(await listApprovals(database.db, { status: "pending" }, clock), []);
    await assert.rejects(
      decideApproval(deps, { id: b.id, decision: "approve", by: { actor: "link" } }),
      code("SX-APPROVAL-CLOSED"),
    );
    await assert.rejects(
      decideApproval(deps, { id: "apr_nope", decision: "approve", by: { actor: "link" } }),
      code("SX-APPROVAL-NOT-FOUND"),
    );

    // Housekeeping keeps ended approvals listable for a while, then drops them.
    assert.equal(await pruneApprovals(database.db, clock), 0);
    clock += APPROVAL_KEEP_MS;
    assert.equal(await pruneApprovals(database.db, clock), 2);
    assert.deepEqual(await listApprovals(database.db, {}, clock), []);
  } finally {
    await temp.cleanup();
  }
});

Deno.test("approvals: an approved call is used once, even by two connections (as two processes) at once", async () => {
  let clock = Date.parse("2030-01-01T12:00:00Z");
  const temp = await openTempAppliance({ now: () => clock });
  const { database, config } = temp.appliance;
  const second = await openSecondDatabase(config);
  try {
    const now = () => clock;
    const app = await createApp(database.db, { name: "demo", origins: [] }, { now });
    const deps = { database, now, publicUrl: "https://sx.example.com", ttlMs: HOUR };
    const a = await requestApproval(deps, held(app.id));
    const claim = { ...held(app.id), id: a.id };
    assert.equal(await claimUse(database.db, claim, clock), false, "pending: not usable");
    // An approval late in its life still leaves the full time to retry.
    clock += HOUR - 1;
    const approved = await decideApproval(deps, {
      id: a.id,
      decision: "approve",
      by: { actor: "link" },
    });
    assert.equal(approved.expiresAt, clock + HOUR);
    assert.equal(
      await claimUse(database.db, { ...claim, requestHash: "b".repeat(64) }, clock),
      false,
      "another call",
    );
    assert.equal(await claimUse(database.db, { ...claim, agentId: "agent-2" }, clock), false);
    const outcomes = await Promise.all([
      claimUse(database.db, claim, clock),
      claimUse(second.db, claim, clock),
    ]);
    assert.deepEqual(outcomes.sort(), [false, true]);
    assert.equal((await findApproval(database.db, a.id, clock))!.status, "used");
    assert.equal(await claimUse(database.db, claim, clock), false);
  } finally {
    second.close();
    await temp.cleanup();
  }
});

Deno.test("approvals: listed page by page, newest first, with no gap or repeat", async () => {
  let clock = Date.parse("2030-01-01T12:00:00Z");
  const temp = await openTempAppliance({ now: () => clock });
  const { database } = temp.appliance;
  try {
    const now = () => clock;
    const app = await createApp(database.db, { name: "demo", origins: [] }, { now });
    const deps = { database, now, publicUrl: "https://sx.example.com", ttlMs: HOUR };
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      // Two per millisecond: the id breaks the tie.
      if (i % 2 === 0) clock += 1;
      const a = await requestApproval(deps, { ...held(app.id), requestHash: `${i}`.repeat(64) });
      made.push(a.id);
    }
    const seen: string[] = [];
    let after: { createdAt: number; id: string } | null = null;
    for (let page = 0; page < 5; page++) {
      const rows = await listApprovals(database.db, { limit: 2, after }, clock);
      seen.push(...rows.map((r) => r.id));
      if (rows.length < 2) break;
      const last = rows.at(-1)!;
      after = { createdAt: last.createdAt, id: last.id };
    }
    assert.equal(seen.length, 5);
    assert.deepEqual([...seen].sort(), [...made].sort());
  } finally {
    await temp.cleanup();
  }
});

Deno.test("approvals: the agent whose call is held cannot decide it; another decider can, and nothing is recorded before", async () => {
  const clock = Date.parse("2030-01-01T12:00:00Z");
  const temp = await openTempAppliance({ now: () => clock });
  const { database } = temp.appliance;
  try {
    const now = () => clock;
    const app = await createApp(database.db, { name: "demo", origins: [] }, { now });
    const deps = { database, now, publicUrl: "https://sx.example.com", ttlMs: HOUR };
    const a = await requestApproval(deps, held(app.id));
    for (const decision of ["approve", "deny"] as const) {
      await assert.rejects(
        decideApproval(deps, {
          id: a.id,
          decision,
          by: { actor: "api:key_x" },
          appId: app.id,
          notByAgent: "agent-1",
        }),
        code("SX-APPROVAL-SELF"),
      );
    }
    assert.equal((await findApproval(database.db, a.id, clock))?.status, "pending");
    assert.equal((await listRecords(database.db, { kinds: "approval.decided" })).length, 0);

    const decided = await decideApproval(deps, {
      id: a.id,
      decision: "approve",
      by: { actor: "api:key_x" },
      appId: app.id,
      notByAgent: "mail-agent",
    });
    assert.equal(decided.status, "approved");
    // Once decided, the same agent is told it is closed (no second decision either way).
    await assert.rejects(
      decideApproval(deps, {
        id: a.id,
        decision: "deny",
        by: { actor: "api:key_x" },
        appId: app.id,
        notByAgent: "agent-1",
      }),
      code("SX-APPROVAL-CLOSED"),
    );
  } finally {
    await temp.cleanup();
  }
});
