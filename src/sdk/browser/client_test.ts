/**
 * The browser client's handshake logic, run in Deno against a fake window and a
 * stub endpoint. tests/browser/client_js_test.ts runs the same file in Chromium.
 */
import assert from "node:assert/strict";
import { verifyConsentProof } from "../../flows/consent_proof.ts";
import { sxcHash } from "../../flows/sxc.ts";
import { catalogNames, catalogProvider } from "../../providers/catalog.ts";
import {
  AuthFailedError,
  AuthTimeoutError,
  CATALOG_DISPLAY_NAMES,
  connect,
  EndpointError,
  InsecureContextError,
  parseButtonProviders,
  PopupBlockedError,
  PopupClosedError,
  PopupReplacedError,
  providerDisplayName,
  SecurixClientError,
} from "./client.js";

const APPLIANCE = "https://securix.test";
const SESSION = "ses_1";

class FakePopup {
  closed = false;
  location = { href: "about:blank" };
  document = { title: "" };
  messages: { data: Record<string, unknown>; origin: string }[] = [];
  close() {
    this.closed = true;
  }
  postMessage(data: Record<string, unknown>, origin: string) {
    this.messages.push({ data, origin });
  }
}

class FakeWindow extends EventTarget {
  location = { href: "https://app.test/settings" };
  screenX = 0;
  screenY = 0;
  outerWidth = 1280;
  outerHeight = 800;
  popups: FakePopup[] = [];
  blocked = false;
  open(_url: string, _name: string, _features: string) {
    if (this.blocked) return null;
    const popup = new FakePopup();
    this.popups.push(popup);
    return popup;
  }
  post(data: unknown, origin: string, source: unknown) {
    this.dispatchEvent(Object.assign(new Event("message"), { data, origin, source }));
  }
}

interface Call {
  path: string;
  body: Record<string, unknown> | null;
}

/** A stand-in for the app's fetch handler. */
function endpoint(answers: Record<string, (body: Record<string, unknown>) => Response>) {
  const calls: Call[] = [];
  const fetch = (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input), "https://app.test");
    const body = init?.body ? JSON.parse(String(init.body)) : null;
    const key = `${init?.method ?? "GET"} ${url.pathname}`;
    calls.push({ path: `${key}${url.search}`, body });
    const answer = answers[key];
    return Promise.resolve(answer ? answer(body) : Response.json({}, { status: 404 }));
  };
  return { calls, fetch: fetch as typeof globalThis.fetch };
}

const created = (over: Record<string, unknown> = {}) => () =>
  Response.json({
    sessionId: SESSION,
    authUrl: `${APPLIANCE}/connect/${SESSION}`,
    expiresAt: new Date(Date.now() + 600_000).toISOString(),
    flow: "popup",
    ...over,
  }, { status: 201 });

const confirmed = (body: Record<string, unknown>) =>
  Response.json({ status: "AUTH_SUCCESS", sessionId: body.sessionId, providers: { gmail: {} } });

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(check(), "condition not reached");
};

Deno.test("popup: opens before any await, ignores foreign messages, confirms with the sxc", async () => {
  const win = new FakeWindow();
  let committed = "";
  const { calls, fetch } = endpoint({
    "POST /api/securix/create-auth-session": (body) => {
      committed = String(body.sxcHash);
      return created()();
    },
    "POST /api/securix/confirm-auth-session": (body) => {
      assert.equal(sxcHash(String(body.sxc)), committed, "sxc must open the commitment");
      return confirmed(body);
    },
  });
  const pending = connect({
    endpoint: "/api/securix/",
    providers: { gmail: { scopes: ["gmail.readonly"] } },
    window: win as unknown as Window,
    fetch,
    closedPollMs: 5,
  });
  assert.equal(win.popups.length, 1, "popup opened synchronously, inside the click");
  const popup = win.popups[0];
  await until(() => popup.location.href !== "about:blank");
  assert.equal(popup.location.href, `${APPLIANCE}/connect/${SESSION}`);
  assert.deepEqual(calls[0].body?.providers, { gmail: { scopes: ["gmail.readonly"] } });
  assert.match(String(calls[0].body?.sxcHash), /^[A-Za-z0-9_-]{43}$/);
  assert.ok(!("sxc" in (calls[0].body ?? {})), "the sxc itself is not sent at creation");

  const ok = { type: "securix:auth-result", sessionId: SESSION, status: "completed" };
  win.post(ok, "https://evil.test", popup); // wrong origin
  win.post({ ...ok, sessionId: "ses_other" }, APPLIANCE, popup); // another session
  win.post(ok, APPLIANCE, new FakePopup()); // another window
  win.post({ ...ok, type: "other" }, APPLIANCE, popup);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(calls.length, 1, "no confirm before the genuine result");

  win.post(ok, APPLIANCE, popup);
  const result = await pending;
  assert.deepEqual(result, {
    status: "AUTH_SUCCESS",
    sessionId: SESSION,
    flow: "popup",
    providers: { gmail: {} },
  });
  assert.equal(calls[1].path, "POST /api/securix/confirm-auth-session");
  assert.equal(calls[1].body?.sessionId, SESSION);
  assert.ok(popup.closed);
});

