/**
 * Anomaly detection end to end, through the serving runtime with the
 * unmodified `googleapis` client against the fake provider APIs: 101
 * deletes in a minute block the connection's deletes with SX-403 (the 101st
 * is the first refused), one signed `security.anomaly` webhook, reads still
 * work, and `securix anomalies clear` (a CLI subprocess on the same
 * database) or `POST /v1/anomalies/{id}/clear` lets deletes through again.
 * Streaming more than the (lowered) exfiltration threshold blocks the next read.
 */
import assert from "node:assert/strict";
import { google } from "googleapis";
import { Webhook } from "standardwebhooks";
import { listApps } from "../src/apps/app_store.ts";
import { updateApp } from "../src/apps/update_app.ts";
import { addEndpoint } from "../src/webhooks/endpoint_store.ts";
import { DRIVE_IDS } from "./helpers/fake_apis/drive.ts";
import { MESSAGE_IDS } from "./helpers/fake_apis/gmail_seed.ts";
import { runCliProcess, type ServerProcess, startServeProcess } from "./helpers/process.ts";
import { type RulesEnv, rulesEnv, tokenOf } from "./helpers/rules_env.ts";

interface SdkError {
  status?: number;
  response?: {
    status?: number;
    data?: {
      error?: {
        code?: string;
        type?: string;
        message?: string;
        llmError?: string;
        details?: Record<string, unknown>;
      };
    };
  };
}

interface Received {
  body: string;
  headers: Record<string, string>;
}

/** A webhook receiver on 127.0.0.1 subscribed to every event of the env's first app. */
async function receiver(env: RulesEnv) {
  const received: Received[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    received.push({ body: await req.text(), headers: Object.fromEntries(req.headers) });
    return new Response(null, { status: 204 });
  });
  const { appliance } = env.temp;
  const [app] = await listApps(appliance.database.db);
  const { secret } = await addEndpoint(
    { db: appliance.database.db, vault: appliance.vault, now: appliance.now },
    app.id,
    `http://127.0.0.1:${server.addr.port}/hook`,
    ["*"],
  );
  return {
    received,
    appId: app.id,
    anomalies: () => received.filter((r) => JSON.parse(r.body).type === "security.anomaly"),
    verifier: new Webhook(secret),
    close: () => server.shutdown(),
  };
}

