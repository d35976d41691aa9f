import assert from "node:assert/strict";
import { resolveConfig } from "./load.ts";

const KEY = "ab".repeat(32);
const resolve = (server: Record<string, unknown>) =>
  resolveConfig({ server, vault: { master_key: "env:K" } }, {
    source: null,
    baseDir: "/tmp",
    env: (name) => name === "K" ? KEY : undefined,
  });

Deno.test("[server] admin_listen: loopback 8081 by default, a host:port, or off", async () => {
  assert.deepEqual((await resolve({})).server.adminAddress, { hostname: "127.0.0.1", port: 8081 });
  assert.deepEqual((await resolve({ admin_listen: "10.0.0.5:9000" })).server.adminAddress, {
    hostname: "10.0.0.5",
    port: 9000,
  });
  assert.equal((await resolve({ admin_listen: "off" })).server.adminAddress, null);
  await assert.rejects(
    resolve({ admin_listen: "on" }),
    /admin_listen: expected "host:port" or "off"/,
  );
});
