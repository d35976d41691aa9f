/**
 * Webhooks are not a way into the appliance's own network: with the default
 * `allow_private_targets = false`, the API refuses every spelling of a
 * loopback or special-purpose address when an endpoint is added, the
 * delivery worker refuses them again before connecting (for endpoints stored
 * earlier, or names whose DNS changed), and what the app reads of the
 * refusal is one sentence, never a status or a socket error.
 */
import assert from "node:assert/strict";
import { runCli } from "../src/cli/main.ts";
import { addEndpoint } from "../src/webhooks/endpoint_store.ts";
import { captureIo } from "./helpers/capture_io.ts";
import { freePort } from "./helpers/process.ts";
import { seedApp } from "./helpers/seed.ts";
import { serveRuntime } from "./helpers/serve_runtime.ts";
import { openTempAppliance } from "./helpers/temp_appliance.ts";

const GENERIC = /^target refused: not a public address\b/;

/** Every spelling from issue #10, and their neighbours, aimed at `port` on loopback where one exists. */
function loopbackSpellings(port: number): string[] {
  return [
    `http://127.0.0.1:${port}/hook`,
    `http://localhost:${port}/hook`,
    `http://[::1]:${port}/hook`,
    `http://[::ffff:127.0.0.1]:${port}/hook`,
    `http://[::ffff:7f00:1]:${port}/hook`,
    `http://[0:0:0:0:0:ffff:127.0.0.1]:${port}/hook`,
    `http://[::7f00:1]:${port}/hook`,
    `http://[::ffff:0:7f00:1]:${port}/hook`,
    `http://[64:ff9b::7f00:1]:${port}/hook`,
    `http://[2002:7f00:1::1]:${port}/hook`,
    `http://[2001:0:4136:e378:8000:63bf:80ff:fffe]:${port}/hook`,
    `http://2130706433:${port}/hook`,
    `http://0x7f.1:${port}/hook`,
    `http://0x7f000001:${port}/hook`,
    `http://017700000001:${port}/hook`,
    `http://0177.0.0.1:${port}/hook`,
    `http://127.1:${port}/hook`,
    `http://0:${port}/hook`,
    // A name whose DNS answer is loopback (rebinding, or an internal name).
    `http://rebind.example.test:${port}/hook`,
  ];
}

const OTHER_SPECIAL = [
  "http://10.0.0.5/hook",
  "http://192.168.1.20/hook",
  "http://169.254.169.254/latest/meta-data",
  "http://[::ffff:169.254.169.254]/latest/meta-data",
  "http://[64:ff9b::a9fe:a9fe]/latest/meta-data",
  "http://[fec0::1]/hook",
  "http://[fd00::1]/hook",
  "http://198.18.0.1/hook",
  "http://192.0.0.8/hook",
  "http://[2001:db8::1]/hook",
  "http://100.64.0.1/hook",
  "http://internal.example.test/hook",
  "http://nowhere.example.test/hook",
];

/** The test's DNS: nothing here touches a real resolver or a public host. */
const resolve = (host: string): Promise<string[]> =>
  Promise.resolve(
    host === "rebind.example.test"
      ? ["127.0.0.1"]
      : host === "internal.example.test"
      ? ["10.1.2.3"]
      : host === "hooks.example.test"
      ? ["93.184.215.14", "2606:4700::1111"]
      : [],
  );

async function applianceServing() {
  const port = freePort();
  const temp = await openTempAppliance({
    raw: {
      server: { listen: `127.0.0.1:${port}`, public_url: `http://127.0.0.1:${port}` },
      webhooks: { allow_private_targets: false, retry_delays_ms: [60_000] },
    },
  });
  const logs: string[] = [];
  const served = await serveRuntime(temp.appliance, port, {
    webhookPollMs: 50,
    webhookResolve: resolve,
    log: (line) => logs.push(line),
  });
  const { app, apiKey } = await seedApp(temp.appliance, { name: "hooks" });
  const api = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      ...init,
      headers: { "securix-api-key": apiKey, "content-type": "application/json" },
    });
    return { status: res.status, body: res.status === 204 ? null : await res.json() };
  };
  return { temp, served, app, api, logs };
}

