/**
 * Rules edited in the console of a real `securix serve` with two serving
 * isolates: saved to rules.d/rules.toml beside securix.toml, and in force in both
 * isolates at once (every call after the save, on either, is denied), the
 * edit audited once with the admin's name and the new hash.
 */
import assert from "node:assert/strict";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { createAdmin } from "../src/admins/admin_store.ts";
import { listRecords } from "../src/audit/read_records.ts";
import { loadConfig } from "../src/config/load.ts";
import { openAppliance } from "../src/http/appliance.ts";
import { ConsoleClient } from "./helpers/console_client.ts";
import { freePort, startServeProcess, untilWorkers } from "./helpers/process.ts";
import { aliceHeaders, seedGmailApp, twoIsolateEnv } from "./helpers/workers_env.ts";

const RULES = `[[rules]]
name = "no_mail_lists"
target = "gmail.users.messages.list"
effect = "deny"
`;

interface Family {
  name: string;
  metrics: { value?: string; labels?: Record<string, string> }[];
}

Deno.test("console rules edit: rules.toml is written and both serving isolates deny at once", async () => {
  const adminPort = freePort();
  const { fake, temp } = await twoIsolateEnv({ admin_listen: `127.0.0.1:${adminPort}` });
  let server: Awaited<ReturnType<typeof startServeProcess>> | null = null;
  const client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  try {
    const { apiKey } = await seedGmailApp(temp);
    const { totpKey } = await createAdmin(temp.appliance, "ops", "correct horse battery staple");
    temp.appliance.close();
    const metricsPort = freePort();
    server = await startServeProcess({
      cwd: temp.dir,
      env: { SECURIX_SERVER_METRICS_LISTEN: `127.0.0.1:${metricsPort}` },
    });
    const proc = server;
    await untilWorkers(proc, 2);
    const gmail = `${server.baseUrl}/proxy/gmail/gmail/v1/users/me/messages`;
    const headers = aliceHeaders(apiKey);
    const call = async () => {
      const res = await fetch(gmail, { headers, client });
      await res.body?.cancel();
      return res.status;
    };
    const accepted = async (isolate: string) => {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      const families = parsePrometheusTextFormat(text) as Family[];
      return Number(
        families.find((f) => f.name === "securix_http_accepted_connections_total")?.metrics
          .find((m) => m.labels?.isolate === isolate)?.value ?? 0,
      );
    };
    for (let i = 0; i < 10; i++) assert.equal(await call(), 200);

    const admin = new ConsoleClient(`http://127.0.0.1:${adminPort}`);
    const signedIn = await admin.signIn("ops", "correct horse battery staple", totpKey);
    assert.equal(signedIn.status, 303);
    await signedIn.body?.cancel();
    const { csrf } = await admin.page("/console/rules");
    const saved = await admin.post("/console/rules/edit", { _csrf: csrf, rules: RULES });
    assert.equal(saved.status, 303, await saved.text());
    assert.equal(saved.headers.get("location"), "/console/rules?done=rules_saved");
    assert.equal(await Deno.readTextFile(`${temp.dir}/rules.d/rules.toml`), RULES);
    // The serving isolate gets the rules by message, a moment after the main one.
    await new Promise((r) => setTimeout(r, 300));
    const before = [await accepted("0"), await accepted("1")];
    for (let i = 0; i < 30; i++) assert.equal(await call(), 403, `call ${i} was not denied`);
    assert.ok(await accepted("0") > before[0], "no denial came from the main isolate");
    assert.ok(await accepted("1") > before[1], "no denial came from the serving isolate");

    assert.equal(await server.stop(), 0);
    server = null;
    // A restart reads rules.toml too: `loadConfig` merges it.
    const { config } = await loadConfig({ cwd: temp.dir, env: () => undefined });
    assert.deepEqual(config.rules.map((r) => r.name), ["no_mail_lists"]);
    const appliance = await openAppliance(config);
    try {
      const edits = await listRecords(appliance.database.db, { kinds: "admin.rules.edited" });
      assert.equal(edits.length, 1, "the edit is recorded once");
      assert.equal((edits[0].data as Record<string, unknown>).actor, "admin:ops");
      assert.match(String((edits[0].data as Record<string, unknown>).hash), /^[0-9a-f]{64}$/);
    } finally {
      appliance.close();
    }
  } finally {
    await server?.stop();
    client.close();
    await fake.close();
    await temp.cleanup();
  }
});
