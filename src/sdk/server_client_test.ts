import assert from "node:assert/strict";
import { SecurixApiError } from "./sdk_error.ts";
import { Securix } from "./server_client.ts";

const KEY = "sx_live_secret_key_123";

interface Seen {
  method: string;
  url: string;
  headers: Headers;
  body: unknown;
  redirect: RequestRedirect | undefined;
}

function stub(answer: (seen: Seen) => Response | Promise<Response>) {
  const seen: Seen[] = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const s: Seen = {
      method: init?.method ?? "GET",
      url: String(input),
      headers: new Headers(init?.headers),
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
      redirect: init?.redirect,
    };
    seen.push(s);
    return await answer(s);
  };
  return { seen, fetch: fetch as typeof globalThis.fetch };
}

const sessionJson = (over: Record<string, unknown> = {}) => ({
  sessionId: "ses_1",
  entityId: "user-1",
  flow: "popup",
  status: "pending",
  reason: null,
  expiresAt: "2030-01-01T00:10:00.000Z",
  providers: { gmail: { status: "pending", scopes: ["gmail.readonly"], account: null } },
  ...over,
});

Deno.test("createSession posts JSON with the API key and returns the typed answer", async () => {
  const { seen, fetch } = stub(() =>
    Response.json({
      sessionId: "ses_1",
      authUrl: "https://sx.test/connect/ses_1",
      expiresAt: "2030-01-01T00:10:00.000Z",
      flow: "popup",
    }, { status: 201 })
  );
  const securix = new Securix({ baseUrl: "https://sx.test/base/", apiKey: KEY, fetch });
  const created = await securix.auth.createSession({
    entityId: "user-1",
    flow: "popup",
    providers: { gmail: { scopes: ["gmail.readonly"] } },
    sxcHash: "a".repeat(43),
  });
  assert.equal(created.sessionId, "ses_1");
  assert.equal(created.authUrl, "https://sx.test/connect/ses_1");
  assert.equal(seen[0].method, "POST");
  assert.equal(seen[0].url, "https://sx.test/base/v1/auth/sessions");
  assert.equal(seen[0].headers.get("securix-api-key"), KEY);
  assert.equal(seen[0].headers.get("content-type"), "application/json");
  assert.equal(seen[0].redirect, "manual", "the API key never follows a redirect");
  assert.deepEqual(seen[0].body, {
    entityId: "user-1",
    flow: "popup",
    providers: { gmail: { scopes: ["gmail.readonly"] } },
    sxcHash: "a".repeat(43),
  });
});

Deno.test("session, status, confirm and connection calls hit the documented routes", async () => {
  const { seen, fetch } = stub((s) => {
    const path = new URL(s.url).pathname;
    if (s.method === "DELETE") return new Response(null, { status: 204 });
    if (path.endsWith("/confirm")) {
      return Response.json({ ...sessionJson({ status: "AUTH_SUCCESS" }) });
    }
    if (path.startsWith("/v1/auth/sessions/")) return Response.json(sessionJson());
    if (path.endsWith("/pause") || path.endsWith("/resume")) {
      return Response.json({
        id: "con_1",
        entityId: "user 1",
        provider: "gmail",
        status: path.endsWith("/pause") ? "paused" : "active",
        scopes: [],
        account: null,
        createdAt: "2030-01-01T00:00:00.000Z",
      });
    }
    if (path === "/v1/auth/status") {
      return Response.json({
        status: "AUTH_SUCCESS",
        providers: { gmail: { status: "active", scopes: [], account: { id: "1" } } },
      });
    }
    return Response.json({
      connections: [{
        id: "con_1",
        entityId: "user 1",
        provider: "gmail",
        status: "active",
        scopes: [],
        account: { id: "1", email: "a@b.test" },
        createdAt: "2030-01-01T00:00:00.000Z",
      }],
    });
  });
  const securix = new Securix({ baseUrl: "https://sx.test", apiKey: KEY, fetch });
  assert.equal((await securix.auth.getSession("ses/1")).status, "pending");
  assert.equal((await securix.auth.getStatus("user 1&x=1")).status, "AUTH_SUCCESS");
  assert.equal((await securix.auth.confirmSessionSXC("ses_1", "the-sxc")).status, "AUTH_SUCCESS");
  const list = await securix.connections.list("user 1");
  assert.equal(list[0].account?.email, "a@b.test");
  assert.equal((await securix.connections.pause("con_1")).status, "paused");
  assert.equal((await securix.connections.resume("con_1")).status, "active");
  assert.equal(await securix.connections.revoke("con_1"), undefined);
  assert.deepEqual(seen.map((s) => `${s.method} ${s.url.replace("https://sx.test", "")}`), [
    "GET /v1/auth/sessions/ses%2F1",
    "GET /v1/auth/status?entityId=user+1%26x%3D1",
    "POST /v1/auth/sessions/ses_1/confirm",
    "GET /v1/connections?entityId=user+1&limit=500",
    "POST /v1/connections/con_1/pause",
    "POST /v1/connections/con_1/resume",
    "DELETE /v1/connections/con_1",
  ]);
  assert.deepEqual(seen[2].body, { sxc: "the-sxc" });
  await assert.rejects(() => securix.auth.getSession(""), TypeError);
});