Deno.test("webhook targets: POST /v1/webhooks refuses every loopback and special-purpose spelling with one message", async () => {
  const env = await applianceServing();
  try {
    for (const url of [...loopbackSpellings(9), ...OTHER_SPECIAL]) {
      const res = await env.api("/v1/webhooks", {
        method: "POST",
        body: JSON.stringify({ url }),
      });
      assert.equal(res.status, 400, `${url} → ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, "SX-WEBHOOK-TARGET-REFUSED", url);
      assert.match(res.body.error.message, GENERIC, url);
    }
    const listed = await env.api("/v1/webhooks");
    assert.deepEqual(listed.body.endpoints, [], "nothing was stored");
    // The operator's CLI refuses too, and says why.
    const cli = captureIo();
    const add = ["webhooks", "add", "hooks", "http://[::ffff:127.0.0.1]:9/hook"];
    assert.equal(await runCli(["--config", env.temp.configPath, ...add], cli.io), 1);
    assert.match(cli.err.join("\n"), /SX-WEBHOOK-TARGET-REFUSED/);
    assert.match(
      cli.err.join("\n"),
      /::ffff:7f00:1 is not a public address \(ipv4Mapped→loopback\)/,
    );
    // Control: a public target (by name and by address) is accepted; no delivery is queued.
    for (const url of ["https://hooks.example.test/in", "https://93.184.215.14/in"]) {
      const ok = await env.api("/v1/webhooks", { method: "POST", body: JSON.stringify({ url }) });
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
    }
  } finally {
    await env.served.stop();
    await env.temp.cleanup();
  }
});

Deno.test("webhook targets: a test event never reaches a loopback receiver, whatever the spelling of its stored URL", async () => {
  const received: string[] = [];
  const receiver = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    received.push(`${req.method} ${req.url}`);
    return new Response(null, { status: 204 });
  });
  const env = await applianceServing();
  let stopped = false;
  try {
    const { database, vault, now } = env.temp.appliance;
    const spellings = loopbackSpellings(receiver.addr.port);
    // Stored directly, as endpoints added before this check existed (or
    // whose name resolved publicly then) would be: the worker must refuse
    // them on its own.
    for (const url of spellings) {
      await addEndpoint({ db: database.db, vault, now }, env.app.id, url, ["webhook.test"]);
    }
    const queued = await env.api("/v1/webhooks/test", { method: "POST" });
    assert.equal(queued.status, 202);
    assert.equal(queued.body.queued, spellings.length);

    // Every delivery attempted once (the worker ran), none delivered.
    const deadline = Date.now() + 20_000;
    let deliveries: {
      status: string;
      attempts: number;
      lastStatus: number | null;
      lastError: string | null;
    }[] = [];
    while (Date.now() < deadline) {
      deliveries = (await env.api("/v1/webhooks/deliveries")).body.deliveries;
      if (deliveries.length === spellings.length && deliveries.every((d) => d.attempts >= 1)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(deliveries.length, spellings.length);
    assert.ok(deliveries.every((d) => d.attempts >= 1), JSON.stringify(deliveries));
    // Anything sent would have arrived by now (the receiver answers at once).
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(received, [], "the loopback receiver was never reached");
    for (const d of deliveries) {
      assert.notEqual(d.status, "delivered");
      assert.equal(d.lastStatus, null);
      assert.match(d.lastError ?? "", GENERIC);
    }
    // The operator's log says which address was refused; the app's view does not.
    assert.ok(env.logs.some((l) => l.includes("rebind.example.test resolves to 127.0.0.1")));
    assert.equal(JSON.stringify(deliveries).includes("127.0.0.1"), false);

    // The operator's CLI shows the same record.
    await env.served.stop();
    stopped = true;
    const cli = captureIo();
    const args = ["--config", env.temp.configPath, "webhooks", "deliveries", "hooks", "--json"];
    assert.equal(await runCli(args, cli.io), 0, cli.err.join("\n"));
    const rows = JSON.parse(cli.out.join("\n")) as { lastError: string; lastStatus: null }[];
    assert.equal(rows.length, spellings.length);
    for (const row of rows) {
      assert.match(row.lastError, GENERIC);
      assert.equal(row.lastStatus, null);
    }
  } finally {
    if (!stopped) await env.served.stop();
    await env.temp.cleanup();
    await receiver.shutdown();
  }
});
