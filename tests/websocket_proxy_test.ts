/**
 * WebSocket through the proxy: a provider that declares `websocket = true`
 * gets the upgrade bridged to its upstream with the vault's token injected at
 * the handshake; the caller never holds it, and providers that do not declare
 * WebSocket refuse the upgrade before anything reaches them.
 */
import assert from "node:assert/strict";
import { freePort } from "./helpers/process.ts";
import { seedApp, seedConnection } from "./helpers/seed.ts";
import { openTempAppliance } from "./helpers/temp_appliance.ts";
import { serveRuntime } from "./helpers/serve_runtime.ts";

const TOKEN = "ws-vault-token";

interface Handshake {
  path: string;
  authorization: string | null;
  securixHeaders: string[];
}

/** An upstream that echoes messages back and records each handshake and close. */
function startEchoUpstream() {
  const handshakes: Handshake[] = [];
  const closes: number[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response("websocket only", { status: 426 });
    }
    handshakes.push({
      path: new URL(req.url).pathname,
      authorization: req.headers.get("authorization"),
      securixHeaders: [...req.headers.keys()].filter((h) => h.includes("securix")),
    });
    if (req.headers.get("authorization") !== `Bearer ${TOKEN}`) {
      return new Response("bad token", { status: 401 });
    }
    const { socket, response } = Deno.upgradeWebSocket(req);
    socket.onmessage = (e) => socket.send(`echo:${e.data}`);
    socket.onclose = (e) => closes.push(e.code);
    return response;
  });
  return { server, handshakes, closes, port: server.addr.port };
}

async function startAppliance(upstreamPort: number) {
  const temp = await openTempAppliance({
    raw: {
      server: { base_domain: "localhost" },
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
        rest: {
          kind: "oauth2",
          client_id: "c",
          client_secret: "s",
          authorization_url: "http://127.0.0.1:1/authorize",
          token_url: "http://127.0.0.1:1/token",
          api_base_url: `http://127.0.0.1:${upstreamPort}/rest`,
        },
      },
    },
  });
  const { appliance } = temp;
  const { app, apiKey: secret } = await seedApp(appliance, { name: "ws-demo" });
  for (const provider of ["chat", "rest"]) {
    await seedConnection(appliance, {
      id: `con_${provider}`,
      appId: app.id,
      entityId: "user-1",
      provider,
      accessToken: TOKEN,
    });
  }
  const port = freePort();
  const served = await serveRuntime(appliance, port);
  return {
    base: `ws://127.0.0.1:${port}`,
    http: `http://127.0.0.1:${port}`,
    headers: {
      "securix-api-key": secret,
      "securix-entity-id": "user-1",
      "securix-agent-id": "agent-1",
    },
    async close() {
      await served.stop();
      await temp.cleanup();
    },
  };
}

/** Opens a client socket with Deno's header option; resolves once open or rejects on failure. */
function connect(url: string, headers: Record<string, string>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers } as unknown as string[]);
    const timer = setTimeout(() => reject(new Error("no open within 5 s")), 5_000);
    ws.onopen = () => {
      clearTimeout(timer);
      resolve(ws);
    };
    ws.onerror = () => {
      clearTimeout(timer);
      reject(new Error("websocket failed"));
    };
  });
}

function nextMessage(ws: WebSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no message within 5 s")), 5_000);
    ws.onmessage = (e) => {
      clearTimeout(timer);
      resolve(String(e.data));
    };
  });
}

async function waitFor(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(check(), `timed out waiting for ${what}`);
}

Deno.test("websocket: bridged to the declared upstream with the vault token at the handshake", async () => {
  const upstream = startEchoUpstream();
  const appliance = await startAppliance(upstream.port);
  try {
    const ws = await connect(`${appliance.base}/proxy/chat/socket`, appliance.headers);
    await waitFor(() => upstream.handshakes.length === 1, "the upstream handshake");
    const [handshake] = upstream.handshakes;
    assert.equal(handshake.path, "/rt/socket");
    assert.equal(handshake.authorization, `Bearer ${TOKEN}`);
    assert.deepEqual(handshake.securixHeaders, [], "no securix-* header reaches the provider");

    const reply = nextMessage(ws);
    ws.send("hello");
    assert.equal(await reply, "echo:hello");
    const second = nextMessage(ws);
    ws.send("again");
    assert.equal(await second, "echo:again");

    ws.close(1000, "done");
    await waitFor(() => upstream.closes.length === 1, "the close to reach the provider");
  } finally {
    await appliance.close();
    await upstream.server.shutdown();
  }
});

Deno.test("websocket: refused without a key, and for providers that do not declare it", async () => {
  const upstream = startEchoUpstream();
  const appliance = await startAppliance(upstream.port);
  try {
    const upgrade = {
      connection: "upgrade",
      upgrade: "websocket",
      "sec-websocket-version": "13",
      "sec-websocket-key": btoa("0123456789abcdef"),
    };
    const noKey = await fetch(`${appliance.http}/proxy/chat/socket`, {
      headers: { ...upgrade, "securix-entity-id": "user-1", "securix-agent-id": "agent-1" },
    });
    assert.equal(noKey.status, 401);
    assert.equal((await noKey.json()).error.code, "SX-API-KEY-MISSING");

    const undeclared = await fetch(`${appliance.http}/proxy/rest/socket`, {
      headers: { ...upgrade, ...appliance.headers },
    });
    assert.equal(undeclared.status, 400);
    const body = await undeclared.json();
    assert.match(body.error.message, /WebSocket/);
    await assert.rejects(connect(`${appliance.base}/proxy/rest/socket`, appliance.headers));
    assert.equal(upstream.handshakes.length, 0, "nothing reached the provider");
  } finally {
    await appliance.close();
    await upstream.server.shutdown();
  }
});
