import assert from "node:assert/strict";
import type { FetchHandlerOptions } from "./fetch_handler.ts";
import { toNextJsHandler } from "./nextjs_handler.ts";
import { Securix } from "./server_client.ts";

const APP = "https://app.test";
const SXC_HASH = "h".repeat(43);

interface ApplianceCall {
  method: string;
  path: string;
  body: Record<string, unknown> | null;
}

/** A stand-in for the appliance API: two sessions, owned by two entities. */
function fakeAppliance(overrides: Record<string, () => Response> = {}) {
  const calls: ApplianceCall[] = [];
  const session = (id: string, entityId: string) => ({
    sessionId: id,
    entityId,
    flow: "popup",
    status: "awaiting_confirmation",
    reason: null,
    expiresAt: "2030-01-01T00:10:00.000Z",
    providers: { gmail: { status: "connected", scopes: ["s"], account: { id: "1" } } },
  });
  const sessions: Record<string, ReturnType<typeof session>> = {
    ses_alice: session("ses_alice", "alice"),
    ses_bob: session("ses_bob", "bob"),
  };
  const fetch = (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const method = init?.method ?? "GET";
    const body = init?.body ? JSON.parse(String(init.body)) : null;
    calls.push({ method, path: `${url.pathname}${url.search}`, body });
    const key = `${method} ${url.pathname}`;
    if (overrides[key]) return Promise.resolve(overrides[key]());
    const id = decodeURIComponent(url.pathname.split("/")[4] ?? "");
    if (key === "POST /v1/auth/sessions") {
      return Promise.resolve(Response.json({
        sessionId: "ses_new",
        authUrl: "https://sx.test/connect/ses_new",
        expiresAt: "2030-01-01T00:10:00.000Z",
        flow: body.flow,
        ...(body.flow === "device" ? { deviceAuthCode: "ABCD-1234", interval: 5 } : {}),
      }, { status: 201 }));
    }
    if (key === "GET /v1/auth/status") {
      return Promise.resolve(Response.json({ status: "AUTH_PENDING", providers: {} }));
    }
    const found = sessions[id];
    if (!found) {
      return Promise.resolve(
        Response.json(
          { error: { code: "SX-SESSION-NOT-FOUND", message: "No such auth session" } },
          {
            status: 404,
          },
        ),
      );
    }
    if (method === "POST") {
      return Promise.resolve(Response.json({ ...found, status: "AUTH_SUCCESS" }));
    }
    return Promise.resolve(Response.json(found));
  };
  return { calls, fetch: fetch as typeof globalThis.fetch };
}

function setup(
  options: Partial<FetchHandlerOptions> = {},
  overrides: Record<string, () => Response> = {},
) {
  const appliance = fakeAppliance(overrides);
  const errors: unknown[] = [];
  const securix = new Securix({
    baseUrl: "https://sx.test",
    apiKey: "key",
    fetch: appliance.fetch,
  });
  const handler = securix.toFetchHandler({
    // The app's own session: a cookie naming the signed-in user.
    getEntityId: (req) => req.headers.get("cookie")?.match(/user=(\w+)/)?.[1] ?? null,
    onError: (e) => errors.push(e),
    ...options,
  });
  return { handler, calls: appliance.calls, errors };
}