/** Waits (bounded, on events, not time) until `done` holds. */
async function until(done: () => boolean | Promise<boolean>, what: string, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (!await done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function seedMessages(env: RulesEnv, n: number): string[] {
  const { messages } = env.fake.state.gmail;
  const template = messages.get(MESSAGE_IDS.PLANNING)!;
  return Array.from({ length: n }, (_, i) => {
    const id = `19a0${String(i).padStart(12, "0")}`;
    messages.set(id, { ...template, id, threadId: id });
    return id;
  });
}

async function refusal(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    const e = error as SdkError;
    return { status: e.status ?? e.response?.status, error: e.response?.data?.error };
  }
  assert.fail("expected a refusal");
}

const SECURITY = { share_ms: 200 };

Deno.test("anomalies: 101 deletes in a minute through googleapis — the 101st on is SX-403, one signed webhook, reads work, `anomalies clear` (CLI) lets deletes through", async () => {
  const env = await rulesEnv({
    raw: { security: SECURITY, webhooks: { allow_private_targets: true } },
  });
  const hooks = await receiver(env);
  try {
    const ids = seedMessages(env, 110);
    const gmail = google.gmail({ version: "v1", headers: env.headers(), retry: false });
    const options = { rootUrl: `${env.proxy("gmail")}/` };
    for (let i = 0; i < 100; i++) {
      const res = await gmail.users.messages.delete({ userId: "me", id: ids[i] }, options);
      assert.equal(res.status, 204);
    }
    assert.equal(env.fake.state.gmail.deleted.length, 100);
    const seenBefore = env.fake.seenBy("gmail").length;
    const reads = env.credentialReads();
    for (const i of [100, 101, 102]) {
      const refused = await refusal(
        gmail.users.messages.delete({ userId: "me", id: ids[i] }, options),
      );
      assert.equal(refused.status, 403);
      assert.equal(refused.error?.code, "SX-403");
      assert.equal(refused.error?.type, "anomaly_detected");
      assert.equal(refused.error?.message, "Request blocked: mass deletion pattern detected");
      assert.match(refused.error!.llmError!, /Stop now and do not retry/);
      const { anomalyId, ...details } = refused.error!.details!;
      assert.deepEqual(details, {
        detector: "mass_delete",
        action: "gmail.users.messages.delete",
        count: 101,
        window: "1m",
      });
      assert.match(String(anomalyId), /^anom_[a-z2-7]{16}$/);
    }
    // Attack: the same deletes wrapped in a Google batch request are refused too.
    const boundary = "batch_x";
    const batch = await fetch(`${env.proxy("gmail")}/batch/gmail/v1`, {
      method: "POST",
      headers: { ...env.headers(), "content-type": `multipart/mixed; boundary=${boundary}` },
      body: [
        `--${boundary}`,
        "Content-Type: application/http",
        "",
        `DELETE /gmail/v1/users/me/messages/${ids[103]}`,
        "",
        `--${boundary}--`,
        "",
      ].join("\r\n"),
    });
    assert.equal(batch.status, 403);
    assert.equal((await batch.json()).error.code, "SX-403");
    assert.equal(env.fake.seenBy("gmail").length, seenBefore, "blocked calls never reach Gmail");
    assert.equal(env.credentialReads(), reads, "nor the vault");
    assert.equal(env.fake.state.gmail.deleted.length, 100);

    // Reads (and other connections' deletes) still work.
    const listed = await gmail.users.messages.list({ userId: "me", maxResults: 5 }, options);
    assert.equal(listed.status, 200);
    const got = await gmail.users.messages.get({ userId: "me", id: ids[105] }, options);
    assert.equal(got.data.id, ids[105]);

    // Exactly one signed security.anomaly webhook, with counts and ids only.
    await until(() => hooks.anomalies().length >= 1, "the security.anomaly webhook");
    const [hook] = hooks.anomalies();
    const payload = hooks.verifier.verify(hook.body, hook.headers) as {
      type: string;
      data: Record<string, unknown>;
    };
    assert.equal(payload.type, "security.anomaly");
    const anomalyId = String(payload.data.id);
    assert.deepEqual(payload.data, {
      id: anomalyId,
      detector: "mass_delete",
      action: "gmail.users.messages.delete",
      connection: "conn_demo_alice_gmail",
      agent: "agent-1",
      entity: "alice",
      provider: "gmail",
      count: 101,
      window: "1m",
      blocked: true,
    });
    assert.throws(() => hooks.verifier.verify(hook.body.replace("101", "100"), hook.headers));
    const { rows } = await env.temp.appliance.database.client.execute(
      "SELECT count(*) AS n FROM webhook_deliveries WHERE event_type = 'security.anomaly'",
    );
    assert.equal(Number(rows[0].n), 1, "the 102nd and 103rd blocked calls did not alert again");
    const audit = await env.audit(0, "security.anomaly");
    assert.deepEqual(audit.map((r) => [r.kind, r.data.detector, r.data.blocked]), [
      ["security.anomaly", "mass_delete", true],
    ]);
    const metrics = await (await env.served.runtime.metrics.render()).text();
    assert.match(
      metrics,
      /securix_anomalies_total\{detector="mass_delete",action="block"\} 1/,
    );

    // The operator lists and clears it from another process on the same database.
    const cli = (args: string[]) =>
      runCliProcess(["--config", env.temp.configPath, "anomalies", ...args], {
        cwd: env.temp.dir,
      });
    const list = await cli(["list", "--json"]);
    assert.equal(list.code, 0, list.stderr);
    const listedBlocks = JSON.parse(list.stdout) as { id: string; status: string }[];
    assert.deepEqual(listedBlocks.map((a) => [a.id, a.status]), [[anomalyId, "active"]]);
    const cleared = await cli(["clear", anomalyId]);
    assert.equal(cleared.code, 0, cleared.stderr);
    assert.match(cleared.stdout, new RegExp(`Cleared ${anomalyId}`));
    const again = await cli(["clear", anomalyId]);
    assert.notEqual(again.code, 0, "clearing twice is refused");
    assert.match(again.stderr, /SX-ANOMALY-NOT-ACTIVE|is cleared/);
    const missing = await cli(["clear", "anom_nosuchanomaly00"]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /No anomaly/);

    // The serving runtime sees the clear at its next refresh (share_ms), then deletes work.
    await until(
      () => env.served.runtime.anomalies.blockFor("conn_demo_alice_gmail", "delete") === null,
      "the runtime to drop the cleared block",
    );
    const res = await gmail.users.messages.delete({ userId: "me", id: ids[100] }, options);
    assert.equal(res.status, 204);
    assert.equal(env.fake.state.gmail.deleted.length, 101);
    const all = await cli(["list", "--all", "--json"]);
    const rowsAll = JSON.parse(all.stdout) as { status: string; clearedBy: string }[];
    assert.deepEqual(rowsAll.map((a) => a.status), ["cleared"]);
    assert.match(rowsAll[0].clearedBy, /^cli/);
    const clearedAudit = await env.audit(0, "security.anomaly.cleared");
    assert.equal(clearedAudit.length, 1);
    assert.equal(clearedAudit[0].data.actor, "cli");
  } finally {
    await hooks.close();
    await env.close();
  }
});

Deno.test("anomalies API: app-scoped list and clear; another app's anomaly is 404; a clear here takes effect at once", async () => {
  const env = await rulesEnv({
    apps: [{ name: "demo", agents: ["agent-1"] }, { name: "other", agents: ["agent-1"] }],
    raw: { security: { ...SECURITY, mass_delete: { threshold: 3, window: "60s" } } },
  });
  try {
    const ids = seedMessages(env, 10);
    const gmail = google.gmail({ version: "v1", headers: env.headers(), retry: false });
    const options = { rootUrl: `${env.proxy("gmail")}/` };
    for (let i = 0; i < 3; i++) {
      await gmail.users.messages.delete({ userId: "me", id: ids[i] }, options);
    }
    const refused = await refusal(
      gmail.users.messages.delete({ userId: "me", id: ids[3] }, options),
    );
    assert.equal(refused.error?.code, "SX-403");
    const api = (app: string, path: string, init: RequestInit = {}) =>
      fetch(`${env.base}/v1${path}`, {
        ...init,
        headers: { "securix-api-key": env.apiKey(app), "content-type": "application/json" },
      });
    await env.served.runtime.anomalies.settled();
    const listed = await (await api("demo", "/anomalies")).json();
    assert.equal(listed.anomalies.length, 1);
    const [anomaly] = listed.anomalies;
    assert.equal(anomaly.status, "active");
    assert.equal(anomaly.detector, "mass_delete");
    assert.equal(anomaly.count, 4);
    assert.equal(listed.nextCursor, null);
    // Another app sees nothing and cannot clear it.
    assert.deepEqual((await (await api("other", "/anomalies?status=all")).json()).anomalies, []);
    const foreign = await api("other", `/anomalies/${anomaly.id}/clear`, { method: "POST" });
    assert.equal(foreign.status, 404);
    assert.equal((await foreign.json()).error.code, "SX-ANOMALY-NOT-FOUND");
    const bad = await api("demo", "/anomalies?status=nope");
    assert.equal(bad.status, 400);
    await bad.body?.cancel();
    // The owner clears it: the same process lets deletes through at once, no refresh needed.
    const cleared = await api("demo", `/anomalies/${anomaly.id}/clear`, { method: "POST" });
    assert.equal(cleared.status, 200);
    const view = await cleared.json();
    assert.equal(view.status, "cleared");
    assert.match(view.clearedBy, /^api:key_/);
    const res = await gmail.users.messages.delete({ userId: "me", id: ids[3] }, options);
    assert.equal(res.status, 204);
    const twice = await api("demo", `/anomalies/${anomaly.id}/clear`, { method: "POST" });
    assert.equal(twice.status, 409);
    await twice.body?.cancel();
    assert.deepEqual((await (await api("demo", "/anomalies")).json()).anomalies, []);
    // Counted afresh since the clear: three more deletes (ids 3–5) pass, the fourth blocks again.
    for (let i = 4; i < 6; i++) {
      await gmail.users.messages.delete({ userId: "me", id: ids[i] }, options);
    }
    await refusal(gmail.users.messages.delete({ userId: "me", id: ids[6] }, options));
    await env.served.runtime.anomalies.settled();
    const first = await (await api("demo", "/anomalies?status=all&limit=1")).json();
    assert.equal(first.anomalies.length, 1);
    assert.equal(first.anomalies[0].status, "active");
    assert.ok(first.nextCursor);
    const second =
      await (await api("demo", `/anomalies?status=all&limit=1&cursor=${first.nextCursor}`))
        .json();
    assert.deepEqual(second.anomalies.map((a: { id: string }) => a.id), [anomaly.id]);
    assert.equal(second.nextCursor, null);
    const onlyCleared = await (await api("demo", "/anomalies?status=cleared")).json();
    assert.deepEqual(onlyCleared.anomalies.map((a: { id: string }) => a.id), [anomaly.id]);
    const audit = await env.audit(0, "security.anomaly.cleared");
    assert.equal(audit.length, 1);
    assert.match(String(audit[0].data.actor), /^api:key_/);
  } finally {
    await env.close();
  }
});

Deno.test("anomalies: streaming more than the exfiltration threshold blocks the connection's next read, not its writes", async () => {
  const env = await rulesEnv({
    raw: { security: { ...SECURITY, exfiltration: { threshold: "1MiB", window: "5m" } } },
  });
  try {
    const file = env.fake.state.drive.files.get(DRIVE_IDS.HANDBOOK)!;
    file.content = new Uint8Array(700 * 1024).fill(65);
    const drive = google.drive({ version: "v3", headers: env.headers(), retry: false });
    const options = { rootUrl: `${env.proxy("drive")}/`, responseType: "arraybuffer" as const };
    for (let i = 0; i < 2; i++) {
      const media = await drive.files.get({ fileId: DRIVE_IDS.HANDBOOK, alt: "media" }, options);
      assert.equal((media.data as unknown as ArrayBuffer).byteLength, 700 * 1024);
    }
    const refused = await refusal(
      drive.files.list({ pageSize: 5 }, { rootUrl: `${env.proxy("drive")}/` }),
    );
    assert.equal(refused.status, 403);
    assert.equal(refused.error?.code, "SX-403");
    assert.equal(refused.error?.type, "anomaly_detected");
    assert.equal(refused.error?.message, "Request blocked: data exfiltration pattern detected");
    assert.equal(refused.error?.details?.detector, "exfiltration");
    assert.ok(Number(refused.error?.details?.count) > 1024 * 1024);
    assert.equal(refused.error?.details?.window, "5m");
    // Writes on the same connection, and reads on Gmail (another connection), still work.
    const created = await drive.files.create(
      { requestBody: { name: "notes.txt", mimeType: "text/plain" } },
      { rootUrl: `${env.proxy("drive")}/` },
    );
    assert.equal(created.status, 200);
    const gmail = google.gmail({ version: "v1", headers: env.headers(), retry: false });
    const listed = await gmail.users.messages.list({ userId: "me", maxResults: 1 }, {
      rootUrl: `${env.proxy("gmail")}/`,
    });
    assert.equal(listed.status, 200);
  } finally {
    await env.close();
  }
});

Deno.test("anomalies: the block filter comes first, ahead of the rules; calls the rules deny are counted and audited", async () => {
  const env = await rulesEnv({
    rules: [{ name: "no_gmail_reads", effect: "deny", target: "gmail.*", classes: ["read"] }],
    raw: { security: { ...SECURITY, mass_delete: { threshold: 1, window: "60s" } } },
  });
  try {
    const ids = seedMessages(env, 3);
    const gmail = google.gmail({ version: "v1", headers: env.headers(), retry: false });
    const options = { rootUrl: `${env.proxy("gmail")}/` };
    // Denied reads are counted by the detectors too, but are not deletes.
    const denied = await refusal(gmail.users.messages.list({ userId: "me" }, options));
    assert.equal(denied.error?.code, "SX-POLICY-DENIED");
    await gmail.users.messages.delete({ userId: "me", id: ids[0] }, options);
    const blocked = await refusal(
      gmail.users.messages.delete({ userId: "me", id: ids[1] }, options),
    );
    assert.equal(blocked.error?.code, "SX-403");
    const records = await env.audit(0, "proxy.request");
    const last = records.at(-1)!;
    assert.equal(last.data.error, "SX-403");
    assert.equal(last.data.decision, "denied");
    assert.match(String((last.data.notes as Record<string, unknown>).anomaly), /^anom_/);
  } finally {
    await env.close();
  }
});

Deno.test("anomalies across processes: this runtime and two `securix serve` processes on one database trip one threshold of 100 together, with one webhook", async () => {
  const env = await rulesEnv({
    raw: { security: SECURITY, webhooks: { allow_private_targets: true } },
  });
  const hooks = await receiver(env);
  const servers: ServerProcess[] = [];
  try {
    const ids = seedMessages(env, 400);
    for (let i = 0; i < 2; i++) {
      servers.push(
        await startServeProcess({
          cwd: env.temp.dir,
          args: ["--config", env.temp.configPath],
          timeoutMs: 60_000,
        }),
      );
    }
    const bases = [env.base, ...servers.map((s) => s.baseUrl)];
    const del = async (base: string, id: string) => {
      const res = await fetch(`${base}/proxy/gmail/gmail/v1/users/me/messages/${id}`, {
        method: "DELETE",
        headers: env.headers(),
      });
      const body = await res.text();
      return { status: res.status, code: res.status === 204 ? null : JSON.parse(body).error.code };
    };
    // 40 deletes through each process in turn: once the shared count passes 100, the
    // process that shares it blocks, and the others follow at their next refresh.
    let next = 0;
    let passed = 0;
    for (const base of bases) {
      for (let i = 0; i < 40; i++) {
        const r = await del(base, ids[next++]);
        if (r.status === 204) passed++;
        else assert.equal(r.code, "SX-403");
      }
    }
    // Counts travel once a share_ms: a process learns the others' after its first share, so
    // a fast burst may pass the threshold by what one process does in that time.
    assert.ok(passed >= 100 && passed <= 120, `${passed} deletes went through`);
    await until(async () => {
      for (const base of bases) {
        const r = await del(base, ids[next++]);
        if (r.status === 204) passed++;
        if (r.code !== "SX-403") return false;
      }
      return true;
    }, "every process to refuse deletes");
    assert.equal(env.fake.state.gmail.deleted.length, passed);
    const { rows } = await env.temp.appliance.database.client.execute(
      "SELECT (SELECT count(*) FROM anomalies) AS anomalies, (SELECT count(*) FROM webhook_deliveries WHERE event_type = 'security.anomaly') AS hooks",
    );
    assert.deepEqual([Number(rows[0].anomalies), Number(rows[0].hooks)], [1, 1]);
  } finally {
    for (const s of servers) await s.stop();
    await hooks.close();
    await env.close();
  }
});

Deno.test("anomalies: a blocked connection's credential is not released (GET /v1/token, POST /v1/refresh) to the blocked agent or any other, audited; the clear lets it out again", async () => {
  const env = await rulesEnv({
    raw: { security: { ...SECURITY, mass_delete: { threshold: 3, window: "60s" } } },
  });
  try {
    const { appliance } = env.temp;
    await updateApp(appliance.database, "demo", { credentialRelease: true }, {
      now: appliance.now,
      by: { actor: "cli" },
    });
    const ids = seedMessages(env, 5);
    const gmail = google.gmail({ version: "v1", headers: env.headers(), retry: false });
    const options = { rootUrl: `${env.proxy("gmail")}/` };
    for (let i = 0; i < 3; i++) {
      await gmail.users.messages.delete({ userId: "me", id: ids[i] }, options);
    }
    const blocked = await refusal(
      gmail.users.messages.delete({ userId: "me", id: ids[3] }, options),
    );
    assert.equal(blocked.error?.code, "SX-403");
    const anomalyId = blocked.error?.details?.anomalyId;
    const conn = "conn_demo_alice_gmail";
    const release = (agent: string | null, method = "GET", path = `/v1/token/${conn}`) => {
      const headers: Record<string, string> = { "securix-api-key": env.apiKey() };
      if (agent !== null) headers["securix-agent-id"] = agent;
      return fetch(`${env.base}${path}`, { method, headers });
    };
    const seq = await env.mark();
    for (
      const [agent, method, path] of [
        ["agent-1", "GET", `/v1/token/${conn}`],
        [null, "GET", `/v1/token/${conn}`],
        ["mail-agent", "GET", `/v1/token/${conn}`],
        ["agent-1", "POST", `/v1/refresh/${conn}`],
        ["agent-1", "POST", `/v1/connections/${conn}/refresh`],
      ] as const
    ) {
      const res = await release(agent, method, path);
      const text = await res.text();
      assert.equal(text.includes(tokenOf("gmail")), false, `${method} ${path}: ${text}`);
      assert.equal(res.status, 403, `${method} ${path}: ${text}`);
      const { error } = JSON.parse(text);
      assert.equal(error.code, "SX-403");
      assert.equal(error.type, "anomaly_detected");
      assert.equal(error.details.anomalyId, anomalyId);
      assert.equal(error.details.detector, "mass_delete");
    }
    const denied = await env.audit(seq, "connection.credential_release_denied");
    assert.equal(denied.length, 5);
    assert.equal(denied[0].data.code, "SX-403");
    assert.equal(denied[0].data.agentId, "agent-1");
    assert.deepEqual(denied[0].data.refusedBy, { anomalyId, detector: "mass_delete" });
    assert.equal((await env.audit(seq, "connection.credential_released")).length, 0);
    // Cleared: the release works again at once in this process.
    await env.served.runtime.anomalies.settled();
    const cleared = await fetch(`${env.base}/v1/anomalies/${anomalyId}/clear`, {
      method: "POST",
      headers: { "securix-api-key": env.apiKey() },
    });
    assert.equal(cleared.status, 200);
    await cleared.body?.cancel();
    const res = await release("agent-1");
    const body = await res.json();
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body.credentials.access_token, tokenOf("gmail"));
  } finally {
    await env.close();
  }
});
