// @ts-check
/// <reference lib="dom" />
/**
 * Securix browser client, served by the appliance as one file at `/sdk/client.js`.
 *
 * ```html
 * <script type="module" src="https://securix.example.com/sdk/client.js"></script>
 * <securix-button endpoint="/api/securix" providers="gmail" scopes="gmail.readonly">
 * </securix-button>
 * <script type="module">
 *   document.querySelector("securix-button").addEventListener("securix-result", (e) => {
 *     if (e.detail instanceof Error) console.warn(e.detail.code, e.detail.message);
 *     else console.log("connected", e.detail.providers);
 *   });
 * </script>
 * ```
 *
 * Or call `connect()` from your own click handler (it must run synchronously inside
 * the click so the browser allows the popup):
 * `import { connect } from "https://securix.example.com/sdk/client.js"`.
 *
 * The popup handshake: a random `sxc` never leaves this page until the user has
 * finished; the app backend only gets `sha256(sxc)` to create the session, and the
 * reveal to confirm it. Results are accepted only from the appliance's origin and
 * the popup window this call opened.
 *
 * The opener proof: before it sends the user on to the provider, the consent page
 * asks its `window.opener` (only at the app's registered origins) to vouch for it.
 * This page answers — only to the popup it opened, only at the appliance's origin —
 * with HMAC-SHA256(key = sha256(sxc), session id, the page's nonce, this page's
 * origin). A consent link forwarded to someone else has no such opener, so the
 * appliance will not let it reach the provider.
 */

const RESULT_TYPE = "securix:auth-result";
const CHALLENGE_TYPE = "securix:consent-challenge";
const PROOF_TYPE = "securix:consent-proof";
const DEFAULT_TIMEOUT_MS = 15 * 60 * 1000;
/** How long to keep confirming after the popup looks closed (see confirmAfterClose). */
const DEFAULT_CLOSED_WAIT_MS = 5 * 60 * 1000;

/** Base class of every error `connect()` rejects with. */
export class SecurixClientError extends Error {
  /**
   * @param {string} code stable `SX-…` code
   * @param {string} message
   * @param {{status?: number, llmError?: string | null, reason?: string | null, cause?: unknown}} [options]
   */
  constructor(code, message, options = {}) {
    super(message, { cause: options.cause });
    this.name = "SecurixClientError";
    this.code = code;
    this.status = options.status ?? 0;
    this.llmError = options.llmError ?? null;
    this.reason = options.reason ?? null;
  }
}

/** The browser refused to open the sign-in window. */
export class PopupBlockedError extends SecurixClientError {
  constructor() {
    super(
      "SX-POPUP-BLOCKED",
      "The browser blocked the sign-in window; allow pop-ups for this site and try again",
    );
    this.name = "PopupBlockedError";
  }
}

/** The user closed the sign-in window before finishing. */
export class PopupClosedError extends SecurixClientError {
  constructor() {
    super("SX-POPUP-CLOSED", "The sign-in window was closed before the connection was finished");
    this.name = "PopupClosedError";
  }
}

/**
 * A later `connect()` (the user clicked again while the sign-in window looked closed) ended
 * this attempt and cancelled its session; the later call's promise carries the outcome.
 */
export class PopupReplacedError extends SecurixClientError {
  constructor() {
    super("SX-POPUP-REPLACED", "A new sign-in window replaced this one");
    this.name = "PopupReplacedError";
  }
}

/** The user declined, or the provider or appliance ended the sign-in. */
export class AuthFailedError extends SecurixClientError {
  /** @param {string | null} reason */
  constructor(reason) {
    super("SX-AUTH-FAILED", `The connection was not completed${reason ? ` (${reason})` : ""}`, {
      reason,
    });
    this.name = "AuthFailedError";
  }
}

/** The session expired (or `timeoutMs` passed) before the user finished. */
export class AuthTimeoutError extends SecurixClientError {
  constructor() {
    super("SX-AUTH-TIMEOUT", "The sign-in took too long and expired; start again");
    this.name = "AuthTimeoutError";
  }
}

