/**
 * With `[server] workers = 2`, a connection revoked through the API in one
 * isolate is refused at once by both: the change crosses to the other
 * isolate's caches instead of waiting out their TTLs.
 */
import assert from "node:assert/strict";
import { startFakeApis } from "./helpers/fake_provider_apis.ts";
import { startServeProcess } from "./helpers/process.ts";
import { PROVIDERS, tokenOf } from "./helpers/rules_env.ts";
import { seedApp, seedConnection } from "./helpers/seed.ts";
import { openTempAppliance } from "./helpers/temp_appliance.ts";

Deno.test("serve/workers: a revoke made through one isolate holds in every isolate at once", async () => {
  const fake = await startFakeApis({ token: (p) => tokenOf(p) });
  const temp = await openTempAppliance({
    raw: {
      server: { base_domain: "localhost", workers: 2 },
      providers: Object.fromEntries(
        PROVIDERS.map((p) => [p, { client_id: "c", client_secret: "s", api_base_url: fake.url }]),
      ),
    },
  });
  let server: Awaited<ReturnType<typeof startServeProcess>> | null = null;
  // A fresh connection per call, so the kernel spreads them over the listeners.
  const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  try {
    const { app, apiKey } = await seedApp(temp.appliance, { name: "demo" });
    await seedConnection(temp.appliance, {
      id: "conn_gmail",
      appId: app.id,
      entityId: "alice",
      provider: "gmail",
      accessToken: tokenOf("gmail"),
    });
    temp.appliance.close();
    server = await startServeProcess({ cwd: temp.dir });
    const proc = server;
    const deadline = Date.now() + 15_000;
    while (!proc.output().includes("Workers: 2 serving isolates")) {
      assert.ok(Date.now() < deadline, proc.output());
      await new Promise((r) => setTimeout(r, 50));
    }
    const headers = {
      "securix-api-key": apiKey,
      "securix-entity-id": "alice",
      "securix-agent-id": "agent-1",
    };
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
