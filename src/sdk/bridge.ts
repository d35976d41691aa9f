import { bridgeBackoffMs } from "./bridge_backoff.ts";

type Payload = string | ArrayBuffer;
type Send = (data: string | ArrayBufferLike | ArrayBufferView) => void;

/** What the agent does with the socket; every callback may be async. */
export interface BridgeHandler {
  /** The socket is open (again): subscribe, say hello. */
  onConnect?(send: Send): void | Promise<void>;
  onMessage(data: Payload, send: Send): void | Promise<void>;
  /** The socket closed; the bridge reconnects in `retryInMs` (null: it is stopping). */
  onDisconnect?(info: { code: number; reason: string; retryInMs: number | null }): void;
}

export interface MaintainWebSocketOptions {
  /** The connection to use (from request-connection); or `entityId` + `provider`. */
  connectionId?: string;
  entityId?: string;
  provider?: string;
  /**
   * The provider's WebSocket, as a URL (`wss://stream.example.com/v1/feed?x=1`)
   * or a path (`/v1/feed`): its path and query go to the appliance's proxy for
   * the connection's provider; the appliance picks the host from its catalog.
   */
  url: string;
  /** Registered agent id (`securix agents add`), sent as securix-agent-id. */
  agentId: string;
  handler: BridgeHandler;
  /** Aborting closes the socket and ends the promise. */
  signal?: AbortSignal;
  protocols?: string[];
  /**
   * How long the appliance gets to complete the WebSocket handshake (default 5 s); past it the
   * attempt is abandoned and counts as a failed connect (onDisconnect, code 1006, then backoff).
   */
  handshakeTimeoutMs?: number;
  /** Application-level heartbeat (the WebSocket API cannot send pings); default none. */
  heartbeat?: { intervalMs: number; message: string | (() => string) };
  /** Reconnect delays: full jitter under min(maxMs, initialMs · 2^attempt). Default 500 ms, 30 s. */
  backoff?: { initialMs?: number; maxMs?: number };
  /**
   * How often the bridge looks at the connection's expiry (default 30 s).
   * When the appliance refreshed the token, or it is within `refreshSkewMs`
   * (default 60 s) of expiring, the bridge reconnects: the appliance puts the
   * fresh token on the new handshake.
   */
  watchIntervalMs?: number;
  refreshSkewMs?: number;
  /** Default none; see `createBridgeMetrics` for Prometheus metrics. */
  metrics?: BridgeMetricsSink;
  /** For tests and other runtimes; default Deno's WebSocket with its `headers` extension. */
  webSocket?: (
    url: string,
    init: { headers: Record<string, string>; protocols: string[] },
  ) => WebSocket;
  random?: () => number;
  now?: () => number;
}

/**
 * Where the bridge counts what it does. prom-client's Gauge and Counter fit as they are
 * (`createBridgeMetrics` in bridge_metrics.ts builds them); by default nothing is counted.
 */
export interface BridgeMetricsSink {
  connected: { set(labels: { agent_id: string }, value: number): void };
  reconnects: { inc(labels: { agent_id: string }): void };
  messages: { inc(labels: { agent_id: string; direction: "in" | "out" }): void };
}

const NO_METRICS: BridgeMetricsSink = {
  connected: { set() {} },
  reconnects: { inc() {} },
  messages: { inc() {} },
};

/** What the bridge needs of the SDK client: where the appliance is, and a connection look-up. */
export interface BridgeDeps {
  baseUrl: string;
  apiKey: string;
  lookup(
    selector: { connectionId: string } | { entityId: string; provider: string },
  ): Promise<{ provider: string; status: string; expiresAt?: string | null }>;
}

const TOKEN_REFRESH_CLOSE = 4000;
/** Default for `handshakeTimeoutMs`. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 5_000;
/** How long a socket must stay open before the backoff starts again from its first step. */
const STABLE_MS = 5_000;

