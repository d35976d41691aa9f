/**
 * The SDK's WebSocket bridge, run in its own agent process against the served
 * appliance and a fake provider WebSocket that accepts only the vault's
 * current bearer token: it stays connected, comes back after the provider
 * restarts, gets a refreshed token on reconnect once the old one expired, and
 * the agent process's memory and environment never hold a provider token.
 */
import assert from "node:assert/strict";
import { CREDENTIAL_PURPOSE } from "../src/connections/connection_types.ts";
import { freePort } from "./helpers/process.ts";
import { memoryHolds } from "./helpers/process_memory.ts";
import { seedApp, seedStoredConnection, vaultCredential } from "./helpers/seed.ts";
import { createApiKey } from "../src/apps/key_store.ts";
import { openTempAppliance } from "./helpers/temp_appliance.ts";
import { serveRuntime } from "./helpers/serve_runtime.ts";

const random = (n = 24) =>
  Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => b.toString(16).padStart(2, "0"))
    .join("");

/** A provider token endpoint that hands out a fresh access token per refresh. */
function startTokenEndpoint() {
  const issued: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const form = new URLSearchParams(await req.text());
    if (form.get("grant_type") !== "refresh_token") {
      return Response.json({ error: "unsupported_grant_type" }, { status: 400 });
    }
    const token = `tok2-${random()}`;
    issued.push(token);
    return Response.json({ access_token: token, token_type: "bearer", expires_in: 3600 });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/token`,
    issued,
    close: () => server.shutdown(),
  };
}

interface Handshake {
  authorization: string | null;
  path: string;
}

/** The provider's WebSocket: only `expected()` opens it; it greets with a marker and counts heartbeats. */
function startUpstream(port: number, expected: () => Promise<string>, marker: string) {
  const handshakes: Handshake[] = [];
  const sockets = new Set<WebSocket>();
  const seen: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, async (req) => {
    const url = new URL(req.url);
    handshakes.push({
      authorization: req.headers.get("authorization"),
      path: url.pathname + url.search,
    });
    if (req.headers.get("authorization") !== `Bearer ${await expected()}`) {
      return new Response("bad token", { status: 401 });
    }
    const { socket, response } = Deno.upgradeWebSocket(req);
    socket.onopen = () => {
      sockets.add(socket);
      socket.send(`hello:${marker}`);
    };
    socket.onmessage = (e) => seen.push(String(e.data));
    socket.onclose = () => sockets.delete(socket);
    return response;
  });
  return {
    handshakes,
    seen,
    /** The provider goes away: open sockets are dropped, the port closes. */
    async kill() {
      for (const s of sockets) s.close(1012, "restarting");
      await server.shutdown();
    },
  };
}

/** Reads the agent's JSON-line events as they come. */
function eventsOf(child: Deno.ChildProcess) {
  const events: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  (async () => {
    const lines = child.stdout.pipeThrough(new TextDecoderStream());
    let buffered = "";
    for await (const chunk of lines) {
      buffered += chunk;
      let at: number;
      while ((at = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, at);
        buffered = buffered.slice(at + 1);
        try {
          events.push(JSON.parse(line));
        } catch {
          stderr.push(line);
        }
      }
    }
  })();
  (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      stderr.push(chunk);
    }
  })();
  return { events, stderr };
}

async function waitFor(check: () => boolean | Promise<boolean>, what: string, detail = () => "") {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what} ${detail()}`);
}