/** Your app's Securix endpoint refused the request or could not be reached. */
export class EndpointError extends SecurixClientError {
  /**
   * @param {string} code
   * @param {string} message
   * @param {{status?: number, llmError?: string | null, cause?: unknown}} [options]
   */
  constructor(code, message, options = {}) {
    super(code, message, options);
    this.name = "EndpointError";
  }
}

/**
 * The page is not a secure context (plain http on a host other than localhost): the
 * browser withholds the Web Crypto API the popup handshake needs.
 */
export class InsecureContextError extends SecurixClientError {
  constructor() {
    super(
      "SX-INSECURE-CONTEXT",
      "Securix sign-in needs a secure page: serve this site over HTTPS (or from localhost " +
        "while developing); the browser does not offer Web Crypto on plain http",
    );
    this.name = "InsecureContextError";
  }
}

/**
 * @typedef {Record<string, {scopes?: string[]}>} ProviderRequest
 * @typedef {{status: "AUTH_SUCCESS", sessionId: string, flow: "popup" | "device",
 *   providers: Record<string, {status: string, scopes: string[], account?: unknown}>}} ConnectResult
 * @typedef {{sessionId: string, deviceAuthCode: string, authUrl: string,
 *   verificationUrlComplete: string, expiresAt: string}} DeviceCodeInfo
 * @typedef {{sessionId: string, until: string}} WaitingInfo
 * @typedef {object} ConnectOptions
 * @property {string} endpoint your app's Securix route base, e.g. "/api/securix"
 * @property {string[] | ProviderRequest} providers e.g. ["gmail"] or {gmail: {scopes: [...]}}
 * @property {"popup" | "device"} [flow] default "popup"
 * @property {{width?: number, height?: number}} [popup] default 500 x 640
 * @property {(info: DeviceCodeInfo) => void} [onDeviceCode] device flow: show the code
 * @property {AbortSignal} [signal]
 * @property {number} [timeoutMs] upper bound on the whole sign-in; default 15 min
 * @property {RequestCredentials} [credentials] for the endpoint; default "same-origin"
 * @property {Window} [window] for tests
 * @property {typeof fetch} [fetch] for tests
 * @property {number} [closedPollMs] how often to check whether the popup was closed
 * @property {number} [closedWaitMs] once the popup looks closed (a provider page with
 *   Cross-Origin-Opener-Policy makes it look so while open), how long to keep trying to
 *   confirm before SX-POPUP-CLOSED; default 5 min, never past the session's expiry
 * @property {(info: WaitingInfo) => void} [onWaiting] the popup looks closed and the client
 *   keeps confirming until `until`: show "Waiting for the sign-in window…" with a way to start
 *   again; a new `connect()` for the same endpoint and providers ends this attempt
 *   (SX-POPUP-REPLACED) and cancels its session
 * @property {(ms: number, signal?: AbortSignal) => Promise<void>} [sleep] device-flow wait; for tests
 */

/**
 * Attempts whose popup looks closed while they keep confirming, by endpoint and providers.
 * A user who really closed the window clicks again; that call ends them (see connect).
 * @type {Set<{key: string, end: () => void}>}
 */
const waitingAttempts = new Set();

/**
 * What makes two connect() calls "the same button clicked again".
 * @param {ConnectOptions} options
 * @param {ProviderRequest} providers
 */
function attemptKey(options, providers) {
  const names = Object.keys(providers).sort();
  return JSON.stringify([
    options.endpoint.replace(/\/+$/, ""),
    names.map((name) => [name, [...(providers[name].scopes ?? [])].sort()]),
  ]);
}

/**
 * Connects the signed-in user's accounts. Call it synchronously from a click handler.
 * @param {ConnectOptions} options
 * @returns {Promise<ConnectResult>}
 */
