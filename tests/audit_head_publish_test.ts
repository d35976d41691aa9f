/**
 * `serve` publishes the signed audit head: at start and every
 * `audit.head_interval_ms`, as a log line and as an `audit.head` webhook event
 * that only endpoints naming it receive (`*` does not include it). A
 * published head is what `audit verify --expect-head` checks against.
 */
import assert from "node:assert/strict";
import { createApp } from "../src/apps/app_store.ts";
import { runCli } from "../src/cli/main.ts";
import { addEndpoint } from "../src/webhooks/endpoint_store.ts";
import { enqueueEvent } from "../src/webhooks/outbox.ts";
import { captureIo } from "./helpers/capture_io.ts";
import { freePort } from "./helpers/process.ts";
import { serveRuntime } from "./helpers/serve_runtime.ts";
import { openTempAppliance } from "./helpers/temp_appliance.ts";

Deno.test("audit head: serve publishes it periodically to the log and to endpoints that opted in by name only", async () => {
  const received: { path: string; type: string; data: Record<string, unknown> }[] = [];
  const receiver = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const body = JSON.parse(await req.text());
    received.push({ path: new URL(req.url).pathname, type: body.type, data: body.data });
    return new Response(null, { status: 204 });
  });
  const temp = await openTempAppliance({
    raw: {
      audit: { head_interval_ms: 300 },
      webhooks: { allow_private_targets: true },
    },
  });
  const { appliance } = temp;
  const { database, vault } = appliance;
  const app = await createApp(database.db, { name: "keeper", origins: [] }, appliance);
  const base = `http://127.0.0.1:${receiver.addr.port}`;
  const deps = { db: database.db, vault, now: appliance.now };
  await addEndpoint(deps, app.id, `${base}/named`, ["audit.head"]);
  await addEndpoint(deps, app.id, `${base}/star`, ["*"]);
  const logs: string[] = [];
  const served = await serveRuntime(appliance, freePort(), {
    log: (line) => logs.push(line),
    webhookPollMs: 50,
  });
  try {
    await database.transaction((tx) =>
      enqueueEvent(tx, {
        appId: app.id,
        type: "connection.created",
        data: { connectionId: "con_1" },
        orderingKey: "con_1",
      }, appliance.now())
    );
    const deadline = Date.now() + 20_000;
    while (
      (received.filter((r) => r.type === "audit.head").length < 2 ||
        !received.some((r) => r.path === "/star")) && Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const heads = received.filter((r) => r.type === "audit.head");
    assert.ok(heads.length >= 2, `at start and after an interval: ${JSON.stringify(received)}`);
    assert.ok(heads.every((r) => r.path === "/named"), "`*` does not take audit.head");
    assert.deepEqual(
      received.filter((r) => r.path === "/star").map((r) => r.type),
      ["connection.created"],
      "the * endpoint gets the other events",
    );
    assert.ok(logs.filter((l) => /^audit head: sxh1\./.test(l)).length >= 2, logs.join("\n"));
    const token = String(heads.at(-1)!.data.head);
    assert.match(token, /^sxh1\.\d+\.[0-9a-f]{64}\.\d+\.[0-9a-f]{64}$/);
    await served.stop();
    const io = captureIo();
    const code = await runCli(
      ["--config", temp.configPath, "audit", "verify", "--expect-head", token],
      io.io,
    );
    assert.equal(code, 0, io.err.join("\n"));
  } finally {
    await served.stop().catch(() => {});
    await receiver.shutdown();
    await temp.cleanup();
  }
});