Deno.test("popup blocked: rejects with PopupBlockedError and calls nothing", async () => {
  const win = new FakeWindow();
  win.blocked = true;
  const { calls, fetch } = endpoint({});
  const error = await connect({
    endpoint: "/api/securix",
    providers: ["gmail"],
    window: win as unknown as Window,
    fetch,
  }).catch((e) => e);
  assert.ok(error instanceof PopupBlockedError);
  assert.equal(error.code, "SX-POPUP-BLOCKED");
  assert.equal(calls.length, 0);
});

Deno.test("failed result: AuthFailedError with the reason, no confirm", async () => {
  const win = new FakeWindow();
  const { calls, fetch } = endpoint({ "POST /api/securix/create-auth-session": created() });
  const pending = connect({
    endpoint: "/api/securix",
    providers: ["gmail"],
    window: win as never,
    fetch,
  });
  await until(() => win.popups[0]?.location.href !== "about:blank");
  win.post(
    { type: "securix:auth-result", sessionId: SESSION, status: "failed", reason: "access_denied" },
    APPLIANCE,
    win.popups[0],
  );
  const error = await pending.catch((e) => e);
  assert.ok(error instanceof AuthFailedError);
  assert.equal(error.reason, "access_denied");
  assert.equal(calls.length, 1);
});

Deno.test("popup closed by the user before finishing: PopupClosedError", async () => {
  const win = new FakeWindow();
  const { calls, fetch } = endpoint({
    "POST /api/securix/create-auth-session": created(),
    "POST /api/securix/confirm-auth-session": () =>
      Response.json({ error: { code: "SX-SESSION-NOT-READY", message: "not yet" } }, {
        status: 409,
      }),
  });
  const pending = connect({
    endpoint: "/api/securix",
    providers: ["gmail"],
    window: win as never,
    fetch,
    closedPollMs: 5,
    closedWaitMs: 50,
  });
  await until(() => win.popups[0]?.location.href !== "about:blank");
  win.popups[0].closed = true;
  const error = await pending.catch((e) => e);
  assert.ok(error instanceof PopupClosedError, String(error));
  assert.equal(calls.at(-1)?.path, "POST /api/securix/confirm-auth-session");
});

Deno.test("popup closed after finishing but the message was lost: the reveal still completes", async () => {
  const win = new FakeWindow();
  const { fetch } = endpoint({
    "POST /api/securix/create-auth-session": created(),
    "POST /api/securix/confirm-auth-session": confirmed,
  });
  const pending = connect({
    endpoint: "/api/securix",
    providers: ["gmail"],
    window: win as never,
    fetch,
    closedPollMs: 5,
  });
  await until(() => win.popups[0]?.location.href !== "about:blank");
  win.popups[0].closed = true;
  assert.equal((await pending).status, "AUTH_SUCCESS");
});