export function connect(options) {
  /** @type {ProviderRequest} */
  let providers;
  try {
    providers = normalizeProviders(options.providers);
  } catch (error) {
    return Promise.reject(error);
  }
  if (options.flow === "device") return connectDevice(options, providers);
  // Checked before the popup opens: on plain http `crypto.subtle` is undefined, and
  // the handshake would otherwise die later on "reading 'digest'".
  if (typeof crypto === "undefined" || !crypto.subtle) {
    return Promise.reject(new InsecureContextError());
  }
  const sxc = base64url(crypto.getRandomValues(new Uint8Array(32)));
  // Opened before any await: browsers allow popups only inside the click.
  const popup = openBlankPopup(options.window ?? window, options.popup ?? {});
  if (!popup) return Promise.reject(new PopupBlockedError());
  // Only once a new window is open: a blocked retry must not end the attempt still waiting.
  const key = attemptKey(options, providers);
  for (const attempt of [...waitingAttempts]) if (attempt.key === key) attempt.end();
  return connectPopup(options, providers, popup, sxc, key).finally(() => {
    if (!popup.closed) popup.close();
  });
}

/**
 * @param {ConnectOptions} options
 * @param {ProviderRequest} providers
 * @param {Window} popup
 * @param {string} sxc
 * @param {string} key see attemptKey
 * @returns {Promise<ConnectResult>}
 */
async function connectPopup(options, providers, popup, sxc, key) {
  const win = options.window ?? window;
  const sxcDigest = await sha256(sxc);
  const sxcHash = base64url(sxcDigest);
  const created = await post(options, "create-auth-session", { providers, sxcHash, flow: "popup" });
  const authUrl = new URL(String(created.authUrl), win.location.href);
  if (authUrl.protocol !== "https:" && authUrl.protocol !== "http:") {
    throw new EndpointError("SX-BAD-RESPONSE", "The endpoint returned an invalid authUrl");
  }
  const sessionId = String(created.sessionId);
  const stopAnswering = answerChallenges({
    win,
    popup,
    origin: authUrl.origin,
    sessionId,
    sxcDigest,
  });
  popup.location.href = authUrl.href;
  const deadline = Math.min(
    Date.parse(String(created.expiresAt)) || Infinity,
    Date.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
  );
  let outcome;
  try {
    outcome = await waitForPopup({
      win,
      popup,
      origin: authUrl.origin,
      sessionId,
      deadline,
      signal: options.signal,
      pollMs: options.closedPollMs ?? 500,
    });
  } finally {
    stopAnswering();
  }
  if (outcome.kind === "failed") throw new AuthFailedError(outcome.reason);
  if (outcome.kind === "completed") return await confirm(options, sessionId, sxc);
  return await confirmAfterClose({
    options,
    win,
    popup,
    origin: authUrl.origin,
    sessionId,
    sxc,
    key,
    deadline: Math.min(deadline, Date.now() + (options.closedWaitMs ?? DEFAULT_CLOSED_WAIT_MS)),
  });
}

/**
 * The popup looks closed without having posted a result. It may really be closed, or a
 * provider page sent Cross-Origin-Opener-Policy, which cuts the popup from this page:
 * `popup.closed` then reads true while the user is still signing in. So keep trying the
 * reveal (1 s, growing to 5 s) until it works, the session ends, or `deadline`; a result
 * message that still arrives is handled once (failed: AuthFailedError; completed: confirm
 * now).
 *
 * Meanwhile the app is told (`onWaiting`), and a new connect() for the same key ends this
 * attempt: the user who really closed the window is not kept waiting minutes to click again.
 * Its session is cancelled with the sxc, so a consent still open in a window we can no
 * longer see cannot complete behind the new one.
 * @param {{options: ConnectOptions, win: Window, popup: Window, origin: string,
 *   sessionId: string, sxc: string, key: string, deadline: number}} a
 * @returns {Promise<ConnectResult>}
 */