/**
 * Keeps one WebSocket to a provider open through the appliance's WebSocket
 * proxy, until `signal` aborts. The appliance injects the credential at the
 * handshake, so the agent process never holds the provider token; the agent
 * sends its own app key and agent id (and the connection selector) instead.
 * Resolves once stopped; rejects only on a bad option.
 */
export async function maintainWebSocket(
  deps: BridgeDeps,
  options: MaintainWebSocketOptions,
): Promise<void> {
  const selector = selectorOf(options);
  const metrics = options.metrics ?? NO_METRICS;
  const labels = { agent_id: options.agentId };
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const backoff = {
    initialMs: options.backoff?.initialMs ?? 500,
    maxMs: options.backoff?.maxMs ?? 30_000,
    random,
  };
  const signal = options.signal ?? new AbortController().signal;
  const headers: Record<string, string> = {
    "securix-api-key": deps.apiKey,
    "securix-agent-id": options.agentId,
    ...("connectionId" in selector
      ? { "securix-connection-id": selector.connectionId }
      : { "securix-entity-id": selector.entityId }),
  };
  const open = options.webSocket ??
    ((url, init) =>
      new WebSocket(
        url,
        { headers: init.headers, protocols: init.protocols } as unknown as string[],
      ));
  metrics.connected.set(labels, 0);
  let attempt = 0;
  while (!signal.aborted) {
    let outcome: SocketOutcome;
    try {
      const connection = await deps.lookup(selector);
      outcome = await runSocket({
        url: proxyUrl(deps.baseUrl, connection.provider, options.url),
        headers,
        options,
        open,
        signal,
        metrics,
        labels,
        expiresAt: connection.expiresAt ?? null,
        watch: async () => (await deps.lookup(selector)).expiresAt ?? null,
        now,
      });
    } catch (error) {
      outcome = { openedAt: null, code: 1006, reason: describe(error), refresh: false };
    }
    metrics.connected.set(labels, 0);
    if (signal.aborted) {
      options.handler.onDisconnect?.({
        code: outcome.code,
        reason: outcome.reason,
        retryInMs: null,
      });
      break;
    }
    // Only a socket that stayed up resets the backoff: the appliance accepts the agent's
    // upgrade before the provider answers, so "opened, then closed" can be a failure too.
    if (outcome.openedAt !== null && now() - outcome.openedAt >= STABLE_MS) attempt = 0;
    // A token refresh is planned, not a failure: straight back.
    const delay = outcome.refresh ? 0 : bridgeBackoffMs(attempt++, backoff);
    options.handler.onDisconnect?.({
      code: outcome.code,
      reason: outcome.reason,
      retryInMs: delay,
    });
    metrics.reconnects.inc(labels);
    await sleep(delay, signal);
  }
}

interface SocketOutcome {
  /** When the socket opened; null when it never did. */
  openedAt: number | null;
  code: number;
  reason: string;
  /** Closed by the bridge because the token was (or is about to be) refreshed. */
  refresh: boolean;
}

interface SocketRun {
  url: string;
  headers: Record<string, string>;
  options: MaintainWebSocketOptions;
  open: NonNullable<MaintainWebSocketOptions["webSocket"]>;
  signal: AbortSignal;
  metrics: BridgeMetricsSink;
  labels: { agent_id: string };
  expiresAt: string | null;
  watch: () => Promise<string | null>;
  now: () => number;
}