Deno.test("the error envelope becomes SecurixApiError with code, status and llmError", async () => {
  const { fetch } = stub(() =>
    Response.json({
      error: {
        code: "SX-SXC-MISMATCH",
        message: "The sxc does not match",
        llmError: "Ask the user to start again",
        requestId: "req_0123456789abcd0000001",
      },
    }, { status: 403, headers: { "securix-request-id": "req_0123456789abcd0000001" } })
  );
  const securix = new Securix({ baseUrl: "https://sx.test", apiKey: KEY, fetch });
  const error = await securix.auth.confirmSessionSXC("ses_1", "x").catch((e) => e);
  assert.ok(error instanceof SecurixApiError);
  assert.equal(error.code, "SX-SXC-MISMATCH");
  assert.equal(error.status, 403);
  assert.equal(error.message, "The sxc does not match");
  assert.equal(error.llmError, "Ask the user to start again");
  assert.equal(error.requestId, "req_0123456789abcd0000001");
  assert.equal(error.type, null, "no type in that envelope");
});

Deno.test("SecurixApiError.type: an anomaly block's SX-403 says anomaly_detected", async () => {
  const { fetch } = stub(() =>
    Response.json({
      error: {
        code: "SX-403",
        type: "anomaly_detected",
        message: "Request blocked: mass delete pattern detected",
        details: { anomalyId: "ano_1" },
      },
    }, { status: 403 })
  );
  const securix = new Securix({ baseUrl: "https://sx.test", apiKey: KEY, fetch });
  const error = await securix.auth.getSession("ses_1").catch((e) => e);
  assert.ok(error instanceof SecurixApiError);
  assert.equal(error.code, "SX-403");
  assert.equal(error.type, "anomaly_detected");
  assert.deepEqual(error.details, { anomalyId: "ano_1" });
});

Deno.test("SecurixApiError.requestId: from the answer's header when the body has none; null without an answer", async () => {
  const cases: [() => Response | Promise<Response>, string | null][] = [
    [
      () =>
        new Response("<html>Bad gateway</html>", {
          status: 502,
          headers: { "securix-request-id": "req_0123456789abcd0000002" },
        }),
      "req_0123456789abcd0000002",
    ],
    [() => new Response("<html>Bad gateway</html>", { status: 502 }), null],
    [() => Promise.reject(new TypeError("connection refused")), null],
  ];
  for (const [answer, requestId] of cases) {
    const { fetch } = stub(answer);
    const securix = new Securix({ baseUrl: "https://sx.test", apiKey: KEY, fetch });
    const error = await securix.auth.getSession("ses_1").catch((e) => e);
    assert.ok(error instanceof SecurixApiError, String(error));
    assert.equal(error.requestId, requestId);
  }
});