async function confirmAfterClose(a) {
  const replaced = new AbortController();
  const attempt = {
    key: a.key,
    end: () => {
      waitingAttempts.delete(attempt);
      replaced.abort(new PopupReplacedError());
      // Best effort: an app backend without this route (older SDK) answers 404; the sxc
      // is dropped with this attempt either way, so the session can never be confirmed.
      post({ ...a.options, signal: undefined }, "cancel-auth-session", {
        sessionId: a.sessionId,
        sxc: a.sxc,
      }).catch(() => {});
    },
  };
  waitingAttempts.add(attempt);
  // Requests and waits of this attempt stop when it is replaced (or the caller aborts).
  const stop = AbortSignal.any([replaced.signal, ...(a.options.signal ? [a.options.signal] : [])]);
  const options = { ...a.options, signal: stop };
  let wake = new AbortController();
  /** @type {{status: string, reason: string | null} | null} */
  let message = null;
  /** @param {MessageEvent} event */
  const onMessage = (event) => {
    const data = event.data;
    if (message || event.origin !== a.origin || event.source !== a.popup) return;
    if (!data || data.type !== RESULT_TYPE || data.sessionId !== a.sessionId) return;
    message = {
      status: String(data.status),
      reason: typeof data.reason === "string" ? data.reason : null,
    };
    wake.abort();
  };
  a.win.addEventListener("message", onMessage);
  try {
    a.options.onWaiting?.({ sessionId: a.sessionId, until: new Date(a.deadline).toISOString() });
    let interval = 1000;
    for (;;) {
      const current = /** @type {{status: string, reason: string | null} | null} */ (message);
      if (current && current.status !== "completed") throw new AuthFailedError(current.reason);
      try {
        return await confirm(options, a.sessionId, a.sxc);
      } catch (error) {
        if (replaced.signal.aborted) throw replaced.signal.reason;
        if (!(error instanceof SecurixClientError)) throw error;
        // Failed, cancelled or expired while we could not see the popup: it is gone.
        if (error.code === "SX-SESSION-ENDED" || error.code === "SX-SESSION-EXPIRED") {
          throw new PopupClosedError();
        }
        if (error.code !== "SX-SESSION-NOT-READY") throw error;
      }
      const left = a.deadline - Date.now();
      if (left <= 0) throw new PopupClosedError();
      if (!message) {
        wake = new AbortController();
        try {
          await sleep(Math.min(interval, left), AbortSignal.any([wake.signal, stop]));
        } catch (error) {
          if (!wake.signal.aborted || stop.aborted) throw error;
        }
      } else await sleep(Math.min(interval, left), stop);
      interval = Math.min(interval * 1.5, 5000);
    }
  } finally {
    waitingAttempts.delete(attempt);
    a.win.removeEventListener("message", onMessage);
  }
}

/**
 * Answers the consent page's opener check for this session: only messages from the
 * popup this call opened, at the appliance's origin, get a proof, and the proof is
 * posted back to that origin only.
 * @param {{win: Window, popup: Window, origin: string, sessionId: string,
 *   sxcDigest: Uint8Array<ArrayBuffer>}} a
 * @returns {() => void} stops answering
 */
function answerChallenges(a) {
  const ownOrigin = new URL(a.win.location.href).origin;
  /** @param {MessageEvent} event */
  const onMessage = (event) => {
    const data = event.data;
    if (event.origin !== a.origin || event.source !== a.popup) return;
    if (!data || data.type !== CHALLENGE_TYPE || data.sessionId !== a.sessionId) return;
    if (typeof data.nonce !== "string" || data.nonce.length > 256) return;
    const nonce = data.nonce;
    consentProof(a.sxcDigest, a.sessionId, nonce, ownOrigin).then((proof) => {
      a.popup.postMessage({ type: PROOF_TYPE, sessionId: a.sessionId, nonce, proof }, a.origin);
    }).catch(() => {
      // Unanswered, the consent page shows its warning; nothing to report here.
    });
  };
  a.win.addEventListener("message", onMessage);
  return () => a.win.removeEventListener("message", onMessage);
}

/**
 * base64url(HMAC-SHA256(key = sha256(sxc), "securix-consent-proof\n" + sessionId + "\n" +
 * nonce + "\n" + origin)); the appliance checks it against the sxcHash it stores.
 * @param {Uint8Array<ArrayBuffer>} sxcDigest
 * @param {string} sessionId
 * @param {string} nonce
 * @param {string} origin
 */