/** One socket's life: open, relay, heartbeat and expiry watch, until it closes. */
function runSocket(run: SocketRun): Promise<SocketOutcome> {
  const { options, metrics, labels } = run;
  return new Promise((resolve) => {
    const ws = run.open(run.url, { headers: run.headers, protocols: options.protocols ?? [] });
    ws.binaryType = "arraybuffer";
    let openedAt: number | null = null;
    let refresh = false;
    let settled = false;
    const timers: ReturnType<typeof setInterval>[] = [];
    const send: Send = (data) => {
      if (ws.readyState !== WebSocket.OPEN) return;
      ws.send(data);
      metrics.messages.inc({ ...labels, direction: "out" });
    };
    const close = (code: number, reason: string) => {
      try {
        ws.close(code, reason);
      } catch { /* already closing */ }
    };
    const onAbort = () => close(1000, "agent stopping");
    run.signal.addEventListener("abort", onAbort, { once: true });
    const finish = (code: number, reason: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(handshake);
      for (const t of timers) clearInterval(t);
      run.signal.removeEventListener("abort", onAbort);
      resolve({ openedAt, code, reason, refresh });
    };
    // Closing a socket that is still connecting cancels its handshake (and its TCP connection).
    const handshakeMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    const handshake = setTimeout(() => {
      if (openedAt !== null) return;
      close(1000, "handshake timed out");
      finish(1006, `the appliance did not complete the handshake within ${handshakeMs} ms`);
    }, handshakeMs);
    ws.onopen = () => {
      clearTimeout(handshake);
      if (settled) return;
      openedAt = run.now();
      metrics.connected.set(labels, 1);
      void Promise.resolve(options.handler.onConnect?.(send)).catch(() => {});
      const beat = options.heartbeat;
      if (beat) {
        timers.push(setInterval(() => {
          send(typeof beat.message === "function" ? beat.message() : beat.message);
        }, beat.intervalMs));
      }
      timers.push(setInterval(() => void checkExpiry(), options.watchIntervalMs ?? 30_000));
      // The appliance may have refreshed the token for this very handshake: that expiry is
      // the one this socket carries, not a reason to reconnect.
      void run.watch().then((current) => {
        if (!refresh) seen = current;
      }, () => {});
    };
    ws.onmessage = (e) => {
      metrics.messages.inc({ ...labels, direction: "in" });
      void Promise.resolve(options.handler.onMessage(e.data as Payload, send)).catch(() => {});
    };
    ws.onerror = () => {
      if (openedAt === null) finish(1006, "the appliance refused or could not open the socket");
    };
    ws.onclose = (e) => finish(e.code, e.reason);
    // Reconnect once per new expiry: when the appliance refreshed the token, or it is due.
    let seen = run.expiresAt;
    let dueHandled: string | null = null;
    const skew = options.refreshSkewMs ?? 60_000;
    const checkExpiry = async () => {
      let current: string | null;
      try {
        current = await run.watch();
      } catch {
        return; // The appliance is unreachable: the socket itself tells us if it matters.
      }
      const changed = current !== seen;
      const due = current !== null && Date.parse(current) - skew <= run.now() &&
        dueHandled !== current;
      if (!changed && !due) return;
      seen = current;
      if (due) dueHandled = current;
      refresh = true;
      close(TOKEN_REFRESH_CLOSE, "token refreshed");
    };
  });
}

function selectorOf(
  options: MaintainWebSocketOptions,
): { connectionId: string } | { entityId: string; provider: string } {
  if (options.connectionId && (options.entityId || options.provider)) {
    throw new TypeError("maintainWebSocket: give connectionId, or entityId and provider, not both");
  }
  if (options.connectionId) return { connectionId: options.connectionId };
  if (options.entityId && options.provider) {
    return { entityId: options.entityId, provider: options.provider };
  }
  throw new TypeError("maintainWebSocket: give connectionId, or entityId and provider");
}

/** ws(s)://<appliance>/proxy/<provider><path>?<query>: only the path and query of `target` are used. */
export function proxyUrl(baseUrl: string, provider: string, target: string): string {
  const parsed = new URL(target, "wss://provider.invalid");
  const base = new URL(baseUrl);
  base.protocol = base.protocol === "https:" ? "wss:" : "ws:";
  const prefix = base.pathname.replace(/\/+$/, "");
  base.pathname = `${prefix}/proxy/${encodeURIComponent(provider)}${parsed.pathname}`;
  base.search = parsed.search;
  return base.toString();
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

const describe = (error: unknown) => error instanceof Error ? error.message : String(error);