Deno.test("popup looks closed (COOP) while the user signs in: confirm is retried until it works", async () => {
  const win = new FakeWindow();
  let attempts = 0;
  const { fetch } = endpoint({
    "POST /api/securix/create-auth-session": created(),
    "POST /api/securix/confirm-auth-session": (...args: Parameters<typeof confirmed>) =>
      ++attempts < 3
        ? Response.json({ error: { code: "SX-SESSION-NOT-READY", message: "not yet" } }, {
          status: 409,
        })
        : confirmed(...args),
  });
  const pending = connect({
    endpoint: "/api/securix",
    providers: ["gmail"],
    window: win as never,
    fetch,
    closedPollMs: 5,
  });
  await until(() => win.popups[0]?.location.href !== "about:blank");
  win.popups[0].closed = true;
  assert.equal((await pending).status, "AUTH_SUCCESS");
  assert.equal(attempts, 3);
});

Deno.test("popup looks closed, then a late failed result arrives: AuthFailedError, handled once", async () => {
  const win = new FakeWindow();
  let attempts = 0;
  const { fetch } = endpoint({
    "POST /api/securix/create-auth-session": created(),
    "POST /api/securix/confirm-auth-session": () => {
      attempts++;
      return Response.json({ error: { code: "SX-SESSION-NOT-READY", message: "not yet" } }, {
        status: 409,
      });
    },
  });
  const pending = connect({
    endpoint: "/api/securix",
    providers: ["gmail"],
    window: win as never,
    fetch,
    closedPollMs: 5,
  });
  await until(() => win.popups[0]?.location.href !== "about:blank");
  win.popups[0].closed = true;
  await until(() => attempts > 0);
  const result = { type: "securix:auth-result", sessionId: SESSION, status: "failed" };
  win.post({ ...result, reason: "access_denied" }, APPLIANCE, win.popups[0]);
  win.post({ ...result, reason: "second" }, APPLIANCE, win.popups[0]);
  const error = await pending.catch((e) => e);
  assert.ok(error instanceof AuthFailedError, String(error));
  assert.equal(error.reason, "access_denied");
  assert.equal(attempts, 1, "no more confirms once the result is in");
});

Deno.test("popup looks closed and the session ended: PopupClosedError at once", async () => {
  const win = new FakeWindow();
  let attempts = 0;
  const { fetch } = endpoint({
    "POST /api/securix/create-auth-session": created(),
    "POST /api/securix/confirm-auth-session": () => {
      attempts++;
      return Response.json({ error: { code: "SX-SESSION-ENDED", message: "ended" } }, {
        status: 409,
      });
    },
  });
  const error = await (async () => {
    const pending = connect({
      endpoint: "/api/securix",
      providers: ["gmail"],
      window: win as never,
      fetch,
      closedPollMs: 5,
    });
    await until(() => win.popups[0]?.location.href !== "about:blank");
    win.popups[0].closed = true;
    return await pending.catch((e) => e);
  })();
  assert.ok(error instanceof PopupClosedError, String(error));
  assert.equal(attempts, 1);
});

/** An endpoint that numbers its sessions and keeps them pending until told otherwise. */
function numberedEndpoint() {
  const hashes = new Map<string, string>();
  const ready = new Set<string>();
  const notReady = () =>
    Response.json({ error: { code: "SX-SESSION-NOT-READY", message: "not yet" } }, {
      status: 409,
    });
  const e = endpoint({
    "POST /api/securix/create-auth-session": (body) => {
      const id = `ses_${hashes.size + 1}`;
      hashes.set(id, String(body.sxcHash));
      return created({ sessionId: id, authUrl: `${APPLIANCE}/connect/${id}` })();
    },
    "POST /api/securix/confirm-auth-session": (body) =>
      ready.has(String(body.sessionId)) ? confirmed(body) : notReady(),
    "POST /api/securix/cancel-auth-session": (body) =>
      Response.json({ sessionId: body.sessionId, status: "failed", reason: "user_cancelled" }),
  });
  return { ...e, hashes, ready };
}