async function consentProof(sxcDigest, sessionId, nonce, origin) {
  const key = await crypto.subtle.importKey(
    "raw",
    sxcDigest,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const message = new TextEncoder().encode(
    `securix-consent-proof\n${sessionId}\n${nonce}\n${origin}`,
  );
  return base64url(new Uint8Array(await crypto.subtle.sign("HMAC", key, message)));
}

/**
 * @param {{win: Window, popup: Window, origin: string, sessionId: string, deadline: number,
 *   signal?: AbortSignal, pollMs: number}} w
 * @returns {Promise<{kind: "completed" | "closed"} | {kind: "failed", reason: string | null}>}
 */
function waitForPopup(w) {
  return new Promise((resolve, reject) => {
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let closedGrace;
    /** @param {MessageEvent} event */
    const onMessage = (event) => {
      const data = event.data;
      if (event.origin !== w.origin || event.source !== w.popup) return;
      if (!data || data.type !== RESULT_TYPE || data.sessionId !== w.sessionId) return;
      finish();
      if (data.status === "completed") resolve({ kind: "completed" });
      else {resolve({
          kind: "failed",
          reason: typeof data.reason === "string" ? data.reason : null,
        });}
    };
    const onAbort = () => {
      finish();
      reject(w.signal?.reason ?? new DOMException("Aborted", "AbortError"));
    };
    const poll = setInterval(() => {
      if (Date.now() > w.deadline) {
        finish();
        reject(new AuthTimeoutError());
      } else if (w.popup.closed && closedGrace === undefined) {
        // A message posted just before closing may still be queued.
        closedGrace = setTimeout(() => {
          finish();
          resolve({ kind: "closed" });
        }, 300);
      }
    }, w.pollMs);
    const finish = () => {
      clearInterval(poll);
      clearTimeout(closedGrace);
      w.win.removeEventListener("message", onMessage);
      w.signal?.removeEventListener("abort", onAbort);
    };
    w.win.addEventListener("message", onMessage);
    if (w.signal?.aborted) onAbort();
    else w.signal?.addEventListener("abort", onAbort);
  });
}

/**
 * @param {ConnectOptions} options
 * @param {ProviderRequest} providers
 * @returns {Promise<ConnectResult>}
 */
async function connectDevice(options, providers) {
  const created = await post(options, "create-auth-session", { providers, flow: "device" });
  const sessionId = String(created.sessionId);
  // Shown as a link (the button's, the app's onDeviceCode): http(s) only, as for the popup.
  const parsed = new URL(String(created.authUrl), (options.window ?? window).location.href);
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new EndpointError("SX-BAD-RESPONSE", "The endpoint returned an invalid authUrl");
  }
  const authUrl = parsed.href;
  const code = String(created.deviceAuthCode);
  options.onDeviceCode?.({
    sessionId,
    deviceAuthCode: code,
    authUrl,
    verificationUrlComplete: `${authUrl}?code=${encodeURIComponent(code)}`,
    expiresAt: String(created.expiresAt),
  });
  const deadline = Math.min(
    Date.parse(String(created.expiresAt)) || Infinity,
    Date.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
  );
  let interval = typeof created.interval === "number" ? created.interval : 5;
  for (;;) {
    await (options.sleep ?? sleep)(interval * 1000, options.signal);
    if (Date.now() > deadline) throw new AuthTimeoutError();
    let session;
    try {
      session = await request(options, "GET", `status?sessionId=${encodeURIComponent(sessionId)}`);
    } catch (error) {
      if (!(error instanceof SecurixClientError) || error.code !== "SX-SLOW-DOWN") throw error;
      interval += 5;
      continue;
    }
    if (session.status === "completed") {
      return { status: "AUTH_SUCCESS", sessionId, flow: "device", providers: session.providers };
    }
    if (session.status === "expired") throw new AuthTimeoutError();
    if (session.status === "failed") throw new AuthFailedError(session.reason ?? null);
  }
}

/**
 * @param {ConnectOptions} options
 * @param {string} sessionId
 * @param {string} sxc
 * @returns {Promise<ConnectResult>}
 */
async function confirm(options, sessionId, sxc) {
  const answer = await post(options, "confirm-auth-session", { sessionId, sxc });
  return { status: "AUTH_SUCCESS", sessionId, flow: "popup", providers: answer.providers ?? {} };
}

/**
 * @param {ConnectOptions} options
 * @param {string} route
 * @param {unknown} body
 */
