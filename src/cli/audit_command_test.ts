import assert from "node:assert/strict";
import { openTempAppliance } from "../../tests/helpers/temp_appliance.ts";
import { appendAudit } from "../audit/append.ts";
import { AuditWriter } from "../audit/audit_writer.ts";
import { runCli } from "./main.ts";
import { captureIo } from "../../tests/helpers/capture_io.ts";
import { DENO_JSON, MAIN } from "../../tests/helpers/process.ts";

const requestId = (i: number) => `req_${"a".repeat(14)}${String(i).padStart(7, "0")}`;

/** A log of 2 rows, a pack of 30 proxied requests, and one more row. */
async function auditLog() {
  const temp = await openTempAppliance();
  const { database } = temp.appliance;
  const at = Date.parse("2026-11-23T10:00:00Z");
  await database.transaction((tx) =>
    appendAudit(tx, [
      { kind: "session.created", at, appId: "app_1", entityId: "u1", data: { sessionId: "ses_1" } },
      { kind: "admin.agent.added", at, appId: "app_1", agentId: "a1", data: { actor: "cli" } },
    ])
  );
  const writer = new AuditWriter({ database, intervalMs: 60_000 });
  for (let i = 0; i < 30; i++) {
    writer.record({
      kind: "proxy.request",
      at: at + 1_000 + i,
      appId: "app_1",
      agentId: "a1",
      entityId: "u1",
      provider: "gmail",
      data: {
        bytesIn: 0,
        bytesOut: 10,
        decision: i === 29 ? "denied" : "allowed",
        durationMs: 3,
        ...(i === 29 ? { error: "SX-POLICY-DENIED" } : {}),
        method: "GET",
        note: i === 28 ? "weekly digest" : null,
        operation: i === 29 ? "gmail.users.messages.send" : undefined,
        path: `/gmail/v1/users/me/messages/${i}`,
        requestId: requestId(i),
        ...(i === 29 ? { rules: ["draft_only"] } : {}),
        status: i === 29 ? 403 : 200,
      },
    });
  }
  await writer.stop();
  await database.transaction((tx) =>
    appendAudit(tx, [{ kind: "connection.paused", at: at + 5_000, appId: "app_1", data: {} }])
  );
  temp.appliance.close();
  return temp;
}

Deno.test("cli audit tail: the newest records, readable, from inside packs too", async () => {
  const temp = await auditLog();
  try {
    const tail = captureIo();
    assert.equal(
      await runCli(["--config", temp.configPath, "audit", "tail", "-n", "3"], tail.io),
      0,
    );
    assert.equal(tail.out.length, 3, tail.out.join("\n"));
    assert.match(
      tail.out[0],
      /^2026-11-23T10:00:01\.028Z {2}proxy\.request +gmail app_1 agent=a1 entity=u1 {2}GET \/gmail\/v1\/users\/me\/messages\/28 → 200 3 ms note="weekly digest" req_a{14}0000028$/,
    );
    assert.match(
      tail.out[1],
      /messages\/29 → 403 3 ms gmail\.users\.messages\.send denied:SX-POLICY-DENIED rules=draft_only req_a{14}0000029$/,
    );
    assert.match(tail.out[2], /^2026-11-23T10:00:05\.000Z {2}connection\.paused +app_1$/);

    const all = captureIo();
    assert.equal(
      await runCli(["--config", temp.configPath, "audit", "tail", "-n", "40"], all.io),
      0,
    );
    assert.equal(all.out.length, 33, "asking for more than there is prints everything once");
    assert.match(all.out[0], /session\.created/);

    const json = captureIo();
    const args = ["audit", "tail", "-n", "2", "--kind", "session,admin", "--json"];
    assert.equal(await runCli(["--config", temp.configPath, ...args], json.io), 0);
    const records = json.out.map((l) => JSON.parse(l));
    assert.deepEqual(records.map((r) => r.kind), ["session.created", "admin.agent.added"]);
    assert.equal(records[0].data.sessionId, "ses_1");

    const bad = captureIo();
    assert.equal(
      await runCli(["--config", temp.configPath, "audit", "tail", "-n", "x"], bad.io),
      1,
    );
    assert.match(bad.err.join("\n"), /--lines: expected a whole number/);
  } finally {
    await temp.cleanup();
  }
});

Deno.test("cli audit export: JSON Lines of every record, filtered inside packs", async () => {
  const temp = await auditLog();
  try {
    const all = captureIo();
    assert.equal(await runCli(["--config", temp.configPath, "audit", "export"], all.io), 0);
    assert.equal(all.out.length, 33);
    const since = captureIo();
    const args = ["audit", "export", "--since", "2026-11-23T10:00:01.025Z", "--kind", "proxy"];
    assert.equal(await runCli(["--config", temp.configPath, ...args], since.io), 0);
    assert.deepEqual(
      since.out.map((l) => JSON.parse(l).data.path.split("/").at(-1)),
      ["25", "26", "27", "28", "29"],
    );
    const one = captureIo();
    const byId = ["audit", "export", "--request", requestId(17)];
    assert.equal(await runCli(["--config", temp.configPath, ...byId], one.io), 0);
    assert.deepEqual(one.out.map((l) => JSON.parse(l).data.path), [
      "/gmail/v1/users/me/messages/17",
    ]);
    const notAnId = captureIo();
    const badId = ["audit", "export", "--request", "17"];
    assert.equal(await runCli(["--config", temp.configPath, ...badId], notAnId.io), 1);
    assert.match(notAnId.err.join("\n"), /--request: expected a request id/);
    const verify = captureIo();
    assert.equal(await runCli(["--config", temp.configPath, "audit", "verify"], verify.io), 0);
    assert.deepEqual(verify.out, ["Audit chain intact: 33 records verified"]);
  } finally {
    await temp.cleanup();
  }
});

Deno.test("cli audit tail -f -n 0: only what is written from then on; export --output is owner-only", async () => {
  const temp = await auditLog();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      DENO_JSON,
      MAIN,
      "--config",
      temp.configPath,
      "audit",
      "tail",
      "-f",
      "-n",
      "0",
      "--json",
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out: string[] = [];
  const err: string[] = [];
  const reading = child.stdout.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (chunk) => void out.push(chunk) }),
  );
  const readingErr = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (chunk) => void err.push(chunk) }),
  );
  try {
    const reopened = await openTempAppliance({ dir: temp.dir, masterKeyHex: temp.masterKeyHex });
    // Written only once tail has taken its starting point (a loaded machine starts it slowly).
    for (let i = 0; i < 600 && !err.join("").includes("Following new records"); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(err.join(""), /Following new records/);
    await reopened.appliance.database.transaction((tx) =>
      appendAudit(tx, [{ kind: "admin.app.created", at: Date.now(), data: { name: "new" } }])
    );
    reopened.appliance.close();
    for (let i = 0; i < 50 && !out.join("").includes("admin.app.created"); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const lines = out.join("").trim().split("\n").filter(Boolean);
    assert.deepEqual(lines.map((l) => JSON.parse(l).kind), ["admin.app.created"], out.join(""));

    const file = `${temp.dir}/export.jsonl`;
    const exported = captureIo();
    const args = ["--config", temp.configPath, "audit", "export", "--output", file];
    assert.equal(await runCli(args, exported.io), 0);
    assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
  } finally {
    child.kill();
    await child.status;
    await reading.catch(() => {});
    await readingErr.catch(() => {});
    await temp.cleanup();
  }
});