Deno.test("popup looks closed: onWaiting, and connecting again ends it and cancels its session", async () => {
  const win = new FakeWindow();
  const { calls, fetch, hashes, ready } = numberedEndpoint();
  const waiting: { sessionId: string; until: string }[] = [];
  const options = {
    endpoint: "/api/securix",
    providers: ["gmail"],
    window: win as never,
    fetch,
    closedPollMs: 5,
    onWaiting: (info: { sessionId: string; until: string }) => waiting.push(info),
  };
  const first = connect(options).catch((e) => e);
  await until(() => win.popups[0]?.location.href !== "about:blank");
  win.popups[0].closed = true;
  await until(() => waiting.length === 1);
  assert.equal(waiting[0].sessionId, "ses_1");
  assert.ok(Date.parse(waiting[0].until) > Date.now() + 60_000, "the default wait is minutes");

  const second = connect({ ...options, endpoint: "/api/securix/" });
  assert.equal(win.popups.length, 2, "the new popup opens inside the click");
  const error = await first;
  assert.ok(error instanceof PopupReplacedError, String(error));
  assert.equal(error.code, "SX-POPUP-REPLACED");
  await until(() => calls.some((c) => c.path === "POST /api/securix/cancel-auth-session"));
  const cancel = calls.find((c) => c.path === "POST /api/securix/cancel-auth-session")!;
  assert.equal(cancel.body?.sessionId, "ses_1");
  assert.equal(sxcHash(String(cancel.body?.sxc)), hashes.get("ses_1"), "cancelled with its sxc");

  await until(() => win.popups[1].location.href !== "about:blank");
  const confirmsOfFirst = calls.filter((c) => c.body?.sessionId === "ses_1").length;
  ready.add("ses_2");
  win.post(
    { type: "securix:auth-result", sessionId: "ses_2", status: "completed" },
    APPLIANCE,
    win.popups[1],
  );
  assert.equal((await second).sessionId, "ses_2");
  ready.add("ses_1");
  await new Promise((r) => setTimeout(r, 1100));
  assert.equal(
    calls.filter((c) => c.body?.sessionId === "ses_1").length,
    confirmsOfFirst,
    "the ended attempt never confirms again",
  );
});

Deno.test("popup looks closed: a connect for other providers, or a blocked one, leaves it waiting", async () => {
  const win = new FakeWindow();
  const { calls, fetch, ready } = numberedEndpoint();
  const gmail = {
    endpoint: "/api/securix",
    providers: ["gmail"],
    window: win as never,
    fetch,
    closedPollMs: 5,
  };
  const first = connect(gmail);
  await until(() => win.popups[0]?.location.href !== "about:blank");
  win.popups[0].closed = true;
  await until(() => calls.some((c) => c.path === "POST /api/securix/confirm-auth-session"));
  const other = connect({ ...gmail, providers: ["slack"] });
  win.blocked = true;
  const blocked = await connect(gmail).catch((e) => e);
  assert.ok(blocked instanceof PopupBlockedError);
  ready.add("ses_1");
  assert.equal((await first).sessionId, "ses_1", "the waiting attempt still completes");
  assert.ok(!calls.some((c) => c.path === "POST /api/securix/cancel-auth-session"));
  win.popups[1].closed = true;
  ready.add("ses_2");
  assert.equal((await other).sessionId, "ses_2");
});

Deno.test("endpoint errors surface as EndpointError with the server's code; popup closed", async () => {
  const win = new FakeWindow();
  const { fetch } = endpoint({
    "POST /api/securix/create-auth-session": () =>
      Response.json({
        error: { code: "SX-NOT-SIGNED-IN", message: "Sign in first", llmError: "Ask to sign in" },
      }, { status: 401 }),
  });
  const error = await connect({
    endpoint: "/api/securix",
    providers: ["gmail"],
    window: win as never,
    fetch,
  }).catch((e) => e);
  assert.ok(error instanceof EndpointError);
  assert.ok(error instanceof SecurixClientError);
  assert.equal(error.code, "SX-NOT-SIGNED-IN");
  assert.equal(error.status, 401);
  assert.equal(error.llmError, "Ask to sign in");
  assert.ok(win.popups[0].closed);
});