function post(options, route, body) {
  return request(options, "POST", route, body);
}

/**
 * @param {ConnectOptions} options
 * @param {string} method
 * @param {string} route
 * @param {unknown} [body]
 * @returns {Promise<Record<string, any>>}
 */
async function request(options, method, route, body) {
  const doFetch = options.fetch ?? fetch;
  const url = `${options.endpoint.replace(/\/+$/, "")}/${route}`;
  let res;
  try {
    res = await doFetch(url, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: options.credentials ?? "same-origin",
      signal: options.signal,
    });
  } catch (cause) {
    if (options.signal?.aborted) throw cause;
    throw new EndpointError("SX-ENDPOINT-UNREACHABLE", `Cannot reach ${url}`, { cause });
  }
  /** @type {any} */
  let json = null;
  try {
    json = await res.json();
  } catch {
    // Reported below.
  }
  if (res.ok && json && typeof json === "object") return json;
  const error = json && typeof json.error === "object" ? json.error : null;
  if (error && typeof error.code === "string") {
    throw new EndpointError(error.code, String(error.message ?? error.code), {
      status: res.status,
      llmError: typeof error.llmError === "string" ? error.llmError : null,
    });
  }
  throw new EndpointError("SX-BAD-RESPONSE", `${url} answered ${res.status}`, {
    status: res.status,
  });
}

/**
 * @param {Window} win
 * @param {{width?: number, height?: number}} size
 * @returns {Window | null}
 */
function openBlankPopup(win, size) {
  const width = size.width ?? 500;
  const height = size.height ?? 640;
  const left = Math.max(
    0,
    Math.round((win.screenX ?? 0) + ((win.outerWidth ?? width) - width) / 2),
  );
  const top = Math.max(
    0,
    Math.round((win.screenY ?? 0) + ((win.outerHeight ?? height) - height) / 2),
  );
  const features = `popup=yes,width=${width},height=${height},left=${left},top=${top}`;
  const popup = win.open(
    "",
    `securix-${base64url(crypto.getRandomValues(new Uint8Array(6)))}`,
    features,
  );
  if (!popup) return null;
  try {
    popup.document.title = "Connecting…";
  } catch {
    // Not reachable on some browsers; the page it loads next sets its own title.
  }
  return popup;
}

/** The catalog providers' names as their consent pages show them ("GitHub", not "Github"). */
export const CATALOG_DISPLAY_NAMES = Object.freeze({
  gmail: "Gmail",
  drive: "Google Drive",
  calendar: "Google Calendar",
  github: "GitHub",
  gitlab: "GitLab",
  slack: "Slack",
  microsoft: "Microsoft",
  dropbox: "Dropbox",
  notion: "Notion",
  atlassian: "Atlassian",
  linear: "Linear",
});

/**
 * A provider's name for the button: the catalog's, else the name capitalized.
 * @param {string} name
 */
export function providerDisplayName(name) {
  return Object.hasOwn(CATALOG_DISPLAY_NAMES, name)
    ? CATALOG_DISPLAY_NAMES[/** @type {keyof typeof CATALOG_DISPLAY_NAMES} */ (name)]
    : name.charAt(0).toUpperCase() + name.slice(1);
}

/**
 * @param {string[] | ProviderRequest | string} providers
 * @returns {ProviderRequest}
 */
export function normalizeProviders(providers) {
  /** @type {ProviderRequest} */
  const out = {};
  const list = typeof providers === "string" ? providers.split(/[\s,]+/) : providers;
  if (Array.isArray(list)) {
    for (const name of list) if (name) out[name] = {};
  } else if (list && typeof list === "object") {
    for (const [name, value] of Object.entries(list)) {
      out[name] = value && Array.isArray(value.scopes) ? { scopes: [...value.scopes] } : {};
    }
  }
  if (Object.keys(out).length === 0) {
    throw new SecurixClientError("SX-INVALID-INPUT", "Name at least one provider to connect");
  }
  return out;
}