Deno.test("unreachable, redirecting, non-envelope and malformed answers are SX- errors without the key", async () => {
  const cases: [() => Response | Promise<Response>, string, number][] = [
    [() => Promise.reject(new TypeError("connection refused")), "SX-APPLIANCE-UNREACHABLE", 0],
    [
      () => new Response(null, { status: 302, headers: { location: "https://evil.test/" } }),
      "SX-BAD-RESPONSE",
      302,
    ],
    [() => new Response("<html>Bad gateway</html>", { status: 502 }), "SX-BAD-RESPONSE", 502],
    [() => Response.json({ sessionId: 1 }), "SX-BAD-RESPONSE", 200],
    [() => new Response("not json"), "SX-BAD-RESPONSE", 200],
  ];
  for (const [answer, code, status] of cases) {
    const { fetch } = stub(answer);
    const securix = new Securix({ baseUrl: "https://sx.test", apiKey: KEY, fetch });
    const error = await securix.auth.getSession("ses_1").catch((e) => e);
    assert.ok(error instanceof SecurixApiError, String(error));
    assert.equal(error.code, code);
    assert.equal(error.status, status);
    assert.ok(!error.message.includes(KEY));
  }
});

Deno.test("waitForSession polls until the user is done and backs off on SX-SLOW-DOWN", async () => {
  const answers = [
    () => Response.json(sessionJson({ flow: "device" })),
    () =>
      Response.json(
        { error: { code: "SX-SLOW-DOWN", message: "slow", details: { interval: 5 } } },
        {
          status: 429,
        },
      ),
    () => Response.json(sessionJson({ flow: "device", status: "completed" })),
  ];
  const { seen, fetch } = stub(() => answers.shift()!());
  const waits: number[] = [];
  const securix = new Securix({
    baseUrl: "https://sx.test",
    apiKey: KEY,
    fetch,
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
  });
  const done = await securix.auth.waitForSession("ses_1", { interval: 2 });
  assert.equal(done.status, "completed");
  assert.equal(seen.length, 3);
  assert.deepEqual(waits, [2000, 7000]);
});

Deno.test("constructor refuses a bad baseUrl or an empty key", () => {
  assert.throws(() => new Securix({ baseUrl: "sx.test", apiKey: KEY }), TypeError);
  assert.throws(() => new Securix({ baseUrl: "ftp://sx.test", apiKey: KEY }), TypeError);
  assert.throws(() => new Securix({ baseUrl: "https://sx.test", apiKey: "" }), TypeError);
});

Deno.test("connections.list follows nextCursor to the last page; page() passes filters through", async () => {
  const { seen, fetch } = stub((s) => {
    const cursor = new URL(s.url).searchParams.get("cursor");
    const connection = (id: string) => ({
      id,
      entityId: "u",
      provider: "gmail",
      status: "active",
      scopes: [],
      createdAt: "2030-01-01T00:00:00.000Z",
    });
    if (!cursor) return Response.json({ connections: [connection("con_1")], nextCursor: "c2" });
    if (cursor === "c2") {
      return Response.json({ connections: [connection("con_2")], nextCursor: "c3" });
    }
    return Response.json({ connections: [connection("con_3")], nextCursor: null });
  });
  const securix = new Securix({ baseUrl: "https://sx.test", apiKey: KEY, fetch });
  assert.deepEqual((await securix.connections.list()).map((c) => c.id), [
    "con_1",
    "con_2",
    "con_3",
  ]);
  assert.deepEqual(seen.map((s) => new URL(s.url).search), [
    "?limit=500",
    "?limit=500&cursor=c2",
    "?limit=500&cursor=c3",
  ]);
  const page = await securix.connections.page({ provider: "gmail", status: "paused", limit: 2 });
  assert.equal(page.nextCursor, "c2");
  assert.equal(new URL(seen.at(-1)!.url).search, "?provider=gmail&status=paused&limit=2");
});