Deno.test("an authUrl that is not http(s) is never loaded into the popup", async () => {
  const win = new FakeWindow();
  const { fetch } = endpoint({
    "POST /api/securix/create-auth-session": created({ authUrl: "javascript:alert(1)" }),
  });
  const error = await connect({
    endpoint: "/api/securix",
    providers: ["gmail"],
    window: win as never,
    fetch,
  }).catch((e) => e);
  assert.equal(error.code, "SX-BAD-RESPONSE");
  assert.equal(win.popups[0].location.href, "about:blank");
  assert.ok(win.popups[0].closed);
});

Deno.test("the wait is bounded by the session's expiry", async () => {
  const win = new FakeWindow();
  const { fetch } = endpoint({
    "POST /api/securix/create-auth-session": created({
      expiresAt: new Date(Date.now() + 30).toISOString(),
    }),
  });
  const error = await connect({
    endpoint: "/api/securix",
    providers: ["gmail"],
    window: win as never,
    fetch,
    closedPollMs: 5,
  }).catch((e) => e);
  assert.ok(error instanceof AuthTimeoutError);
  assert.ok(win.popups[0].closed);
});

Deno.test("device flow: shows the code, polls politely, backs off on SX-SLOW-DOWN", async () => {
  const win = new FakeWindow();
  const answers = [
    Response.json({ sessionId: SESSION, status: "pending" }),
    Response.json({ error: { code: "SX-SLOW-DOWN", message: "slow" } }, { status: 429 }),
    Response.json({ sessionId: SESSION, status: "completed", providers: { gmail: {} } }),
  ];
  const { calls, fetch } = endpoint({
    "POST /api/securix/create-auth-session": created({
      flow: "device",
      authUrl: `${APPLIANCE}/device`,
      deviceAuthCode: "ABCD-1234",
      interval: 2,
    }),
    "GET /api/securix/status": () => answers.shift()!,
  });
  const waits: number[] = [];
  const shown: unknown[] = [];
  const result = await connect({
    endpoint: "/api/securix",
    providers: ["gmail"],
    flow: "device",
    window: win as never,
    fetch,
    onDeviceCode: (info) => shown.push(info),
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
  });
  assert.equal(win.popups.length, 0, "no popup in the device flow");
  assert.equal(calls[0].body?.flow, "device");
  assert.deepEqual(shown, [{
    sessionId: SESSION,
    deviceAuthCode: "ABCD-1234",
    authUrl: `${APPLIANCE}/device`,
    verificationUrlComplete: `${APPLIANCE}/device?code=ABCD-1234`,
    expiresAt: (shown[0] as { expiresAt: string }).expiresAt,
  }]);
  assert.deepEqual(waits, [2000, 2000, 7000]);
  assert.equal(calls[1].path, `GET /api/securix/status?sessionId=${SESSION}`);
  assert.deepEqual(result, {
    status: "AUTH_SUCCESS",
    sessionId: SESSION,
    flow: "device",
    providers: { gmail: {} },
  });
});

Deno.test("button attributes: providers list and scopes as items or JSON", () => {
  assert.deepEqual(parseButtonProviders("gmail, github", null), { gmail: {}, github: {} });
  assert.deepEqual(
    parseButtonProviders("gmail", "gmail.readonly https://www.googleapis.com/auth/gmail.send"),
    { gmail: { scopes: ["gmail.readonly", "https://www.googleapis.com/auth/gmail.send"] } },
  );
  assert.deepEqual(parseButtonProviders("gmail,github", "github:repo github:read:org gmail:x"), {
    gmail: { scopes: ["x"] },
    github: { scopes: ["repo", "read:org"] },
  });
  assert.deepEqual(parseButtonProviders("gmail", `{"gmail": ["a", "b"]}`), {
    gmail: { scopes: ["a", "b"] },
  });
  assert.throws(() => parseButtonProviders("gmail,github", "repo"), /names no provider/);
  assert.throws(() => parseButtonProviders(" ", null), SecurixClientError);
});

