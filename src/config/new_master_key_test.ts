import assert from "node:assert/strict";
import { type DatabaseFacts, newMasterKeyDecision } from "./new_master_key.ts";

const FRESH_FILE: DatabaseFacts = { kind: "file", exists: false };
const OLD_FILE: DatabaseFacts = { kind: "file", exists: true };
const EMPTY_SERVER: DatabaseFacts = { kind: "server", holdsVault: false };
const VAULT_SERVER: DatabaseFacts = { kind: "server", holdsVault: true };
const UNASKED_SERVER: DatabaseFacts = { kind: "server", holdsVault: null };

Deno.test("new master key: serve creates it where there is no vault yet, a file or a server alike", () => {
  const serve = (database: DatabaseFacts, configFile = true) =>
    newMasterKeyDecision({ create: true, configFile, database });
  assert.equal(serve(FRESH_FILE), "create");
  assert.equal(serve(FRESH_FILE, false), "create");
  assert.equal(serve(EMPTY_SERVER), "create", "a libSQL server without a vault: a fresh install");
  assert.equal(serve(EMPTY_SERVER, false), "create");
});

Deno.test("new master key: never beside a vault the lost key made, nor where the server was not asked", () => {
  const serve = (database: DatabaseFacts) =>
    newMasterKeyDecision({ create: true, configFile: true, database });
  assert.equal(serve(OLD_FILE), "refuse");
  assert.equal(serve(VAULT_SERVER), "refuse");
  assert.equal(serve(UNASKED_SERVER), "leave");
});

Deno.test("new master key: other commands create none", () => {
  const other = (database: DatabaseFacts, configFile: boolean) =>
    newMasterKeyDecision({ create: false, configFile, database });
  for (const database of [FRESH_FILE, OLD_FILE, EMPTY_SERVER, VAULT_SERVER, UNASKED_SERVER]) {
    assert.equal(other(database, true), "leave", "the config's validation names the file");
  }
  assert.equal(other(FRESH_FILE, false), "no-appliance");
  assert.equal(other(UNASKED_SERVER, false), "no-appliance");
  assert.equal(other(OLD_FILE, false), "refuse");
});