Deno.test("mcp.getUrl posts entity, agent, providers and ttl in seconds; revokeUrl deletes", async () => {
  const { seen, fetch } = stub((s) =>
    s.method === "DELETE" ? new Response(null, { status: 204 }) : Response.json({
      id: "mcp_abc",
      url: "https://sx.test/mcp/sxmcp_x",
      expiresAt: "2030-01-01T12:00:00.000Z",
      entityId: "user-1",
      agentId: "agent-1",
      providers: ["gmail"],
    }, { status: 201 })
  );
  const securix = new Securix({ baseUrl: "https://sx.test", apiKey: KEY, fetch });
  const got = await securix.mcp.getUrl({
    entityId: "user-1",
    agentId: "agent-1",
    providers: ["gmail"],
    ttl: "12h",
  });
  assert.equal(got.url, "https://sx.test/mcp/sxmcp_x");
  assert.equal(seen[0].url, "https://sx.test/v1/mcp/urls");
  assert.deepEqual(seen[0].body, {
    entityId: "user-1",
    agentId: "agent-1",
    providers: ["gmail"],
    ttlSeconds: 43_200,
  });
  await securix.mcp.getUrl({ entityId: "user-1", agentId: "agent-1", ttl: 600 });
  assert.deepEqual(seen[1].body, { entityId: "user-1", agentId: "agent-1", ttlSeconds: 600 });
  await assert.rejects(
    securix.mcp.getUrl({ entityId: "u", agentId: "a", ttl: "soon" }),
    TypeError,
  );
  await securix.mcp.revokeUrl("mcp_abc");
  assert.equal(seen.at(-1)!.method, "DELETE");
  assert.equal(seen.at(-1)!.url, "https://sx.test/v1/mcp/urls/mcp_abc");
});

Deno.test("portal.getUrl posts entity and returnUrl; answers url and expiresAt", async () => {
  const { seen, fetch } = stub(() =>
    Response.json({
      url: "https://sx.test/portal/start?t=abc",
      expiresAt: "2030-01-01T12:10:00.000Z",
    }, { status: 201 })
  );
  const securix = new Securix({ baseUrl: "https://sx.test", apiKey: KEY, fetch });
  const got = await securix.portal.getUrl({
    entityId: "user-1",
    returnUrl: "https://app.test/settings",
  });
  assert.deepEqual(got, {
    url: "https://sx.test/portal/start?t=abc",
    expiresAt: "2030-01-01T12:10:00.000Z",
  });
  assert.equal(seen[0].method, "POST");
  assert.equal(seen[0].url, "https://sx.test/v1/portal/urls");
  assert.deepEqual(seen[0].body, { entityId: "user-1", returnUrl: "https://app.test/settings" });
});

Deno.test('an id of "." or ".." is refused: as a path segment it would reach another route', async () => {
  // The fetch handler passes a browser's sessionId straight to getSession; an app may pass a
  // user's connection id to revoke. URL parsing turns /v1/connections/.. into /v1/.
  const { seen, fetch } = stub(() => Response.json(sessionJson()));
  const securix = new Securix({ baseUrl: "https://sx.test", apiKey: KEY, fetch });
  for (const id of [".", ".."]) {
    const calls = [
      () => securix.auth.getSession(id),
      () => securix.auth.confirmSessionSXC(id, "sxc"),
      () => securix.auth.cancelSessionSXC(id, "sxc"),
      () => securix.connections.get(id),
      () => securix.connections.revoke(id),
      () => securix.mcp.revokeUrl(id),
    ];
    for (const call of calls) await assert.rejects(call, TypeError, `${call} with ${id}`);
  }
  assert.equal(seen.length, 0);
  // Dots inside an id are not dot segments and still go through, encoded.
  await securix.auth.getSession("ses..1");
  assert.equal(new URL(seen[0].url).pathname, "/v1/auth/sessions/ses..1");
});
