/**
 * Operator terminal injection: entity ids, agent names and audit notes with
 * ESC, CR and LF (stored before the edge refused them, or written by another
 * path) are printed escaped by every human-readable CLI output; `--json`
 * stays JSON and carries the stored values unchanged.
 */
import assert from "node:assert/strict";
import { appendAuditBatch } from "../src/audit/append.ts";
import { runCli } from "../src/cli/main.ts";
import { agents } from "../src/db/schema.ts";
import { captureIo } from "./helpers/capture_io.ts";
import { seedApp, seedConnection } from "./helpers/seed.ts";
import { openTempAppliance } from "./helpers/temp_appliance.ts";

const ENTITY = "eve\u001b[2J\r\n2026-01-01T00:00:00.000Z  admin.app.deleted";
const AGENT_NAME = "helper\u001b]0;owned\u0007\u009b31m";
const NOTE = "digest\r\n\u001b[1A\u001b[Kforged line\u2028\u202eesrever";

// deno-lint-ignore no-control-regex
const RAW_CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/;

async function cli(configPath: string, args: string[]) {
  const io = captureIo();
  const code = await runCli(["--config", configPath, ...args], io.io);
  assert.equal(code, 0, [...io.out, ...io.err].join("\n"));
  // Each captured write is one printed line (or a multi-line block with its own \n only).
  const lines = io.out.flatMap((text) => text.split("\n"));
  return { lines, out: io.out };
}

Deno.test("terminal: audit tail, agents list and connections list escape control characters", async () => {
  const temp = await openTempAppliance();
  try {
    const { appliance, configPath } = temp;
    const { app } = await seedApp(appliance, { name: "demo" });
    // Straight into the tables, as data stored before validation would be.
    await appliance.database.db.insert(agents).values({
      id: "agt_evil",
      appId: app.id,
      agentId: "agent-evil",
      name: AGENT_NAME,
      createdAt: appliance.now(),
    });
    await seedConnection(appliance, {
      id: "conn_evil",
      appId: app.id,
      entityId: ENTITY,
      provider: "gmail",
      accessToken: "t",
    });
    await appendAuditBatch(appliance.database, [{
      kind: "proxy.request",
      at: appliance.now(),
      appId: app.id,
      agentId: "agent-evil",
      entityId: ENTITY,
      provider: "gmail",
      data: {
        bytesIn: 0,
        bytesOut: 0,
        decision: "allowed",
        durationMs: 1,
        host: "gmail.googleapis.com",
        method: "GET",
        note: NOTE,
        path: "/gmail/v1/users/me/messages",
        status: 200,
      },
    }, {
      kind: "admin.agent.added",
      at: appliance.now(),
      appId: app.id,
      agentId: "agent-evil",
      data: { name: AGENT_NAME },
    }]);

    const tail = await cli(configPath, ["audit", "tail", "-n", "2"]);
    assert.equal(tail.lines.length, 2, tail.lines.join("\n"));
    for (const line of tail.lines) assert.ok(!RAW_CONTROL.test(line), JSON.stringify(line));
    assert.match(tail.lines[0], /entity=eve\\u001b\[2J\\u000d\\u000a2026-01-01/);
    assert.match(
      tail.lines[0],
      /note="digest\\r\\n\\u001b\[1A\\u001b\[Kforged line\\u2028\\u202eesrever"/,
    );
    assert.match(tail.lines[1], /name=helper\\u001b\]0;owned\\u0007\\u009b31m/);

    const agentList = await cli(configPath, ["agents", "list", "demo"]);
    assert.equal(agentList.lines.length, 3, agentList.lines.join("\n")); // header, agent-1, agent-evil
    for (const line of agentList.lines) assert.ok(!RAW_CONTROL.test(line), JSON.stringify(line));
    assert.ok(agentList.lines.some((l) => l.includes("helper\\u001b]0;owned\\u0007\\u009b31m")));

    const connectionList = await cli(configPath, ["connections", "list"]);
    assert.equal(connectionList.lines.length, 2, connectionList.lines.join("\n"));
    for (const line of connectionList.lines) {
      assert.ok(!RAW_CONTROL.test(line), JSON.stringify(line));
    }

    // --json stays JSON, with the values as stored.
    const json = await cli(configPath, ["audit", "tail", "-n", "2", "--json"]);
    const records = json.out.map((l) => JSON.parse(l));
    assert.equal(records[0].entityId, ENTITY);
    assert.equal(records[0].data.note, NOTE);
    for (const line of json.out) assert.ok(!RAW_CONTROL.test(line), JSON.stringify(line));
    const agentsJson = JSON.parse(
      (await cli(configPath, ["agents", "list", "demo", "--json"])).out[0],
    );
    assert.equal(
      agentsJson.find((a: { agentId: string }) => a.agentId === "agent-evil").name,
      AGENT_NAME,
    );
  } finally {
    await temp.cleanup();
  }
});
