/**
 * With `[server] workers = 2` in a real `securix serve`, API keys behave as
 * with one isolate: wrong keys spread over both isolates are locked out after
 * `auth_lockout.max_failures` in total (not that many per isolate), and a key
 * revoked in one isolate (the console's, an app deleted through the API in
 * either) is refused by every isolate from the very next call, well inside
 * the 5 s key cache.
 */
import assert from "node:assert/strict";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { createAdmin } from "../src/admins/admin_store.ts";
import { listApiKeys } from "../src/apps/key_store.ts";
import { ConsoleClient } from "./helpers/console_client.ts";
import {
  freePort,
  type ServerProcess,
  startServeProcess,
  untilWorkers,
} from "./helpers/process.ts";
import type { TempAppliance } from "./helpers/temp_appliance.ts";
import { aliceHeaders, seedGmailApp, twoIsolateEnv } from "./helpers/workers_env.ts";

interface Family {
  name: string;
  metrics: { value?: string; labels?: Record<string, string> }[];
}

const MAX_FAILURES = 5;

/** A `securix serve` with two serving isolates, its metrics and a client that spreads calls over them. */
async function withTwoIsolates(
  raw: Record<string, unknown>,
  seed: (temp: TempAppliance) => Promise<void>,
  body: (env: {
    server: ServerProcess;
    temp: TempAppliance;
    adminPort: number;
    /** A proxied Gmail call with `apiKey`, on a fresh connection (so the kernel picks an isolate). */
    call: (apiKey: string) => Promise<number>;
    /** Connections each isolate accepted so far. */
    accepted: () => Promise<[number, number]>;
  }) => Promise<void>,
) {
  const adminPort = freePort();
  const metricsPort = freePort();
  const { fake, temp } = await twoIsolateEnv({ admin_listen: `127.0.0.1:${adminPort}` }, raw);
  let server: ServerProcess | null = null;
  const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  try {
    await seed(temp);
    temp.appliance.close();
    server = await startServeProcess({
      cwd: temp.dir,
      env: { SECURIX_SERVER_METRICS_LISTEN: `127.0.0.1:${metricsPort}` },
    });
    const proc = server;
    await untilWorkers(proc, 2);
    const call = async (apiKey: string) => {
      const res = await fetch(`${proc.baseUrl}/proxy/gmail/gmail/v1/users/me/messages`, {
        headers: aliceHeaders(apiKey),
        client,
      });
      await res.body?.cancel();
      return res.status;
    };
    const scrape = async (): Promise<[number, number]> => {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      const samples = (parsePrometheusTextFormat(text) as Family[])
        .find((f) => f.name === "securix_http_accepted_connections_total")?.metrics ?? [];
      const of = (isolate: string) =>
        Number(samples.find((m) => m.labels?.isolate === isolate)?.value ?? 0);
      return [of("0"), of("1")];
    };
    // Isolate 1 is left out of a scrape it does not answer within 2 s (a loaded machine):
    // its counter then reads 0, which it never is once it has served. One more scrape.
    const accepted = async (): Promise<[number, number]> => {
      const counts = await scrape();
      return counts[1] === 0 ? await scrape() : counts;
    };
    await body({ server, temp, adminPort, call, accepted });
  } finally {
    client.close();
    await server?.stop();
    await fake.close();
    await temp.cleanup();
  }
}

Deno.test("serve/workers: wrong keys over both isolates are locked out after max_failures in total", async () => {
  let apiKey = "";
  await withTwoIsolates(
    { auth_lockout: { max_failures: MAX_FAILURES, window_s: 60 } },
    async (temp) => {
      apiKey = (await seedGmailApp(temp, "demo", "conn_gmail")).apiKey;
    },
    async ({ call, accepted }) => {
      const before = await accepted();
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) statuses.push(await call(`sx_live_wrong${i}`));
      const after = await accepted();
      // With one count per isolate, the other isolate would answer up to MAX_FAILURES more 401s.
      assert.ok(after[0] > before[0] && after[1] > before[1], `spread ${before} → ${after}`);
      assert.deepEqual(
        statuses.slice(0, MAX_FAILURES),
        Array(MAX_FAILURES).fill(401),
        statuses.join(","),
      );
      assert.deepEqual(
        statuses.slice(MAX_FAILURES),
        Array(30 - MAX_FAILURES).fill(429),
        statuses.join(","),
      );
      // Locked out everywhere, even with the good key (the lockout is checked before the key).
      const good: number[] = [];
      for (let i = 0; i < 10; i++) good.push(await call(apiKey));
      assert.deepEqual(good, Array(10).fill(429));
    },
  );
});

