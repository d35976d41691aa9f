/**
 * `[server] workers = 2`: two isolates hand out request ids with no
 * coordination. Concurrent calls spread over both never get the same id,
 * and each call's audit record, written through the one chain, names the id
 * its answer carried.
 */
import assert from "node:assert/strict";
import { listRecords } from "../src/audit/read_records.ts";
import { loadConfig } from "../src/config/load.ts";
import { openAppliance } from "../src/http/appliance.ts";
import { REQUEST_ID_PATTERN } from "../src/identifiers/request_id.ts";
import { startServeProcess, untilWorkers } from "./helpers/process.ts";
import { aliceHeaders, seedGmailApp, twoIsolateEnv } from "./helpers/workers_env.ts";

const CALLS = 200;
const CONCURRENCY = 20;

Deno.test("request ids: two serving isolates never hand out the same id", async () => {
  const { fake, temp } = await twoIsolateEnv();
  let server: Awaited<ReturnType<typeof startServeProcess>> | null = null;
  // A fresh connection per call, so the kernel spreads them over the listeners.
  const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  try {
    const { apiKey } = await seedGmailApp(temp);
    temp.appliance.close();
    server = await startServeProcess({ cwd: temp.dir });
    await untilWorkers(server, 2);
    const gmail = `${server.baseUrl}/proxy/gmail/gmail/v1/users/me/messages`;
    const headers = aliceHeaders(apiKey);
    const ids: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < CALLS) {
        next++;
        const res = await fetch(gmail, { headers, client });
        await res.body?.cancel();
        assert.equal(res.status, 200);
        ids.push(res.headers.get("securix-request-id") ?? "none");
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    for (const id of ids) assert.match(id, REQUEST_ID_PATTERN);
    assert.equal(new Set(ids).size, CALLS, "an id was handed out twice");
    // `req_` and the 14 random digits of the isolate that answered.
    const isolates = new Set(ids.map((id) => id.slice(0, 18)));
    assert.equal(isolates.size, 2, "both isolates answered");

    assert.equal(await server.stop("SIGTERM"), 0, server.output());
    server = null;
    const { config } = await loadConfig({ cwd: temp.dir, env: () => undefined });
    const appliance = await openAppliance(config);
    try {
      const calls = await listRecords(appliance.database.db, { kinds: "proxy.request" });
      assert.deepEqual(
        calls.map((r) => r.data.requestId).sort(),
        [...ids].sort(),
        "each call's record names the id its answer carried",
      );
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
