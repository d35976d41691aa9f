/**
 * Rules reloaded by SIGHUP in a real `securix serve` process: an edit of
 * securix.toml changes the decision of the next call, a call in flight
 * finishes under the rules it started with, a broken edit keeps the rules
 * in force and says why, and each load is in the audit trail with its hash.
 */
import assert from "node:assert/strict";
import { parse, stringify } from "smol-toml";
import { listRecords } from "../src/audit/read_records.ts";
import { loadConfig } from "../src/config/load.ts";
import { openAppliance } from "../src/http/appliance.ts";
import { MESSAGE_IDS } from "./helpers/fake_apis/gmail_seed.ts";
import { startFakeApis } from "./helpers/fake_provider_apis.ts";
import { startServeProcess } from "./helpers/process.ts";
import { envelope, PROVIDERS, tokenOf } from "./helpers/rules_env.ts";
import { seedApp, seedConnection } from "./helpers/seed.ts";
import { openTempAppliance } from "./helpers/temp_appliance.ts";

const INITIAL_RULE = { name: "no_repo_deletes", target: "github.repos.delete", effect: "deny" };
const DENY_LIST = {
  name: "no_mail_lists",
  target: "gmail.users.messages.list",
  effect: "deny",
  llm_error: "Listing mail is switched off.",
};

async function pollUntil<T>(what: string, probe: () => Promise<T | null>, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const got = await probe();
    if (got !== null) return got;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

Deno.test("rules/reload: SIGHUP puts an edit in force for the next call, not for calls in flight; a broken edit keeps the rules", async () => {
  const fake = await startFakeApis({ token: (p) => tokenOf(p) });
  const temp = await openTempAppliance({
    raw: {
      server: { base_domain: "localhost" },
      providers: Object.fromEntries(
        PROVIDERS.map((p) => [p, { client_id: "c", client_secret: "s", api_base_url: fake.url }]),
      ),
      rules: [INITIAL_RULE],
    },
  });
  let server: Awaited<ReturnType<typeof startServeProcess>> | null = null;
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
    const headers = {
      "securix-api-key": apiKey,
      "securix-entity-id": "alice",
      "securix-agent-id": "agent-1",
    };
    const gmail = `${server.baseUrl}/proxy/gmail/gmail/v1/users/me/messages`;
    const list = () => fetch(gmail, { headers });

    const before = await list();
    assert.equal(before.status, 200);
    await before.body?.cancel();

    // A slow call, in flight across the reload.
    let held = 0;
    fake.intercept = async (call) => {
      if (call.query.get("format") !== "minimal") return undefined;
      held++;
      await new Promise((r) => setTimeout(r, 1_000));
      return undefined;
    };
    const slow = fetch(`${gmail}/${MESSAGE_IDS.PLANNING}?format=minimal`, { headers });
    let slowDone = false;
    void slow.then(() => slowDone = true, () => slowDone = true);
    await pollUntil("the slow call to reach the fake", () => Promise.resolve(held > 0 ? 1 : null));

    const edited = parse(await Deno.readTextFile(temp.configPath));
    edited.rules = [INITIAL_RULE, DENY_LIST];
    await Deno.writeTextFile(temp.configPath, stringify(edited));
    // Dropped into rules.d since the start, as into a drop-in directory: named by the reload.
    await Deno.mkdir(`${temp.dir}/rules.d`, { recursive: true });
    await Deno.writeTextFile(`${temp.dir}/rules.d/10-extra.toml`, "");
    Deno.kill(server.pid, "SIGHUP");
    // Calls before the reload lands are still allowed; counted, for the checks below.
    let allowedWhileReloading = 0;
    const denied = await pollUntil("the edit to be in force", async () => {
      const res = await list();
      if (res.status === 200) {
        allowedWhileReloading++;
        await res.body?.cancel();
        return null;
      }
      return res;
    });
    assert.equal(denied.status, 403);
    assert.equal(slowDone, false, "the edit was in force while the slow call was still held");
    const reloading = server;
    await pollUntil(
      "the ignored rules.d file named in the log",
      () => Promise.resolve(/10-extra\.toml is not read/.test(reloading.output()) ? 1 : null),
    );
    const error = await envelope(denied);
    assert.equal(error.code, "SX-POLICY-DENIED");
    assert.equal(error.llmError, DENY_LIST.llm_error);

    const finished = await slow;
    assert.equal(finished.status, 200, "the call in flight was not dropped");
    assert.equal((await finished.json()).id, MESSAGE_IDS.PLANNING);
    fake.intercept = undefined;

    // A broken edit: the error names the rule; the deny stays in force.
    const broken = parse(await Deno.readTextFile(temp.configPath));
    broken.rules = [{ ...DENY_LIST, effect: "explode" }];
    await Deno.writeTextFile(temp.configPath, stringify(broken));
    Deno.kill(server.pid, "SIGHUP");
    const proc = server;
    await pollUntil(
      "the reload error in the log",
      () => Promise.resolve(proc.output().includes("rules[0] (no_mail_lists).effect") ? 1 : null),
    );
    assert.match(server.output(), /Rules not reloaded; the rules in force stay/);
    const still = await list();
    assert.equal(still.status, 403, "the rules in force stayed");
    await still.body?.cancel();
    const seenLists = fake.seen.filter((s) => s.path === "/gmail/v1/users/me/messages").length;
    assert.equal(seenLists, 1 + allowedWhileReloading, "no denied call reached Gmail");

    assert.equal(await server.stop(), 0);
    server = null;

    // Read the trail with the last good file (a broken one does not load at all).
    await Deno.writeTextFile(temp.configPath, stringify(edited));
    const { config } = await loadConfig({ cwd: temp.dir, env: () => undefined });
    const appliance = await openAppliance(config);
    try {
      const loads = await listRecords(appliance.database.db, { kinds: "admin.rules.loaded" });
      assert.deepEqual(loads.map((r) => [r.data.trigger, r.data.rules]), [
        ["start", 1],
        ["sighup", 2],
      ]);
      assert.notEqual(loads[0].data.hash, loads[1].data.hash);
      const calls = await listRecords(appliance.database.db, { kinds: "proxy.request" });
      const count = (operation: string, decision: string) =>
        calls.filter((r) => r.data.operation === operation && r.data.decision === decision).length;
      assert.equal(count("gmail.users.messages.list", "allowed"), 1 + allowedWhileReloading);
      assert.equal(count("gmail.users.messages.get", "allowed"), 1, "the call in flight");
      assert.equal(count("gmail.users.messages.list", "denied"), 2);
      assert.equal(calls.length, 4 + allowedWhileReloading, "every call recorded");
    } finally {
      appliance.close();
    }
  } finally {
    await server?.stop("SIGKILL");
    await fake.close();
    await Deno.remove(temp.dir, { recursive: true }).catch(() => {});
  }
});