Deno.test({
  name:
    "bridge: connected through the appliance, reconnects after the provider restarts, refreshed token on reconnect, no token in the agent's memory or environment",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    let clock = Date.now();
    const tokens = startTokenEndpoint();
    const upstreamPort = freePort();
    const temp = await openTempAppliance({
      now: () => clock,
      raw: {
        server: { base_domain: "localhost" },
        providers: {
          feed: {
            kind: "oauth2",
            client_id: "c",
            client_secret: "s",
            authorization_url: "http://127.0.0.1:1/authorize",
            token_url: tokens.url,
            api_base_url: `http://127.0.0.1:${upstreamPort}/rt`,
            websocket: true,
          },
        },
      },
    });
    const { appliance } = temp;
    const { app, apiKey } = await seedApp(appliance, { name: "agents" });
    // The agent process holds an agent key (the proxy and its connection's status only);
    // the backend's own calls below use the backend key.
    const { secret: agentKey } = await createApiKey(
      appliance.database.db,
      app.id,
      appliance,
      "agent",
    );
    const first = `tok1-${random()}`;
    const refreshToken = `rt-${random()}`;
    await seedStoredConnection(appliance, {
      id: "con_feedone",
      appId: app.id,
      entityId: "trader",
      provider: "feed",
      credential: {
        accessToken: first,
        refreshToken,
        tokenType: "bearer",
        expiresAt: clock + 3_600_000,
        obtainedAt: clock,
        scopes: [],
      },
    });
    const port = freePort();
    const served = await serveRuntime(appliance, port);
    const current = async () => (await vaultCredential(appliance, "cred_con_feedone"))!.accessToken;
    const marker = `marker-${random()}`;
    let upstream = startUpstream(upstreamPort, current, marker);
    const metricsPort = freePort();
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("./helpers/bridge_agent.ts", import.meta.url).pathname,
        `http://127.0.0.1:${port}`,
        agentKey,
        "con_feedone",
        String(metricsPort),
      ],
      // The agent's environment: the machine's, nothing of the provider's.
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const agent = eventsOf(child);
    const count = (event: string) => agent.events.filter((e) => e.event === event).length;
    const hellos = () =>
      agent.events.filter((e) => e.event === "message" && String(e.data).startsWith("hello:"))
        .length;
    const why = () =>
      JSON.stringify({ events: agent.events.slice(-8), err: agent.stderr.join("") });
    try {
      // Connected: the provider saw the vault token at the handshake, on the agent's path.
      await waitFor(() => hellos() === 1, "the first greeting", why);
      assert.equal(upstream.handshakes.at(-1)?.authorization, `Bearer ${first}`);
      assert.equal(upstream.handshakes.at(-1)?.path, "/rt/feed?channel=ticker");
      await waitFor(() => upstream.seen.includes("subscribe"), "the agent's subscribe");
      await waitFor(() => upstream.seen.filter((m) => m === "heartbeat").length >= 2, "heartbeats");

      // The provider restarts: the bridge notices and comes back by itself.
      await upstream.kill();
      await waitFor(() => count("disconnect") >= 1, "the disconnect", why);
      upstream = startUpstream(upstreamPort, current, marker);
      await waitFor(() => hellos() >= 2, "the reconnect after the restart", why);
      assert.equal(tokens.issued.length, 0, "no refresh while the token is valid");

      // Two hours later the token has expired: the reconnect gets a refreshed one.
      clock += 2 * 3_600_000;
      await upstream.kill();
      const before = hellos();
      upstream = startUpstream(upstreamPort, current, marker);
      await waitFor(() => hellos() > before, "the reconnect with a refreshed token", why);
      assert.equal(tokens.issued.length, 1, "exactly one refresh");
      const second = tokens.issued[0];
      assert.equal(await current(), second);
      assert.equal(upstream.handshakes.at(-1)?.authorization, `Bearer ${second}`);
      assert.ok(
        upstream.handshakes.every((h) => h.authorization === `Bearer ${second}`),
        "the expired token was never presented again",
      );

      // The token refreshed for that handshake is the one the socket carries: no second reconnect.
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(agent.events.filter((e) => e.code === 4000).length, 0, why());

      // A refresh made elsewhere (the gateway's POST /v1/refresh): the bridge notices the new
      // expiry and reconnects at once, and the provider sees the newest token.
      clock += 60_000;
      const beforeRefresh = hellos();
      const refreshed = await fetch(`http://127.0.0.1:${port}/v1/refresh/con_feedone`, {
        method: "POST",
        headers: { "securix-api-key": apiKey },
      });
      const refreshedText = await refreshed.text();
      assert.equal(refreshed.status, 200, refreshedText);
      assert.equal(refreshedText.includes("access_token"), false, "release is off for this app");
      assert.equal(tokens.issued.length, 2);
      const third = tokens.issued[1];
      await waitFor(() => hellos() > beforeRefresh, "the reconnect after the refresh", why);
      assert.equal(agent.events.filter((e) => e.code === 4000).length, 1, why());
      assert.equal(upstream.handshakes.at(-1)?.authorization, `Bearer ${third}`);

      // The agent's metrics, as its own /metrics serves them.
      const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      const value = (pattern: RegExp) => Number(pattern.exec(metrics)?.[1] ?? NaN);
      assert.equal(value(/^securix_bridge_connected\{agent_id="agent-1"\} (\d+)/m), 1, metrics);
      assert.ok(value(/^securix_bridge_reconnects_total\{agent_id="agent-1"\} (\d+)/m) >= 2);
      assert.ok(
        value(/^securix_bridge_messages_total\{agent_id="agent-1",direction="in"\} (\d+)/m) >= 3,
      );
      assert.ok(
        value(/^securix_bridge_messages_total\{agent_id="agent-1",direction="out"\} (\d+)/m) >= 3,
      );

      // The agent's memory: the marker the provider sent is there (the scan works);
      // neither access token nor the refresh token ever was.
      const held = await memoryHolds(child.pid, [marker, first, second, third, refreshToken]);
      assert.equal(held.get(marker), true, "the scan finds what the agent received");
      assert.equal(held.get(first), false, "first access token in the agent's memory");
      assert.equal(held.get(second), false, "refreshed access token in the agent's memory");
      assert.equal(held.get(third), false, "token refreshed by the gateway in the agent's memory");
      assert.equal(held.get(refreshToken), false, "refresh token in the agent's memory");
      const environ = await Deno.readTextFile(`/proc/${child.pid}/environ`);
      for (const secret of [first, second, third, refreshToken]) {
        assert.equal(environ.includes(secret), false, "token in the agent's environment");
      }
      // And the vault record the tokens came from is still the only place they are.
      assert.ok(await appliance.vault.get("cred_con_feedone", CREDENTIAL_PURPOSE));

      child.kill("SIGTERM");
      await waitFor(() => count("stopped") === 1, "the agent to stop", why);
    } finally {
      try {
        child.kill("SIGKILL");
      } catch { /* exited */ }
      await child.status;
      await upstream.kill().catch(() => {});
      await served.stop();
      await tokens.close();
      await temp.cleanup();
    }
  },
});