function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  return new Request(`${APP}/api/securix/${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      cookie: "user=alice",
      origin: APP,
      "sec-fetch-site": "same-origin",
      ...headers,
    },
    body: JSON.stringify(body),
  });
}

const errorOf = async (res: Response) => (await res.json()).error;

Deno.test("create: the entity comes from getEntityId; the appliance sees only that", async () => {
  const { handler, calls } = setup();
  const res = await handler(post("create-auth-session", {
    providers: { gmail: { scopes: ["gmail.readonly"] } },
    sxcHash: SXC_HASH,
  }));
  assert.equal(res.status, 201);
  assert.equal(res.headers.get("cache-control"), "no-store");
  assert.deepEqual(await res.json(), {
    sessionId: "ses_new",
    authUrl: "https://sx.test/connect/ses_new",
    expiresAt: "2030-01-01T00:10:00.000Z",
    flow: "popup",
  });
  assert.deepEqual(calls[0].body, {
    entityId: "alice",
    flow: "popup",
    providers: { gmail: { scopes: ["gmail.readonly"] } },
    sxcHash: SXC_HASH,
    origin: APP,
  });
});

Deno.test("create: an entityId in the body is refused, never used", async () => {
  const { handler, calls } = setup();
  const res = await handler(post("create-auth-session", {
    entityId: "bob",
    providers: ["gmail"],
    sxcHash: SXC_HASH,
  }));
  assert.equal(res.status, 400);
  assert.equal((await errorOf(res)).code, "SX-INVALID-INPUT");
  assert.equal(calls.length, 0);
});

Deno.test("a body that is not JSON: 400 SX-INVALID-JSON, as the appliance's /v1 API answers it", async () => {
  const { handler, calls } = setup();
  for (const path of ["create-auth-session", "confirm-auth-session"]) {
    for (const text of ["{not json", "", '{"providers":'] as const) {
      const req = post(path, null);
      const res = await handler(
        new Request(req.url, { method: "POST", headers: req.headers, body: text }),
      );
      assert.equal(res.status, 400, `${path} ${JSON.stringify(text)}`);
      const error = await errorOf(res);
      assert.equal(error.code, "SX-INVALID-JSON", `${path} ${JSON.stringify(text)}`);
      assert.equal(error.message.includes(text || "\u0000"), false, "the body is not echoed");
    }
  }
  // Well-formed JSON of the wrong shape stays SX-INVALID-INPUT, naming the field.
  const shape = await handler(post("create-auth-session", { providers: 7, sxcHash: SXC_HASH }));
  assert.equal(shape.status, 400);
  const wrong = await errorOf(shape);
  assert.equal(wrong.code, "SX-INVALID-INPUT");
  assert.match(wrong.message, /^providers/);
  assert.equal(calls.length, 0);
});

Deno.test("a field outside its limits: SX-INVALID-INPUT naming it, worded in English", async () => {
  const { handler, calls } = setup();
  const cases: [string, Record<string, unknown>, string][] = [
    [
      "confirm-auth-session",
      { sessionId: "", sxc: "x" },
      "sessionId: Too small: expected string to have >=1 characters",
    ],
    [
      "confirm-auth-session",
      { sessionId: "ses_1", sxc: "x".repeat(257) },
      "sxc: Too big: expected string to have <=256 characters",
    ],
    [
      "create-auth-session",
      { sxcHash: "h".repeat(101) },
      "sxcHash: Too big: expected string to have <=100 characters",
    ],
    [
      "create-auth-session",
      { providers: { gmail: { scopes: Array(51).fill("s") } } },
      "providers: Invalid input",
    ],
  ];
  for (const [path, body, message] of cases) {
    const res = await handler(post(path, body));
    assert.equal(res.status, 400, message);
    const error = await errorOf(res);
    assert.deepEqual({ code: error.code, message: error.message }, {
      code: "SX-INVALID-INPUT",
      message,
    });
  }
  assert.equal(calls.length, 0);
});

Deno.test("no app session: 401 and the appliance is never called", async () => {
  const { handler, calls } = setup();
  for (
    const req of [
      post("create-auth-session", { providers: ["gmail"], sxcHash: SXC_HASH }, { cookie: "" }),
      post("confirm-auth-session", { sessionId: "ses_alice", sxc: "x" }, { cookie: "" }),
      new Request(`${APP}/api/securix/status`),
    ]
  ) {
    const res = await handler(req);
    assert.equal(res.status, 401);
    assert.equal((await errorOf(res)).code, "SX-NOT-SIGNED-IN");
  }
  assert.equal(calls.length, 0);
});

Deno.test("confirm: refuses another entity's session without confirming it", async () => {
  const { handler, calls } = setup();
  const res = await handler(post("confirm-auth-session", { sessionId: "ses_bob", sxc: "stolen" }));
  assert.equal(res.status, 404);
  assert.equal((await errorOf(res)).code, "SX-SESSION-NOT-FOUND");
  assert.deepEqual(calls.map((c) => `${c.method} ${c.path}`), ["GET /v1/auth/sessions/ses_bob"]);
});

Deno.test("confirm: the entity's own session is confirmed with the sxc", async () => {
  const { handler, calls } = setup();
  const res = await handler(
    post("confirm-auth-session", { sessionId: "ses_alice", sxc: "the-sxc" }),
  );
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.status, "AUTH_SUCCESS");
  assert.equal(body.sessionId, "ses_alice");
  assert.equal(body.providers.gmail.status, "connected");
  assert.equal(body.entityId, undefined);
  assert.deepEqual(calls.map((c) => `${c.method} ${c.path}`), [
    "GET /v1/auth/sessions/ses_alice",
    "POST /v1/auth/sessions/ses_alice/confirm",
  ]);
  assert.deepEqual(calls[1].body, { sxc: "the-sxc" });
});

Deno.test("cancel: the entity's own session is cancelled with the sxc; another's is refused", async () => {
  const { handler, calls } = setup({}, {
    "POST /v1/auth/sessions/ses_alice/cancel": () =>
      Response.json({
        sessionId: "ses_alice",
        entityId: "alice",
        flow: "popup",
        status: "failed",
        reason: "user_cancelled",
        expiresAt: "2030-01-01T00:10:00.000Z",
        providers: {},
      }),
  });
  const res = await handler(
    post("cancel-auth-session", { sessionId: "ses_alice", sxc: "the-sxc" }),
  );
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), {
    sessionId: "ses_alice",
    status: "failed",
    reason: "user_cancelled",
  });
  assert.deepEqual(calls.map((c) => `${c.method} ${c.path}`), [
    "GET /v1/auth/sessions/ses_alice",
    "POST /v1/auth/sessions/ses_alice/cancel",
  ]);
  assert.deepEqual(calls[1].body, { sxc: "the-sxc" });

  const other = await handler(post("cancel-auth-session", { sessionId: "ses_bob", sxc: "x" }));
  assert.equal(other.status, 404);
  assert.equal((await errorOf(other)).code, "SX-SESSION-NOT-FOUND");
  assert.equal(calls.length, 3, "another entity's session is never cancelled");
});

Deno.test("appliance refusals pass through; appliance faults become 502 and are reported", async () => {
  const mismatch = setup({}, {
    "POST /v1/auth/sessions/ses_alice/confirm": () =>
      Response.json(
        { error: { code: "SX-SXC-MISMATCH", message: "No match", llmError: "Retry" } },
        {
          status: 403,
        },
      ),
  });
  const refused = await mismatch.handler(
    post("confirm-auth-session", { sessionId: "ses_alice", sxc: "x" }),
  );
  assert.equal(refused.status, 403);
  assert.deepEqual(await errorOf(refused), {
    code: "SX-SXC-MISMATCH",
    message: "No match",
    llmError: "Retry",
  });

  const badKey = setup({}, {
    "POST /v1/auth/sessions": () =>
      Response.json({ error: { code: "SX-API-KEY-INVALID", message: "unknown key" } }, {
        status: 401,
      }),
  });
  const res = await badKey.handler(
    post("create-auth-session", { providers: ["gmail"], sxcHash: SXC_HASH }),
  );
  assert.equal(res.status, 502, "the browser must not read the app's key problem as 'signed out'");
  assert.equal((await errorOf(res)).code, "SX-APPLIANCE-ERROR");
  assert.equal(badKey.errors.length, 1);
});

Deno.test("provider allowlist: defaults, subsets, and refusals", async () => {
  const { handler, calls } = setup({
    providers: { gmail: { scopes: ["gmail.readonly", "gmail.send"] }, github: {} },
  });
  const create = (providers: unknown) =>
    handler(post("create-auth-session", { providers, sxcHash: SXC_HASH }));
  assert.equal((await create(["gmail"])).status, 201);
  assert.deepEqual(calls.at(-1)?.body?.providers, {
    gmail: { scopes: ["gmail.readonly", "gmail.send"] },
  });
  assert.equal((await create({ gmail: { scopes: ["gmail.send"] }, github: {} })).status, 201);
  assert.deepEqual(calls.at(-1)?.body?.providers, {
    gmail: { scopes: ["gmail.send"] },
    github: {},
  });
  const before = calls.length;
  const notOffered = await create(["slack"]);
  assert.equal(notOffered.status, 400);
  assert.equal((await errorOf(notOffered)).code, "SX-PROVIDER-NOT-ALLOWED");
  const tooMuch = await create({ gmail: { scopes: ["gmail.modify"] } });
  assert.equal((await errorOf(tooMuch)).code, "SX-SCOPE-NOT-ALLOWED");
  const proto = await create(["__proto__"]);
  assert.equal(proto.status, 400);
  assert.equal(calls.length, before);
  // Without providers in the body, everything offered is asked for.
  assert.equal((await create(undefined)).status, 201);
  assert.deepEqual(Object.keys(calls.at(-1)?.body?.providers as object), ["gmail", "github"]);
});

Deno.test("flows: only the allowed ones; device answers carry the code", async () => {
  const popupOnly = setup({ flows: ["popup"] });
  const refused = await popupOnly.handler(
    post("create-auth-session", { providers: ["gmail"], flow: "device" }),
  );
  assert.equal((await errorOf(refused)).code, "SX-FLOW-NOT-ALLOWED");
  const { handler, calls } = setup({ flows: ["popup", "device"] });
  const res = await handler(post("create-auth-session", { providers: ["gmail"], flow: "device" }));
  const body = await res.json();
  assert.equal(body.deviceAuthCode, "ABCD-1234");
  assert.equal(body.interval, 5);
  assert.equal(calls[0].body?.origin, undefined, "no popup origin for the device flow");
});

Deno.test("cross-site and non-JSON POSTs are refused before anything else", async () => {
  const { handler, calls } = setup();
  const body = { providers: ["gmail"], sxcHash: SXC_HASH };
  const crossSite = await handler(
    post("create-auth-session", body, {
      "sec-fetch-site": "cross-site",
      origin: "https://evil.test",
    }),
  );
  assert.equal(crossSite.status, 403);
  assert.equal((await errorOf(crossSite)).code, "SX-CROSS-SITE");
  const form = await handler(
    post("confirm-auth-session", body, { "content-type": "application/x-www-form-urlencoded" }),
  );
  assert.equal(form.status, 415);
  assert.equal(calls.length, 0);

  const trusting = setup({ trustedOrigins: ["https://front.test"] });
  const trusted = await trusting.handler(
    post("create-auth-session", body, {
      "sec-fetch-site": "cross-site",
      origin: "https://front.test",
    }),
  );
  assert.equal(trusted.status, 201);
});

Deno.test("status: the entity's status, or one of its own sessions", async () => {
  const { handler, calls } = setup();
  const get = (q = "") =>
    handler(new Request(`${APP}/api/securix/status${q}`, { headers: { cookie: "user=alice" } }));
  assert.deepEqual(await (await get()).json(), { status: "AUTH_PENDING", providers: {} });
  assert.equal(calls[0].path, "/v1/auth/status?entityId=alice");
  const own = await (await get("?sessionId=ses_alice")).json();
  assert.equal(own.status, "awaiting_confirmation");
  assert.equal(own.sessionId, "ses_alice");
  assert.equal((await get("?sessionId=ses_bob")).status, 404);
});

Deno.test("routing: basePath, unknown routes and methods", async () => {
  const { handler } = setup({ basePath: "/securix/" });
  const req = (method: string, path: string) =>
    handler(new Request(`${APP}${path}`, { method, headers: { cookie: "user=alice" } }));
  assert.equal((await req("GET", "/securix/status")).status, 200);
  assert.equal((await req("GET", "/api/securix/status")).status, 404);
  assert.equal((await req("GET", "/securix/create-auth-session")).status, 404);
  assert.equal((await req("DELETE", "/securix/status")).status, 404);
});

Deno.test("toNextJsHandler exposes GET and POST that route on the URL", async () => {
  const { handler } = setup();
  const { GET, POST } = toNextJsHandler(handler);
  const status = await GET(
    new Request(`${APP}/api/securix/status`, { headers: { cookie: "user=alice" } }),
  );
  assert.equal(status.status, 200);
  const created = await POST(
    post("create-auth-session", { providers: ["gmail"], sxcHash: SXC_HASH }),
  );
  assert.equal(created.status, 201);
});

Deno.test("a body without content-length is read only up to the limit, never buffered whole", async () => {
  const { handler, calls } = setup();
  for (const path of ["create-auth-session", "confirm-auth-session", "cancel-auth-session"]) {
    // A signed-in user streams 8 MiB in chunks, with no content-length to refuse it by.
    const chunk = new Uint8Array(64 * 1024).fill(0x20);
    let pulled = 0;
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled >= 8 * 1024 * 1024) return controller.close();
        pulled += chunk.length;
        controller.enqueue(chunk);
      },
      cancel() {
        cancelled = true;
      },
    }, { highWaterMark: 0 });
    const req = post(path, null);
    const res = await handler(new Request(req.url, { method: "POST", headers: req.headers, body }));
    assert.equal(req.headers.get("content-length"), null);
    assert.equal(res.status, 413, path);
    assert.equal((await errorOf(res)).code, "SX-BODY-TOO-LARGE");
    assert.ok(pulled <= 2 * chunk.length, `${path}: read ${pulled} bytes of an oversized body`);
    assert.ok(cancelled, `${path}: the rest of the body is cancelled`);
  }
  assert.equal(calls.length, 0);
});

Deno.test('a sessionId of "." or ".." is not found, never sent to the appliance', async () => {
  const { handler, calls, errors } = setup();
  for (const sessionId of [".", ".."]) {
    for (
      const req of [
        post("confirm-auth-session", { sessionId, sxc: "x" }),
        post("cancel-auth-session", { sessionId, sxc: "x" }),
        new Request(`${APP}/api/securix/status?sessionId=${sessionId}`, {
          headers: { cookie: "user=alice" },
        }),
      ]
    ) {
      const res = await handler(req);
      assert.equal(res.status, 404);
      assert.equal((await errorOf(res)).code, "SX-SESSION-NOT-FOUND");
    }
  }
  assert.equal(calls.length, 0);
  assert.equal(errors.length, 0);
});

Deno.test("status: a cross-site GET is refused, so an app's permissive CORS cannot leak accounts", async () => {
  // status answers the user's connected accounts (emails); an app whose CORS middleware
  // reflects any origin with credentials would hand them to any site the user visits.
  const { handler, calls } = setup();
  for (const path of ["status", "status?sessionId=ses_alice"]) {
    const res = await handler(
      new Request(`${APP}/api/securix/${path}`, {
        headers: {
          cookie: "user=alice",
          "sec-fetch-site": "cross-site",
          origin: "https://evil.test",
        },
      }),
    );
    assert.equal(res.status, 403, path);
    assert.equal((await errorOf(res)).code, "SX-CROSS-SITE");
  }
  assert.equal(calls.length, 0);
  // Same-origin, and a trusted front end, still read it.
  const own = await handler(
    new Request(`${APP}/api/securix/status`, {
      headers: { cookie: "user=alice", "sec-fetch-site": "same-origin" },
    }),
  );
  assert.equal(own.status, 200);
  const trusting = setup({ trustedOrigins: ["https://front.test"] });
  const trusted = await trusting.handler(
    new Request(`${APP}/api/securix/status`, {
      headers: {
        cookie: "user=alice",
        "sec-fetch-site": "cross-site",
        origin: "https://front.test",
      },
    }),
  );
  assert.equal(trusted.status, 200);
});

Deno.test("flows: by default only the popup; a signed-in user cannot get a device code to phish with", async () => {
  // A device code is a link-free consent: whoever the code is sent to ("enter ABCD-1234 at
  // securix.example.com/device to verify") connects their account to the code's entity. The
  // popup flow's opener proof stops exactly that forwarding, so the browser routes offer the
  // device flow only when the app asks for it.
  const { handler, calls } = setup();
  const refused = await handler(
    post("create-auth-session", { providers: ["gmail"], flow: "device" }),
  );
  assert.equal(refused.status, 400);
  assert.equal((await errorOf(refused)).code, "SX-FLOW-NOT-ALLOWED");
  assert.equal(calls.length, 0);
  const popup = await handler(
    post("create-auth-session", { providers: ["gmail"], sxcHash: SXC_HASH }),
  );
  assert.equal(popup.status, 201);
});
