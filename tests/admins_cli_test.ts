/**
 * `securix admins add --password-stdin`, `admins list` and `admin login-link`
 * as an operator's script runs them: the terminal shows a QR code and the
 * key, never a password; the link signs in once.
 */
import assert from "node:assert/strict";
import { findAdmin } from "../src/admins/admin_store.ts";
import { resumeAdminSession, startAdminSession } from "../src/admins/admin_session_store.ts";
import { redeemLoginLink } from "../src/admins/login_link_store.ts";
import { verifyPassword } from "../src/admins/password_hash.ts";
import { listRecords } from "../src/audit/read_records.ts";
import { openTempAppliance } from "./helpers/temp_appliance.ts";

const PASSWORD = "a passphrase for the console";
const MAIN = new URL("../main.ts", import.meta.url).pathname;
const DENO_JSON = new URL("../deno.json", import.meta.url).pathname;

async function securix(cwd: string, args: string[], stdin = "") {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--config", DENO_JSON, MAIN, ...args],
    cwd,
    env: { NO_COLOR: "1" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(stdin));
  await writer.close();
  const out = await child.output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

Deno.test("cli: admins add (password from stdin, QR and key shown), list, login-link", async () => {
  const temp = await openTempAppliance({
    raw: { server: { admin_listen: "127.0.0.1:18081" } },
  });
  temp.appliance.close();
  try {
    const password = "a passphrase for the console";
    const added = await securix(temp.dir, ["admins", "add", "ops", "--password-stdin"], password);
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /Created admin ops/);
    assert.match(added.stdout, /[█▀▄]{10}/, "a QR code in the terminal");
    assert.match(added.stdout, /Key: [A-Z2-7]{32}/);
    assert.equal(added.stdout.includes(password), false);
    assert.equal(added.stdout.includes("\u001b"), false, "no escape sequences");

    const short = await securix(temp.dir, ["admins", "add", "two", "--password-stdin"], "short");
    assert.notEqual(short.code, 0);
    assert.match(short.stderr, /at least 12 characters/);

    // A taken name is refused before any password is asked for (no stdin read, no prompt).
    const taken = await securix(temp.dir, ["admins", "add", "ops"]);
    assert.notEqual(taken.code, 0);
    assert.match(taken.stderr, /ops/);
    assert.doesNotMatch(taken.stderr, /password/i);

    const listed = await securix(temp.dir, ["admins", "list", "--json"]);
    const rows = JSON.parse(listed.stdout);
    assert.deepEqual(rows.map((r: { name: string; enrolled: boolean }) => [r.name, r.enrolled]), [
      ["ops", false],
    ]);

    const link = await securix(temp.dir, ["admin", "login-link", "ops"]);
    assert.equal(link.code, 0, link.stderr);
    assert.match(
      link.stdout.trim(),
      /^http:\/\/127\.0\.0\.1:18081\/console\/link\/[A-Za-z0-9_-]{43}$/,
    );
    assert.match(link.stderr, /Single use, valid 10 minutes/);
    const missing = await securix(temp.dir, ["admin", "login-link", "nobody"]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /No admin named "nobody"/);

    const reopened = await openTempAppliance({ dir: temp.dir, masterKeyHex: temp.masterKeyHex });
    try {
      const db = reopened.appliance.database.db;
      const admin = (await findAdmin(db, "ops"))!;
      assert.equal(await verifyPassword(password, admin.passwordHash), true);
      assert.match(admin.passwordHash, /^scrypt\$/);
      const records = await listRecords(db, { kinds: "admin.admins,admin.console" });
      assert.deepEqual(records.map((r) => [r.kind, r.data.actor]), [
        ["admin.admins.added", "cli"],
        ["admin.console.login_link_created", "cli"],
      ]);
    } finally {
      reopened.appliance.close();
    }
  } finally {
    await Deno.remove(temp.dir, { recursive: true });
  }
});

Deno.test("cli: admins sign-out ends every console session of one admin and voids their unused links", async () => {
  const temp = await openTempAppliance({
    raw: { server: { admin_listen: "127.0.0.1:18081" } },
  });
  temp.appliance.close();
  try {
    for (const name of ["ops", "other"]) {
      const added = await securix(temp.dir, ["admins", "add", name, "--password-stdin"], PASSWORD);
      assert.equal(added.code, 0, added.stderr);
    }
    const link = (await securix(temp.dir, ["admin", "login-link", "ops"])).stdout.trim();
    const linkToken = link.slice(link.lastIndexOf("/") + 1);
    const tokens: Record<string, string[]> = { ops: [], other: [] };
    let opened = await openTempAppliance({ dir: temp.dir, masterKeyHex: temp.masterKeyHex });
    try {
      const db = opened.appliance.database.db;
      for (const name of ["ops", "ops", "other"]) {
        const admin = (await findAdmin(db, name))!;
        tokens[name].push((await startAdminSession(db, admin.id, "password", Date.now())).token);
      }
    } finally {
      opened.appliance.close();
    }

    const out = await securix(temp.dir, ["admins", "sign-out", "ops"]);
    assert.equal(out.code, 0, out.stderr);
    assert.match(
      out.stdout,
      /Signed ops out: 2 session\(s\) ended, 1 unused login link\(s\) voided/,
    );
    const missing = await securix(temp.dir, ["admins", "sign-out", "nobody"]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /No admin named "nobody"/);

    opened = await openTempAppliance({ dir: temp.dir, masterKeyHex: temp.masterKeyHex });
    try {
      const db = opened.appliance.database.db;
      const now = Date.now();
      for (const token of tokens.ops) assert.equal(await resumeAdminSession(db, token, now), null);
      assert.notEqual(await resumeAdminSession(db, tokens.other[0], now), null, "others stay");
      assert.equal(await redeemLoginLink(db, linkToken, now), null, "the link no longer signs in");
      const [record] = await listRecords(db, { kinds: "admin.admins.signed_out" });
      assert.deepEqual(
        [record.data.admin, record.data.sessions, record.data.links, record.data.actor],
        ["ops", 2, 1, "cli"],
      );
    } finally {
      opened.appliance.close();
    }
  } finally {
    await Deno.remove(temp.dir, { recursive: true });
  }
});