Deno.test("serve/workers: a key revoked in one isolate is refused by every isolate on the next call", async () => {
  let seededDemo: { apiKey: string; appId: string; keyId: string; totpKey: Uint8Array } | null =
    null;
  let other = "";
  // The refused calls below must not lock the test's address out.
  await withTwoIsolates({ auth_lockout: { max_failures: 1000 } }, async (temp) => {
    const { app, apiKey } = await seedGmailApp(temp, "demo", "conn_demo");
    const [key] = await listApiKeys(temp.appliance.database.db, app.id);
    const { totpKey } = await createAdmin(temp.appliance, "ops", "correct horse battery staple");
    seededDemo = { apiKey, appId: app.id, keyId: key.id, totpKey };
    other = (await seedGmailApp(temp, "other", "conn_other")).apiKey;
  }, async ({ server, adminPort, call, accepted }) => {
    const seeded = seededDemo!;
    // Both isolates have both keys cached: the refusals below must come within the cache's TTL.
    const warmed = Date.now();
    for (let i = 0; i < 20; i++) assert.equal(await call(seeded.apiKey), 200);
    for (let i = 0; i < 20; i++) assert.equal(await call(other), 200);

    // Revoked in the console, so in the main isolate.
    const admin = new ConsoleClient(`http://127.0.0.1:${adminPort}`);
    const signedIn = await admin.signIn("ops", "correct horse battery staple", seeded.totpKey);
    assert.equal(signedIn.status, 303);
    await signedIn.body?.cancel();
    const { csrf } = await admin.page(`/console/apps/${seeded.appId}`);
    const revoked = await admin.post(
      `/console/apps/${seeded.appId}/keys/${seeded.keyId}/revoke`,
      { _csrf: csrf },
    );
    assert.equal(revoked.status, 303, await revoked.text());
    await refusedEverywhere(() => call(seeded.apiKey), accepted, warmed);

    // The other app deletes itself through the API (its connection kept: the key is what goes),
    // in whichever isolate the kernel picks: both refuse. Cached again just before.
    const otherWarmed = Date.now();
    for (let i = 0; i < 20; i++) assert.equal(await call(other), 200);
    const deleted = await fetch(`${server.baseUrl}/v1/app?connections=keep`, {
      method: "DELETE",
      headers: { "securix-api-key": other },
    });
    await deleted.body?.cancel();
    assert.equal(deleted.status, 200);
    await refusedEverywhere(() => call(other), accepted, otherWarmed);
  });
});

/**
 * Every call from now on, in either isolate, is refused, while the key
 * cached at `warmed` would still be served from the 5 s key cache: a refusal
 * after that could be the cache expiring rather than the change reaching it.
 */
async function refusedEverywhere(
  call: () => Promise<number>,
  accepted: () => Promise<[number, number]>,
  warmed: number,
) {
  const before = await accepted();
  const statuses: number[] = [];
  for (let i = 0; i < 20; i++) statuses.push(await call());
  assert.ok(
    Date.now() - warmed < 5_000,
    `refused ${Date.now() - warmed} ms after the key was cached: past the key cache's TTL`,
  );
  const after = await accepted();
  assert.ok(after[0] > before[0] && after[1] > before[1], `spread ${before} → ${after}`);
  assert.deepEqual(statuses, Array(20).fill(401), `statuses ${statuses.join(",")}`);
}
