import assert from "node:assert/strict";
import { providerHealth } from "./provider_health.ts";
import { parseProviders } from "./test_util.ts";

function custom(name: string) {
  return {
    kind: "oauth2",
    client_id: "pub",
    authorization_url: `https://${name}.example.com/authorize`,
    token_url: `https://${name}.example.com/token`,
    api_base_url: `https://${name}.example.com/api`,
  };
}

Deno.test("provider health: a refusing token endpoint is alive; a 5xx or a network error is not", async () => {
  const calls: { url: string; method: string; body: string }[] = [];
  const fake: typeof fetch = (input, init) => {
    const url = String(input);
    calls.push({ url, method: init?.method ?? "GET", body: String(init?.body) });
    if (url.includes("down")) return Promise.reject(new TypeError("connection refused"));
    return Promise.resolve(
      new Response('{"error":"unsupported_grant_type"}', {
        status: url.includes("broken") ? 502 : 400,
      }),
    );
  };
  let t = 0;
  const configs = await parseProviders({
    live: custom("live"),
    broken: custom("broken"),
    down: custom("down"),
  });
  const rows = await providerHealth(configs, { fetch: fake, now: () => (t += 5) });
  const by = new Map(rows.map((r) => [r.provider, r]));
  assert.equal(by.get("live")!.token!.status, "ok");
  assert.equal(by.get("live")!.token!.detail, "answered 400");
  assert.equal(by.get("broken")!.token!.status, "fail");
  assert.equal(by.get("down")!.token!.status, "fail");
  assert.match(by.get("down")!.token!.detail, /^unreachable/);
  // No credentials are sent: the probe is an invalid grant, nothing else.
  for (const c of calls) {
    assert.equal(c.method, "POST");
    assert.equal(c.body, "grant_type=securix_health_check");
  }
});

/** A 127.0.0.1 server for one test: `/good` serves a usable discovery document, `/broken` one without a token endpoint. */
function discoveryServer() {
  const stop = new AbortController();
  const requests: { method: string; path: string; body: string }[] = [];
  const server: Deno.HttpServer<Deno.NetAddr> = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: stop.signal, onListen: () => {} },
    async (request): Promise<Response> => {
      const base = `http://127.0.0.1:${server.addr.port}`;
      const path = new URL(request.url).pathname;
      requests.push({ method: request.method, path, body: await request.text() });
      if (path === "/good/.well-known/openid-configuration") {
        return Response.json({
          issuer: `${base}/good`,
          authorization_endpoint: `${base}/good/authorize`,
          token_endpoint: `${base}/good/token`,
        });
      }
      if (path === "/broken/.well-known/openid-configuration") {
        return Response.json({ issuer: `${base}/broken`, authorization_endpoint: `${base}/a` });
      }
      if (path === "/good/token") {
        return Response.json({ error: "unsupported_grant_type" }, { status: 400 });
      }
      return new Response("not here", { status: 404 });
    },
  );
  return {
    base: () => `http://127.0.0.1:${server.addr.port}`,
    requests,
    close: async () => {
      stop.abort();
      await server.finished;
    },
  };
}

/** Fails the test instead of hanging it when the check under test does not bound itself. */
async function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not done within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

const OIDC_CLIENT = {
  client_id: "securix",
  client_secret: "s3cret",
  api_base_url: "https://api.x",
};

Deno.test("provider health: a served discovery document leads to its token endpoint; a broken one stops there", async () => {
  const server = discoveryServer();
  try {
    const base = server.base();
    const configs = await parseProviders({
      good: { kind: "oidc", issuer: `${base}/good`, ...OIDC_CLIENT },
      broken: { kind: "oidc", issuer: `${base}/broken`, ...OIDC_CLIENT },
    });
    const rows = await within(5_000, providerHealth(configs, { now: Date.now, timeoutMs: 2_000 }));
    const [good, broken] = rows;
    assert.deepEqual(rows.map((r) => r.provider), ["good", "broken"]);
    assert.equal(good.discovery!.url, `${base}/good/.well-known/openid-configuration`);
    assert.equal(good.discovery!.status, "ok");
    assert.equal(good.discovery!.detail, `authorization ${base}/good/authorize`);
    assert.equal(good.token!.url, `${base}/good/token`);
    assert.equal(good.token!.status, "ok");
    assert.equal(good.token!.detail, "answered 400");
    assert.equal(good.note, null);
    assert.equal(broken.discovery!.status, "fail");
    assert.match(
      broken.discovery!.detail,
      /\/broken\/\.well-known\/openid-configuration is not a usable OpenID configuration \(token_endpoint: /,
    );
    assert.equal(broken.token, null, "no token endpoint to probe without a document");
    assert.equal(broken.note, "no token endpoint without discovery");
    // Discovery is a GET; the token probe carries no client credentials, only a refused grant.
    assert.deepEqual(
      server.requests.toSorted((a, b) => a.path.localeCompare(b.path)),
      [
        { method: "GET", path: "/broken/.well-known/openid-configuration", body: "" },
        { method: "GET", path: "/good/.well-known/openid-configuration", body: "" },
        { method: "POST", path: "/good/token", body: "grant_type=securix_health_check" },
      ],
    );
  } finally {
    await server.close();
  }
});

Deno.test("provider health: an endpoint that never answers is given up on within the timeout, and the row says so", async () => {
  // Accepts connections and never writes a byte.
  const hanging = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of hanging) held.push(conn);
  })();
  const silent = `http://127.0.0.1:${(hanging.addr as Deno.NetAddr).port}`;
  try {
    const configs = await parseProviders({
      issuer: { kind: "oidc", issuer: silent, ...OIDC_CLIENT },
      token: { ...custom("token"), token_url: `${silent}/token` },
    });
    const timeoutMs = 300;
    const started = Date.now();
    const rows = await within(5_000, providerHealth(configs, { now: Date.now, timeoutMs }));
    const elapsed = Date.now() - started;
    assert.ok(elapsed < timeoutMs + 1_500, `gave up after ${elapsed} ms`);
    const [issuer, token] = rows;
    assert.equal(issuer.discovery!.status, "fail");
    assert.equal(
      issuer.discovery!.detail,
      `Cannot discover the OpenID configuration for "issuer": no answer from ${silent}/.well-known/openid-configuration within 300 ms`,
    );
    assert.equal(issuer.note, "no token endpoint without discovery");
    assert.deepEqual(token.token, {
      url: `${silent}/token`,
      status: "fail",
      detail: "no answer within 300 ms",
      ms: token.token!.ms,
    });
    for (const ms of [issuer.discovery!.ms, token.token!.ms]) {
      assert.ok(ms >= timeoutMs - 50 && ms < timeoutMs + 1_500, `waited ${ms} ms`);
    }
  } finally {
    hanging.close();
    await accepting.catch(() => {});
    for (const conn of held) conn.close();
  }
});
