/**
 * `securix sessions list|show` on a real temp appliance holding a pending, a
 * failed and a completed consent: status and reason in words, filters, and
 * never a secret (sxc hash, device code hash, browser binding, state,
 * PKCE verifier, credential ids) in the output.
 */
import assert from "node:assert/strict";
import { runCli } from "../src/cli/main.ts";
import { captureIo } from "./helpers/capture_io.ts";
import { SECRETS, seedSessions } from "./helpers/seed_sessions.ts";
import { openTempAppliance } from "./helpers/temp_appliance.ts";

async function setup() {
  const temp = await openTempAppliance();
  await seedSessions(temp.appliance);
  return temp;
}

async function cli(configPath: string, ...args: string[]) {
  const io = captureIo();
  const code = await runCli(["--config", configPath, ...args], io.io);
  return { code, out: io.out.join("\n"), err: io.err.join("\n") };
}

function assertNoSecrets(text: string): void {
  for (const [name, value] of Object.entries(SECRETS)) {
    assert.ok(!text.includes(value), `${name} leaked: ${text}`);
  }
  for (const key of ["sxcHash", "deviceCodeHash", "browserBinding", "credentialId", "state"]) {
    assert.ok(!text.includes(`"${key}"`), `field ${key} shown: ${text}`);
  }
}

Deno.test("sessions list: newest first, status and reason in words, filters, no secrets", async () => {
  const temp = await setup();
  try {
    const all = await cli(temp.configPath, "sessions", "list", "--json");
    assert.equal(all.code, 0, all.err);
    assertNoSecrets(all.out);
    const rows = JSON.parse(all.out);
    assert.deepEqual(
      rows.map((r: { id: string; status: string }) => [r.id, r.status]),
      [["ses_done1", "completed"], ["ses_failed1", "failed"], ["ses_pending1", "pending"]],
    );
    const failed = rows[1];
    assert.equal(failed.app, "shop");
    assert.equal(failed.flow, "device");
    assert.equal(failed.reason, "access_denied");
    assert.equal(failed.reasonText, "The user declined access at the provider");
    assert.equal(rows[0].providers.gmail.account.email, "alice@example.com");

    const byStatus = await cli(temp.configPath, "sessions", "list", "shop", "--status", "failed");
    assert.equal(byStatus.code, 0, byStatus.err);
    assert.match(byStatus.out, /ses_failed1/);
    assert.match(byStatus.out, /declined access/);
    assert.doesNotMatch(byStatus.out, /ses_pending1|ses_done1/);

    const alice = await cli(temp.configPath, "sessions", "list", "--entity", "alice", "--json");
    assert.deepEqual(JSON.parse(alice.out).map((r: { id: string }) => r.id), [
      "ses_done1",
      "ses_pending1",
    ]);
    const github = await cli(temp.configPath, "sessions", "list", "--provider", "github", "--json");
    assert.deepEqual(JSON.parse(github.out).map((r: { id: string }) => r.id), ["ses_failed1"]);
    const recent = await cli(temp.configPath, "sessions", "list", "--since", "1h", "--json");
    assert.equal(JSON.parse(recent.out).length, 3);

    const paged = await cli(temp.configPath, "sessions", "list", "--limit", "2", "--json");
    assert.equal(JSON.parse(paged.out).length, 2);
    const cursor = /--cursor (\S+)/.exec(paged.err)![1];
    const rest = await cli(temp.configPath, "sessions", "list", "--limit", "2", "--cursor", cursor);
    assert.match(rest.out, /ses_pending1/);

    const bad = await cli(temp.configPath, "sessions", "list", "--since", "yesterday");
    assert.notEqual(bad.code, 0);
    assert.match(bad.err, /SX-INVALID-INPUT/);
  } finally {
    await temp.cleanup();
  }
});

Deno.test("sessions show: everything but secrets; an unknown id is SX-SESSION-NOT-FOUND", async () => {
  const temp = await setup();
  try {
    for (const id of ["ses_pending1", "ses_failed1", "ses_done1"]) {
      const json = await cli(temp.configPath, "sessions", "show", id, "--json");
      assert.equal(json.code, 0, json.err);
      assertNoSecrets(json.out);
      assert.equal(JSON.parse(json.out).id, id);
      const text = await cli(temp.configPath, "sessions", "show", id);
      assert.equal(text.code, 0, text.err);
      assertNoSecrets(text.out);
    }
    const pending = JSON.parse(
      (await cli(temp.configPath, "sessions", "show", "ses_pending1", "--json")).out,
    );
    assert.equal(pending.browserBound, true);
    assert.equal(pending.status, "pending");
    const missing = await cli(temp.configPath, "sessions", "show", "ses_nope");
    assert.notEqual(missing.code, 0);
    assert.match(missing.err, /SX-SESSION-NOT-FOUND/);
  } finally {
    await temp.cleanup();
  }
});