/**
 * Parses the button's `providers` and `scopes` attributes. `scopes` is JSON
 * (`{"gmail": ["a", "b"]}`) or space-separated `provider:scope` items; with a single
 * provider the prefix may be left out.
 * @param {string} providersAttr
 * @param {string | null} scopesAttr
 * @returns {ProviderRequest}
 */
export function parseButtonProviders(providersAttr, scopesAttr) {
  const providers = normalizeProviders(providersAttr);
  const names = Object.keys(providers);
  const text = (scopesAttr ?? "").trim();
  if (text === "") return providers;
  if (text.startsWith("{")) {
    /** @type {Record<string, unknown>} */
    const parsed = JSON.parse(text);
    for (const [name, scopes] of Object.entries(parsed)) {
      if (Array.isArray(scopes)) providers[name] = { scopes: scopes.map(String) };
    }
    return providers;
  }
  for (const item of text.split(/\s+/)) {
    const colon = item.indexOf(":");
    const prefix = colon > 0 ? item.slice(0, colon) : "";
    const [name, scope] = names.includes(prefix)
      ? [prefix, item.slice(colon + 1)]
      : names.length === 1
      ? [names[0], item]
      : [null, item];
    if (!name) {
      throw new SecurixClientError("SX-INVALID-INPUT", `Scope "${scope}" names no provider`);
    }
    (providers[name].scopes ??= []).push(scope);
  }
  return providers;
}

/** @param {string} text */
async function sha256(text) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

