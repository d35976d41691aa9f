/**
 * The WebSocket proxy's limits against a provider that misbehaves: one that
 * never answers the handshake (the client is closed with 1013 after
 * `proxy.upstream_timeout_ms` and nothing is queued past 1 MiB, 1009), and
 * one that completes the handshake and then never reads (1013 once 16 MiB
 * wait to be sent). Before these limits the client's socket stayed open
 * forever and the appliance held whatever it was sent.
 */
import assert from "node:assert/strict";

import { freePort } from "./helpers/process.ts";
import { seedApp, seedConnection } from "./helpers/seed.ts";
import { openTempAppliance } from "./helpers/temp_appliance.ts";
import { serveRuntime } from "./helpers/serve_runtime.ts";

/** A provider that accepts TCP and reads nothing; with `handshake`, it answers 101 first. */
function startSilentUpstream(handshake: boolean) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  let eofs = 0;
  (async () => {
    for await (const conn of listener) {
      conns.push(conn);
      (async () => {
        const buf = new Uint8Array(16 * 1024);
        let head = "";
        if (handshake) {
          while (!head.includes("\r\n\r\n")) {
            const n = await conn.read(buf);
            if (n === null) return;
            head += new TextDecoder().decode(buf.subarray(0, n));
          }
          const key = /sec-websocket-key:\s*(\S+)/i.exec(head)![1];
          const digest = await crypto.subtle.digest(
            "SHA-1",
            new TextEncoder().encode(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"),
          );
          await conn.write(new TextEncoder().encode(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
              `Sec-WebSocket-Accept: ${
                btoa(String.fromCharCode(...new Uint8Array(digest)))
              }\r\n\r\n`,
          ));
          return; // and never read again
        }
        while (await conn.read(buf) !== null) { /* a handshake it never answers */ }
        eofs++;
      })().catch(() => {});
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    conns,
    eofs: () => eofs,
    close() {
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      listener.close();
    },
  };
}

async function startAppliance(upstreamPort: number, upstreamTimeoutMs: number) {
  const temp = await openTempAppliance({
    raw: {
      server: { base_domain: "localhost" },
      proxy: { upstream_timeout_ms: upstreamTimeoutMs },
      providers: {
        chat: {
          kind: "oauth2",
          client_id: "c",
          client_secret: "s",
          authorization_url: "http://127.0.0.1:1/authorize",
          token_url: "http://127.0.0.1:1/token",
          api_base_url: `http://127.0.0.1:${upstreamPort}/rt`,
          websocket: true,
        },
      },
    },
  });
  const { app, apiKey } = await seedApp(temp.appliance, { name: "ws-limits" });
  await seedConnection(temp.appliance, {
    id: "con_chat",
    appId: app.id,
    entityId: "user-1",
    provider: "chat",
    accessToken: "tok",
  });
  const port = freePort();
  const served = await serveRuntime(temp.appliance, port);
  const ws = new WebSocket(`ws://127.0.0.1:${port}/proxy/chat/socket`, {
    headers: {
      "securix-api-key": apiKey,
      "securix-entity-id": "user-1",
      "securix-agent-id": "agent-1",
    },
  } as unknown as string[]);
  ws.binaryType = "arraybuffer";
  let closed: { code: number; reason: string; at: number } | null = null;
  ws.onclose = (e) => closed = { code: e.code, reason: e.reason, at: Date.now() };
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  return {
    ws,
    closed: () => closed,
    async stop() {
      try {
        ws.close();
      } catch { /* closed */ }
      await served.stop();
      await temp.cleanup();
    },
  };
}

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  for (let i = 0; i < ms / 50 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
  return check();
}

Deno.test({
  name: "websocket limits: a provider that never answers closes the client with 1013",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const hole = startSilentUpstream(false);
    const appliance = await startAppliance(hole.port, 500);
    const opened = Date.now();
    try {
      assert.ok(await waitFor(() => appliance.closed() !== null, 5_000), "still open after 5 s");
      const closed = appliance.closed()!;
      assert.equal(closed.code, 1013);
      assert.match(closed.reason, /did not answer/);
      assert.ok(closed.at - opened >= 400, `closed after ${closed.at - opened} ms`);
      // The abandoned handshake's TCP connection is closed too.
      assert.ok(await waitFor(() => hole.eofs() === 1, 5_000), "the upstream attempt is open");
    } finally {
      await appliance.stop();
      hole.close();
    }
  },
});

Deno.test({
  name: "websocket limits: more than 1 MiB before the provider answers closes with 1009",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const hole = startSilentUpstream(false);
    const appliance = await startAppliance(hole.port, 60_000);
    try {
      const chunk = new Uint8Array(512 * 1024);
      for (let i = 0; i < 3; i++) appliance.ws.send(chunk);
      assert.ok(await waitFor(() => appliance.closed() !== null, 5_000), "still open after 5 s");
      assert.equal(appliance.closed()!.code, 1009);
      assert.ok(await waitFor(() => hole.eofs() === 1, 5_000), "the upstream attempt is open");
    } finally {
      await appliance.stop();
      hole.close();
    }
  },
});

Deno.test({
  name: "websocket limits: a provider that stops reading closes the client with 1013",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const deaf = startSilentUpstream(true);
    const appliance = await startAppliance(deaf.port, 60_000);
    try {
      const chunk = new Uint8Array(1024 * 1024);
      for (let i = 0; i < 64 && appliance.closed() === null; i++) {
        appliance.ws.send(chunk);
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.ok(await waitFor(() => appliance.closed() !== null, 5_000), "still open after 5 s");
      assert.equal(appliance.closed()!.code, 1013);
      assert.match(appliance.closed()!.reason, /not reading/);
    } finally {
      await appliance.stop();
      deaf.close();
    }
  },
});
