/**
 * `[server] workers = 2` in a real `securix serve` process: both isolates
 * accept on the one port, their proxied calls land in one chain that
 * verifies, /metrics sums them, a SIGHUP reload reaches both, and SIGTERM
 * drains them and exits 0.
 */
import assert from "node:assert/strict";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { parse, stringify } from "smol-toml";
import { listRecords } from "../src/audit/read_records.ts";
import { loadConfig } from "../src/config/load.ts";
import { openAppliance } from "../src/http/appliance.ts";
import { MESSAGE_IDS } from "./helpers/fake_apis/gmail_seed.ts";
import { freePort, runCliProcess, startServeProcess, untilWorkers } from "./helpers/process.ts";
import { openTempAppliance } from "./helpers/temp_appliance.ts";
import { aliceHeaders, seedGmailApp, twoIsolateEnv } from "./helpers/workers_env.ts";

const DENY_LIST = { name: "no_mail_lists", target: "gmail.users.messages.list", effect: "deny" };

interface Family {
  name: string;
  metrics: { value?: string; labels?: Record<string, string> }[];
}

async function until(what: string, probe: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

Deno.test("serve/workers: two isolates share the port, one audit chain, summed metrics, reloads and drains", async () => {
  const { fake, temp } = await twoIsolateEnv();
  let server: Awaited<ReturnType<typeof startServeProcess>> | null = null;
  // A fresh connection per call, so the kernel spreads them over the listeners.
  const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  try {
    const { apiKey } = await seedGmailApp(temp);
    temp.appliance.close();
    const metricsPort = freePort();
    server = await startServeProcess({
      cwd: temp.dir,
      env: { SECURIX_SERVER_METRICS_LISTEN: `127.0.0.1:${metricsPort}` },
    });
    const proc = server;
    await untilWorkers(proc, 2);
    const headers = aliceHeaders(apiKey);
    const gmail = `${server.baseUrl}/proxy/gmail/gmail/v1/users/me/messages`;
    const call = async () => {
      const res = await fetch(gmail, { headers, client });
      await res.body?.cancel();
      return res.status;
    };
    const metrics = async () => {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      const families = parsePrometheusTextFormat(text) as Family[];
      const samples = (name: string) => families.find((f) => f.name === name)?.metrics ?? [];
      return {
        accepted: (isolate: string) =>
          Number(
            samples("securix_http_accepted_connections_total")
              .find((m) => m.labels?.isolate === isolate)?.value ?? 0,
          ),
        proxied: (status: string) =>
          Number(
            samples("securix_proxy_requests_total")
              .find((m) => m.labels?.provider === "gmail" && m.labels?.status === status)?.value ??
              0,
          ),
      };
    };

    const SENT = 60;
    for (let i = 0; i < SENT; i++) assert.equal(await call(), 200);
    const after = await metrics();
    assert.ok(after.accepted("0") > 0, "the main isolate accepted none");
    assert.ok(after.accepted("1") > 0, "the serving isolate accepted none");
    assert.ok(after.accepted("0") + after.accepted("1") >= SENT);
    assert.equal(after.proxied("200"), SENT, "/metrics sums both isolates' calls");

    // A reload reaches both isolates: every call after it, on either, is denied.
    const edited = parse(await Deno.readTextFile(temp.configPath));
    edited.rules = [DENY_LIST];
    await Deno.writeTextFile(temp.configPath, stringify(edited));
    Deno.kill(server.pid, "SIGHUP");
    await until("the reload", () => proc.output().includes("Reloaded."));
    // The serving isolate gets the rules by message, a moment after the main one.
    await new Promise((r) => setTimeout(r, 200));
    const before = await metrics();
    const DENIED = 30;
    for (let i = 0; i < DENIED; i++) assert.equal(await call(), 403, `call ${i} was not denied`);
    const denied = await metrics();
    assert.ok(denied.accepted("0") > before.accepted("0"), "no denial came from the main isolate");
    assert.ok(denied.accepted("1") > before.accepted("1"), "no denial came from the other");
    assert.equal(denied.proxied("403"), DENIED);

    // Slow calls in flight in both isolates when SIGTERM comes: each finishes.
    const SLOW = 8;
    let held = 0;
    fake.intercept = async (request) => {
      if (request.query.get("format") !== "minimal") return undefined;
      held++;
      await new Promise((r) => setTimeout(r, 1_000));
      return undefined;
    };
    const beforeSlow = await metrics();
    // A slow call that fails keeps its error, so the assertion below can show it with
    // the appliance's output (this test has failed once in hundreds of runs).
    const slow = Array.from({ length: SLOW }, async () => {
      try {
        const res = await fetch(`${gmail}/${MESSAGE_IDS.PLANNING}?format=minimal`, {
          headers,
          client,
        });
        return { status: res.status, id: (await res.json()).id };
      } catch (error) {
        return { status: 0, id: String(error) };
      }
    });
    await until("the slow calls to reach the fake", () => held === SLOW);
    const duringSlow = await metrics();
    for (const isolate of ["0", "1"]) {
      assert.ok(
        duringSlow.accepted(isolate) > beforeSlow.accepted(isolate),
        `isolate ${isolate} holds none of the slow calls`,
      );
    }
    assert.equal(await server.stop("SIGTERM"), 0, server.output());
    for (const answer of await Promise.all(slow)) {
      assert.deepEqual(
        answer,
        { status: 200, id: MESSAGE_IDS.PLANNING },
        `drained, not cut\n${server.output()}`,
      );
    }
    assert.match(server.output(), /Stopped/);
    server = null;

    const verified = await runCliProcess(["audit", "verify"], { cwd: temp.dir });
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    const { config } = await loadConfig({ cwd: temp.dir, env: () => undefined });
    const appliance = await openAppliance(config);
    try {
      const calls = await listRecords(appliance.database.db, { kinds: "proxy.request" });
      const count = (decision: string) => calls.filter((r) => r.data.decision === decision).length;
      assert.equal(count("allowed"), SENT + SLOW, "every allowed call is in the one chain");
      assert.equal(count("denied"), DENIED, "every denied call is in the one chain");
      const loads = await listRecords(appliance.database.db, { kinds: "admin.rules.loaded" });
      assert.equal(loads.length, 1, "the reload is recorded once, not once per isolate");
    } finally {
      appliance.close();
    }
  } finally {
    client.close();
    await server?.stop("SIGKILL");
    await fake.close();
    await Deno.remove(temp.dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("serve/workers: SIGTERM while the isolates start stops them too, and serve exits 0", async () => {
  const temp = await openTempAppliance({ raw: { server: { workers: 4 } } });
  try {
    temp.appliance.close();
    // Healthy as soon as the main isolate listens: the other three take seconds to start.
    const server = await startServeProcess({ cwd: temp.dir });
    assert.doesNotMatch(server.output(), /Workers: 4 serving isolates/);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const code = await Promise.race([
      server.stop("SIGTERM"),
      new Promise<never>((_, reject) =>
        timer = setTimeout(() => reject(new Error(`no exit:\n${server.output()}`)), 30_000)
      ),
    ]).finally(() => clearTimeout(timer));
    assert.equal(code, 0, server.output());
    assert.match(server.output(), /Stopped/);
    // The stop reached the pool before it was up: it never announced itself.
    assert.doesNotMatch(server.output(), /Workers: 4 serving isolates/, server.output());
    assert.doesNotMatch(server.output(), /serving on one isolate/, server.output());
    await assert.rejects(fetch(`${server.baseUrl}/healthz`), "nothing listens any more");
  } finally {
    await temp.cleanup();
  }
});