Deno.test("popup: answers the consent page's opener check with a proof the appliance accepts", async () => {
  const win = new FakeWindow();
  let committed = "";
  const { fetch } = endpoint({
    "POST /api/securix/create-auth-session": (body) => {
      committed = String(body.sxcHash);
      return created()();
    },
    "POST /api/securix/confirm-auth-session": confirmed,
  });
  const pending = connect({
    endpoint: "/api/securix",
    providers: ["gmail"],
    window: win as unknown as Window,
    fetch,
    closedPollMs: 5,
  });
  const popup = win.popups[0];
  await until(() => popup.location.href !== "about:blank");
  const challenge = { type: "securix:consent-challenge", sessionId: SESSION, nonce: "n-1" };
  win.post(challenge, "https://evil.test", popup); // not the appliance
  win.post(challenge, APPLIANCE, new FakePopup()); // not our popup
  win.post({ ...challenge, sessionId: "ses_other" }, APPLIANCE, popup);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(popup.messages.length, 0, "only the genuine challenge is answered");

  win.post(challenge, APPLIANCE, popup);
  await until(() => popup.messages.length === 1);
  const [{ data, origin }] = popup.messages;
  assert.equal(origin, APPLIANCE, "the proof goes to the appliance's origin only");
  assert.equal(data.type, "securix:consent-proof");
  assert.equal(data.nonce, "n-1");
  assert.ok(
    verifyConsentProof(committed, SESSION, "n-1", "https://app.test", String(data.proof)),
    "checks against the sxcHash the appliance stores, for this page's origin",
  );
  win.post(
    { type: "securix:auth-result", sessionId: SESSION, status: "completed" },
    APPLIANCE,
    popup,
  );
  await pending;
});

Deno.test("popup: on a non-secure page (no crypto.subtle) fails with SX-INSECURE-CONTEXT, no popup", async () => {
  const win = new FakeWindow();
  const { calls, fetch } = endpoint({});
  const subtle = Object.getOwnPropertyDescriptor(Crypto.prototype, "subtle")!;
  Object.defineProperty(Crypto.prototype, "subtle", { configurable: true, get: () => undefined });
  try {
    await assert.rejects(
      connect({
        endpoint: "/api/securix",
        providers: ["gmail"],
        window: win as unknown as Window,
        fetch,
      }),
      (error: unknown) => {
        assert.ok(error instanceof InsecureContextError);
        assert.ok(error instanceof SecurixClientError);
        assert.equal(error.code, "SX-INSECURE-CONTEXT");
        assert.match(error.message, /HTTPS/);
        assert.match(error.message, /localhost/);
        return true;
      },
    );
  } finally {
    Object.defineProperty(Crypto.prototype, "subtle", subtle);
  }
  assert.equal(win.popups.length, 0);
  assert.equal(calls.length, 0);
});

Deno.test("client: <securix-button> names catalog providers as the consent page does (GitHub, not Github)", () => {
  assert.deepEqual(
    { ...CATALOG_DISPLAY_NAMES },
    Object.fromEntries(catalogNames().map((n) => [n, catalogProvider(n)!.displayName])),
  );
  assert.equal(providerDisplayName("github"), "GitHub");
  assert.equal(providerDisplayName("drive"), "Google Drive");
  assert.equal(providerDisplayName("corp"), "Corp");
  assert.equal(providerDisplayName("toString"), "ToString");
});

Deno.test("device flow: an authUrl that is not http(s) is never shown as a link", async () => {
  for (
    const authUrl of ["javascript:alert(document.domain)//", "data:text/html,<script>1</script>"]
  ) {
    const win = new FakeWindow();
    const { calls, fetch } = endpoint({
      "POST /api/securix/create-auth-session": created({
        flow: "device",
        authUrl,
        deviceAuthCode: "ABCD-1234",
        interval: 1,
      }),
    });
    const shown: unknown[] = [];
    const error = await connect({
      endpoint: "/api/securix",
      providers: ["gmail"],
      flow: "device",
      window: win as never,
      fetch,
      onDeviceCode: (info) => shown.push(info),
      sleep: () => Promise.resolve(),
    }).catch((e) => e);
    assert.ok(error instanceof EndpointError, authUrl);
    assert.equal(error.code, "SX-BAD-RESPONSE");
    assert.deepEqual(shown, [], "onDeviceCode (the button's link) never gets it");
    assert.equal(calls.length, 1, "no polling");
  }
});
