/**
 * Another process holding the database's write lock (`BEGIN IMMEDIATE`), the
 * way a second appliance process or a stuck operator shell would: every write
 * of the appliance waits its busy timeout and fails until `release`.
 */
import { encodeHexLowerCase } from "@oslojs/encoding";
import { createClient } from "@libsql/client";
import type { Config } from "../../src/config/load.ts";
import { deriveSubkey, LABELS } from "../../src/vault/derive.ts";
import { DENO_JSON } from "./process.ts";

export interface HeldWriteLock {
  /** Rolls back and waits for the holder to exit. */
  release(): Promise<void>;
}

export async function holdWriteLock(config: Config): Promise<HeldWriteLock> {
  const key = encodeHexLowerCase(await deriveSubkey(config.vault.masterKey, LABELS.databaseFile));
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--config", DENO_JSON, new URL(import.meta.url).pathname],
    env: { LOCK_DB_URL: config.database.url, LOCK_DB_KEY: key },
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let said = "";
  const deadline = Date.now() + 15_000;
  while (!said.includes("locked") && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    said += value;
  }
  if (!said.includes("locked")) {
    child.kill("SIGKILL");
    await child.status;
    throw new Error(`the lock holder did not take the lock: ${said}`);
  }
  return {
    async release() {
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode("release\n"));
      await writer.close();
      while (!(await reader.read()).done) { /* drain */ }
      await child.status;
    },
  };
}

if (import.meta.main) {
  const client = createClient({
    url: Deno.env.get("LOCK_DB_URL")!,
    encryptionKey: Deno.env.get("LOCK_DB_KEY")!,
  });
  // The appliance's own writers (the audit thread) may hold the lock for a moment: wait for it,
  // rather than exit at the first SQLITE_BUSY.
  await client.execute("PRAGMA busy_timeout = 10000");
  // BEGIN IMMEDIATE, held on its own connection until rolled back.
  const tx = await client.transaction("write");
  console.log("locked");
  // Held until the parent writes a line (or goes away and closes stdin).
  for await (const _ of Deno.stdin.readable) break;
  await tx.rollback();
  client.close();
}