/** @param {Uint8Array} bytes */
function base64url(bytes) {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * @param {number} ms
 * @param {AbortSignal} [signal]
 * @returns {Promise<void>}
 */
function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

const BUTTON_CSS = `
:host { display: inline-block; font: inherit; }
button {
  display: inline-flex; align-items: center; gap: .55em; min-height: 44px; padding: .6em 1.15em;
  border: 1px solid transparent; border-radius: 10px; background: #1f4fd8; color: #fff;
  font: 600 15px/1.2 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; cursor: pointer;
  box-shadow: 0 1px 2px rgb(16 24 40 / .12);
}
button:hover:not(:disabled) { background: #1a43b9; }
button:focus-visible { outline: 3px solid #9db7ff; outline-offset: 2px; }
button:disabled { opacity: .7; cursor: progress; }
svg { width: 1.15em; height: 1.15em; flex: none; }
[part="status"] { margin: .5em 0 0; font: 14px/1.4 system-ui, sans-serif; color: inherit; }
[part="status"]:empty { display: none; }
[part="status"][data-kind="error"] { color: #b42318; }
code { font: 600 1.1em ui-monospace, SFMono-Regular, Menlo, monospace; letter-spacing: .08em; }
`;

const SHIELD_SVG = `<svg viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor"
 stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><path d="M12 3l7 3v5c0 4.5-3
 7.9-7 10-4-2.1-7-5.5-7-10V6z"/><path d="M9 12l2 2 4-4"/></svg>`;

const ElementBase = /** @type {typeof HTMLElement} */ (
  typeof HTMLElement === "undefined" ? class {} : HTMLElement
);

/**
 * `<securix-button endpoint providers scopes label flow closed-wait-ms>`: an accessible button that
 * runs `connect()` on click and dispatches `securix-result` (detail: the result, or
 * the error) which bubbles out of shadow DOM. While the popup looks closed and the
 * client keeps confirming, it says "Waiting for the sign-in window…", turns into
 * "Try again" (a click starts over in a new window) and dispatches `securix-waiting`
 * (detail: WaitingInfo). `flow="device"` works only where the app's handler offers it
 * (`toFetchHandler({ flows: ["popup", "device"] })`).
 */
export class SecurixButton extends ElementBase {
  static observedAttributes = ["label", "providers", "disabled"];

  constructor() {
    super();
    const root = this.attachShadow({ mode: "open" });
    // Constructable stylesheets are not blocked by a page CSP without 'unsafe-inline'.
    if ("adoptedStyleSheets" in root && typeof CSSStyleSheet !== "undefined") {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(BUTTON_CSS);
      root.adoptedStyleSheets = [sheet];
    }
    this.button = document.createElement("button");
    this.button.type = "button";
    this.button.setAttribute("part", "button");
    this.button.innerHTML = SHIELD_SVG;
    this.labelEl = document.createElement("span");
    this.labelEl.setAttribute("part", "label");
    this.button.append(this.labelEl);
    this.status = document.createElement("p");
    this.status.setAttribute("part", "status");
    this.status.setAttribute("role", "status");
    this.status.setAttribute("aria-live", "polite");
    root.append(this.button, this.status);
    this.button.addEventListener("click", () => this.#run());
    this.busy = false;
    /** The popup looks closed: the attempt goes on, but a click may start over. */
    this.waiting = false;
    /** Counts clicks, so only the newest attempt's outcome is shown. */
    this.attempt = 0;
  }

  connectedCallback() {
    this.#render();
  }

  attributeChangedCallback() {
    this.#render();
  }

  #render() {
    this.labelEl.textContent = this.waiting
      ? "Try again"
      : this.busy
      ? "Connecting…"
      : this.#label();
    this.button.disabled = (this.busy && !this.waiting) || this.hasAttribute("disabled");
    this.button.setAttribute("aria-busy", String(this.busy));
  }

  #label() {
    const label = this.getAttribute("label");
    if (label) return label;
    const names = (this.getAttribute("providers") ?? "").split(/[\s,]+/).filter(Boolean)
      .map(providerDisplayName);
    return names.length ? `Connect ${names.join(" and ")}` : "Connect account";
  }

  /** @param {string} text @param {"info" | "error" | "success"} kind */
  #say(text, kind) {
    this.status.textContent = text;
    this.status.dataset.kind = kind;
  }

  #run() {
    if (this.busy && !this.waiting) return;
    const attempt = ++this.attempt;
    /** @type {Promise<ConnectResult>} */
    let pending;
    try {
      pending = connect({
        endpoint: this.getAttribute("endpoint") ?? "/api/securix",
        providers: parseButtonProviders(
          this.getAttribute("providers") ?? "",
          this.getAttribute("scopes"),
        ),
        flow: this.getAttribute("flow") === "device" ? "device" : "popup",
        onDeviceCode: (info) => this.#showDeviceCode(info),
        onWaiting: (info) => {
          if (attempt !== this.attempt) return;
          this.waiting = true;
          this.#say("Waiting for the sign-in window…", "info");
          this.#render();
          this.dispatchEvent(
            new CustomEvent("securix-waiting", { detail: info, bubbles: true, composed: true }),
          );
        },
        ...(this.hasAttribute("closed-wait-ms")
          ? { closedWaitMs: Number(this.getAttribute("closed-wait-ms")) || 0 }
          : {}),
      });
    } catch (error) {
      // Bad attributes: reported through the same event as any other failure.
      pending = Promise.reject(error);
    }
    this.busy = true;
    this.waiting = false;
    this.#say("", "info");
    this.#render();
    pending.then(
      (result) => {
        if (attempt !== this.attempt) return;
        this.#say("Connected", "success");
        this.#emit(result);
      },
      (error) => {
        // A replaced attempt (SX-POPUP-REPLACED) says nothing: the newer one reports.
        if (attempt !== this.attempt) return;
        this.#say(error instanceof Error ? error.message : "The connection failed", "error");
        this.#emit(error);
      },
    ).finally(() => {
      if (attempt !== this.attempt) return;
      this.busy = false;
      this.waiting = false;
      this.#render();
    });
  }

  /** @param {DeviceCodeInfo} info */
  #showDeviceCode(info) {
    const link = document.createElement("a");
    link.href = info.verificationUrlComplete;
    link.target = "_blank";
    link.rel = "noopener";
    link.textContent = info.authUrl;
    const code = document.createElement("code");
    code.textContent = info.deviceAuthCode;
    this.status.replaceChildren("Go to ", link, " and enter ", code);
    this.status.dataset.kind = "info";
  }

  /** @param {unknown} detail */
  #emit(detail) {
    this.dispatchEvent(
      new CustomEvent("securix-result", { detail, bubbles: true, composed: true }),
    );
  }
}

if (typeof customElements !== "undefined" && !customElements.get("securix-button")) {
  customElements.define("securix-button", SecurixButton);
}
