/**
 * GET /v1/connections for an app with many users: keyset pages with an
 * opaque cursor, filters, and clear refusals for bad parameters.
 */
import assert from "node:assert/strict";
import { createApp } from "../src/apps/app_store.ts";
import { insertConnection } from "../src/connections/connection_store.ts";
import type { ConnectionStatus } from "../src/connections/connection_types.ts";
import { createRuntime } from "../src/http/runtime.ts";
import { runCli } from "../src/cli/main.ts";
import { captureIo } from "./helpers/capture_io.ts";
import { seedApp } from "./helpers/seed.ts";
import { openTempAppliance } from "./helpers/temp_appliance.ts";

const INFO = {
  remoteAddr: { hostname: "127.0.0.1", port: 1, transport: "tcp" },
} as Deno.ServeHandlerInfo<Deno.NetAddr>;

Deno.test("connections API: pages through 250 connections, filters, and refuses bad parameters", async () => {
  const temp = await openTempAppliance();
  const { appliance } = temp;
  const db = appliance.database.db;
  const runtime = await createRuntime(appliance, { audit: false, log: () => {} });
  try {
    const { app: mine, apiKey: secret } = await seedApp(appliance, { name: "mine" });
    const other = await createApp(db, { name: "other", origins: [] }, appliance);
    const statuses: ConnectionStatus[] = ["active", "paused", "needs_reauth", "revoked"];
    for (let i = 0; i < 260; i++) {
      // Ten share one createdAt: the id breaks the tie, so no page repeats or skips one.
      const at = 1_700_000_000_000 + (i < 10 ? 0 : i);
      await insertConnection(db, {
        id: `con_${String(i).padStart(4, "0")}${i % 2 ? "b" : "a"}`,
        appId: i < 250 ? mine.id : other.id,
        entityId: `user-${i % 25}`,
        provider: i % 3 ? "gmail" : "github",
        status: statuses[i % 4 === 3 && i % 8 !== 3 ? 3 : i % 4 === 3 ? 2 : i % 4],
        scopes: [],
        account: null,
        credentialId: null,
        credentialExpiresAt: null,
        sessionId: null,
        version: 1,
        createdAt: at,
        updatedAt: at,
      });
    }
    const get = async (query: string) => {
      const res = await runtime.handler(
        new Request(`http://127.0.0.1/v1/connections${query}`, {
          headers: { "securix-api-key": secret },
        }),
        INFO,
      );
      return { status: res.status, body: await res.json() };
    };
    const visible = (await listAll(get, "")).map((c) => c.id);
    const expected = Array.from({ length: 250 }, (_, i) => i)
      .filter((i) => !(i % 4 === 3 && i % 8 !== 3))
      .map((i) => `con_${String(i).padStart(4, "0")}${i % 2 ? "b" : "a"}`);
    assert.deepEqual(visible, expected, "every live connection of this app, once, in order");

    const first = await get("?limit=100");
    assert.equal(first.body.connections.length, 100);
    assert.equal(typeof first.body.nextCursor, "string");
    const last = await get(`?limit=500`);
    assert.equal(last.body.nextCursor, null);

    const filtered = await listAll(get, "&entityId=user-4&provider=github&status=active");
    assert.ok(filtered.length > 0);
    for (const c of filtered) {
      assert.deepEqual([c.entityId, c.provider, c.status], ["user-4", "github", "active"]);
    }

    for (
      const [query, message] of [
        ["?limit=0", /limit/],
        ["?limit=501", /limit/],
        ["?limit=ten", /limit/],
        ["?status=revoked", /status/],
        ["?cursor=not-a-cursor", /cursor/],
        [`?cursor=${btoa("1.con_x' OR 1=1")}`, /cursor/],
      ] as const
    ) {
      const refused = await get(query);
      assert.equal(refused.status, 400, query);
      assert.equal(refused.body.error.code, "SX-INVALID-INPUT", query);
      assert.match(refused.body.error.message, message, query);
    }

    // The CLI pages the same way, across apps, and says how to go on.
    const seenIds: string[] = [];
    let cursorArgs: string[] = [];
    for (let page = 0; page < 5; page++) {
      const cli = captureIo();
      const args = ["connections", "list", "--limit", "100", "--json", ...cursorArgs];
      assert.equal(await runCli(["--config", temp.configPath, ...args], cli.io), 0, cli.err.join());
      seenIds.push(...JSON.parse(cli.out.join("\n")).map((c: { id: string }) => c.id));
      const more = /--cursor (\S+)/.exec(cli.err.join("\n"));
      if (!more) break;
      cursorArgs = ["--cursor", more[1]];
    }
    assert.equal(seenIds.length, new Set(seenIds).size);
    // The other app's ten, but for con_0255 (revoked).
    assert.equal(seenIds.length, expected.length + 9, "both apps' live connections");
    const bad = captureIo();
    const badArgs = ["--config", temp.configPath, "connections", "list", "--limit", "0"];
    assert.equal(await runCli(badArgs, bad.io), 1);
    assert.match(bad.err.join("\n"), /--limit: expected a whole number/);
  } finally {
    await runtime.stop();
    await temp.cleanup();
  }
});

type Listed = { id: string; entityId: string; provider: string; status: string };

/** Follows nextCursor in pages of 37 until the end (bounded). */
async function listAll(
  get: (query: string) => Promise<{ status: number; body: Record<string, unknown> }>,
  filters: string,
): Promise<Listed[]> {
  const all: Listed[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 20; page++) {
    const query = `?limit=37${filters}${cursor ? `&cursor=${cursor}` : ""}`;
    const { status, body } = await get(query);
    assert.equal(status, 200, JSON.stringify(body));
    all.push(...body.connections as Listed[]);
    cursor = body.nextCursor as string | null;
    if (!cursor) return all;
  }
  throw new Error("more than 20 pages");
}
