/**
 * With `[server] workers = 2`, a connection revoked through the API in one
 * isolate is refused at once by both: the change crosses to the other
 * isolate's caches instead of waiting out their TTLs.
 */
import assert from "node:assert/strict";
import { startServeProcess, untilWorkers } from "./helpers/process.ts";
import { aliceHeaders, seedGmailApp, twoIsolateEnv } from "./helpers/workers_env.ts";

Deno.test("serve/workers: a revoke made through one isolate holds in every isolate at once", async () => {
  const { fake, temp } = await twoIsolateEnv();
  let server: Awaited<ReturnType<typeof startServeProcess>> | null = null;
  // A fresh connection per call, so the kernel spreads them over the listeners.
  const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  try {
    const { apiKey } = await seedGmailApp(temp);
    temp.appliance.close();
    server = await startServeProcess({ cwd: temp.dir });
    await untilWorkers(server, 2);
    const headers = aliceHeaders(apiKey);
    const call = async () => {
      const res = await fetch(`${server!.baseUrl}/proxy/gmail/gmail/v1/users/me/messages`, {
        headers,
        client,
      });
      await res.body?.cancel();
      return res.status;
    };
    // Both isolates have the connection and its credential cached.
    for (let i = 0; i < 20; i++) assert.equal(await call(), 200);

    // The revoke, made on one connection, so in one isolate.
    const revoked = await fetch(`${server.baseUrl}/v1/connections/conn_gmail`, {
      method: "DELETE",
      headers: { "securix-api-key": apiKey },
      client,
    });
    await revoked.body?.cancel();
    assert.equal(revoked.status, 204);
    // Well inside the caches' 2 s TTL: every call, in either isolate, is refused.
    const started = Date.now();
    const after: number[] = [];
    for (let i = 0; i < 20; i++) after.push(await call());
    assert.ok(Date.now() - started < 1_500, "the calls took longer than the cache TTL");
    assert.deepEqual(after.filter((s) => s === 200), [], `statuses ${after.join(",")}`);
  } finally {
    client.close();
    await server?.stop();
    await fake.close();
    await Deno.remove(temp.dir, { recursive: true }).catch(() => {});
  }
});
