import { z } from "zod";
import { show } from "./show_value.ts";
import { securitySchema } from "./security_schema.ts";
import { resolveSecret, type SecretSources } from "./secret_ref.ts";
import { providersSchema } from "../providers/provider_config.ts";
import { DEFAULT_RETRY_DELAYS_MS } from "../webhooks/retry_schedule.ts";
import { parseProxyEntry } from "./trusted_proxies.ts";
import { parseRulesConfig } from "../rules/rule_schema.ts";

/**
 * The one config schema. `ConfigInput` is what an operator writes in
 * securix.toml (every field optional); `Config` is the resolved, frozen
 * result with secrets read from their `env:`/`file:` references.
 */

/**
 * `[proxy] max_inspect_bytes` unset: 8 MiB. Also what a filter built without
 * the config (tests, benches) reads up to, so both agree.
 */
export const DEFAULT_MAX_INSPECT_BYTES = 8 * 1024 * 1024;

const HOST_PORT = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/;

function hostPort(fallback: string) {
  const error = (iss: { input?: unknown }) => `expected "host:port", got ${show(iss.input)}`;
  return z.string({ error }).regex(HOST_PORT, { error }).refine(
    (v) => Number(v.split(":").pop()) <= 65535,
    { error: (iss) => `expected a port up to 65535, got ${show(iss.input)}` },
  ).default(fallback);
}

function url(protocols: string[]) {
  const error = (iss: { input?: unknown }) =>
    `expected a URL starting with ${protocols.join(" or ")}, got ${show(iss.input)}`;
  return z.string({ error }).refine((v) => {
    try {
      return protocols.includes(new URL(v).protocol.replace(":", "://"));
    } catch {
      return false;
    }
  }, { error });
}

/** A secret given literally, or as `env:NAME` / `file:/path`. */
function secret(sources: SecretSources, opts: { literal: boolean }) {
  return z.string().transform(async (raw, ctx) => {
    if (!opts.literal && !/^(env|file):/.test(raw)) {
      ctx.addIssue({
        code: "custom",
        message:
          'expected "env:NAME" or "file:/path"; this secret is never written into the config file',
      });
      return z.NEVER;
    }
    try {
      return await resolveSecret(raw, sources);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
      return z.NEVER;
    }
  });
}

function workersError(iss: { input?: unknown }): string {
  return `expected "auto" or a whole number from 1 to 256, got ${
    typeof iss.input === "number" ? iss.input : show(iss.input)
  }`;
}

/**
 * `true` (a proxy on loopback), `false` (none), or the proxies' addresses and
 * CIDR ranges, as a list or (from an environment variable) comma-separated.
 */
function trustProxy() {
  const error = (iss: { input?: unknown }) =>
    `expected true, false or a list of proxy addresses/CIDRs like ["127.0.0.1/32", "10.0.0.0/8"], got ${
      show(iss.input)
    }`;
  const entries = z.array(z.string({ error }), { error }).max(256).superRefine((list, ctx) => {
    for (const entry of list) {
      if (parseProxyEntry(entry) === null) {
        ctx.addIssue({
          code: "custom",
          message: `expected an IP address or CIDR range, got ${show(entry)}`,
        });
      }
    }
  });
  return z.union([
    z.boolean(),
    z.string().transform((v) => v.split(",").map((e) => e.trim()).filter(Boolean)).pipe(entries),
    entries,
  ], { error }).default(false);
}

const MASTER_KEY_HEX = /^[0-9a-fA-F]{64}$/;

export function configSchema(sources: SecretSources) {
  const server = z.strictObject({
    /** Address the appliance listens on. Default `127.0.0.1:8080`. */
    listen: hostPort("127.0.0.1:8080"),
    /** URL users and providers reach the appliance at (callbacks, consent
     * pages). Default `http://localhost:<listen port>`. */
    public_url: url(["http://", "https://"]).optional(),
    /** Proxy hosts are `<provider>.api.<base_domain>`. Default `localhost`. */
    base_domain: z.string().regex(/^[a-z0-9.-]+$/i, {
      error: (iss) => `expected a domain name, got ${show(iss.input)}`,
    }).default("localhost"),
    /** Which socket peers are reverse proxies whose X-Forwarded-Host/-For are believed:
     * `true` = loopback only, `false` = none, or a list of addresses/CIDRs such as
     * `["127.0.0.1/32", "10.0.0.0/8"]`. Default false. */
    trust_proxy: trustProxy(),
    /** Prometheus listener, separate from the public one. Default `127.0.0.1:9464`. */
    metrics_listen: hostPort("127.0.0.1:9464"),
    /** Admin console listener, never the public one; `"off"` disables it. Default `127.0.0.1:8081`
     * (reach it through an SSH tunnel or your reverse proxy). */
    admin_listen: z.string().refine(
      (v) => v === "off" || (HOST_PORT.test(v) && Number(v.split(":").pop()) <= 65535),
      { error: (iss) => `expected "host:port" or "off", got ${show(iss.input)}` },
    ).default("127.0.0.1:8081"),
    /** Largest accepted API request body in bytes. Default 1 MiB. */
    max_body_bytes: z.number().int().positive().default(1024 * 1024),
    /** How long shutdown waits for in-flight requests, in ms. Default 10000. */
    shutdown_timeout_ms: z.number().int().positive().default(10_000),
    /** A client must send a whole request head within this after connecting, in ms; then the
     * connection is closed (slowloris). Default 10000. */
    header_timeout_ms: z.number().int().min(100).max(600_000).default(10_000),
    /** A keep-alive connection with no request in flight is closed after this, in ms. Default
     * 75000 (nginx's keepalive_timeout): longer than most client pools keep a socket idle. */
    idle_timeout_ms: z.number().int().min(1_000).max(3_600_000).default(75_000),
    /** Most client connections open at once, in the whole process; past it new ones get 503
     * SX-OVERLOADED. The serving isolates (`workers`) split it exactly (the first
     * max_connections % isolates take one more); below the isolates wanted, fewer serve.
     * Default derived at start: (open-file limit − 128 reserved) / 2, shared the same way, each
     * share between 16 and 16384. */
    max_connections: z.number().int().min(1).max(1_000_000).optional(),
    /** Serving isolates on the listen port (SO_REUSEPORT): `"auto"` for one per core, or a
     * number (`1`: one isolate). They share `max_connections`. Default `"auto"`. */
    workers: z.union([
      z.literal("auto"),
      z.number({ error: workersError }).int({ error: workersError })
        .min(1, { error: workersError }).max(256, { error: workersError }),
    ], { error: workersError }).default("auto"),
  });

  const database = z.strictObject({
    /** `file:<path>` (embedded, encrypted) or a libSQL server URL
     * (`libsql://`, `http(s)://`). Default `file:securix-data/securix.db`. */
    url: url(["file://", "libsql://", "http://", "https://", "ws://", "wss://"])
      .or(z.string().regex(/^file:/)).default("file:securix-data/securix.db"),
    /** Token for a libSQL server; a secret reference. Default none. */
    auth_token: secret(sources, { literal: true }).optional(),
  });

  const vault = z.strictObject({
    /** Where the 256-bit master key (64 hex characters) comes from:
     * `env:NAME` or `file:/path`, never a literal. Default
     * `file:securix-data/master.key`. */
    master_key: secret(sources, { literal: false }).pipe(
      z.string().regex(MASTER_KEY_HEX, {
        error: (iss) =>
          `expected 64 hex characters (32 random bytes), got ${
            String(iss.input).length
          } characters`,
      }),
    ),
  });

  const webhooks = z.strictObject({
    /** Allow webhook targets on private or loopback addresses. Default false. */
    allow_private_targets: z.boolean().default(false),
    /** How long a receiver gets to answer one delivery, in ms. A crashed
     * process's claim on a delivery lapses after three times this. Default 10000. */
    timeout_ms: z.number().int().min(100).max(120_000).default(10_000),
    /** Delays before each retry, in ms (±10 % jitter); after the last the delivery
     * is dead. Meant for tests and drills; the default spreads 7 retries over about a
     * day: [5000, 300000, 1800000, 7200000, 18000000, 36000000, 36000000]. */
    retry_delays_ms: z.array(z.number().int().min(10).max(7 * 86_400_000)).min(1).max(50)
      .default([...DEFAULT_RETRY_DELAYS_MS]),
  });

  const proxy = z.strictObject({
    /** How long a provider gets to send response headers once the request body is sent, in
     * ms; then the caller gets 504 SX-UPSTREAM-TIMEOUT. Default 30000. */
    upstream_timeout_ms: z.number().int().min(100).max(600_000).default(30_000),
    /** Largest response a redact or hide rule reads to inspect, in bytes (1024 to 256 MiB);
     * a larger one passes uninspected (`X-SecuriX-Redaction: skipped`) or, strict, is refused
     * with 502 SX-UNINSPECTABLE. Default 8388608 (8 MiB). */
    max_inspect_bytes: z.number().int().min(1024).max(256 * 1024 * 1024).default(
      DEFAULT_MAX_INSPECT_BYTES,
    ),
  });

  const audit = z.strictObject({
    /** Prune audit records older than this many days; 0 keeps all. Default 0. */
    retain_days: z.number().int().min(0).default(0),
    /** Audit records held in memory and not yet written (buffered, being written or retried)
     * at which the proxy answers 503 SX-AUDIT-BACKLOG. Default 100000. */
    max_backlog: z.number().int().min(1).max(10_000_000).default(100_000),
    /** How often `serve` publishes the signed audit chain head (a log line, and an
     * `audit.head` webhook event to endpoints subscribed to it by name), in ms; 0 turns
     * it off. Default 3600000 (hourly). */
    head_interval_ms: z.number().int().min(0).max(7 * 86_400_000).default(3_600_000),
  });

  const auth_lockout = z.strictObject({
    /** Failed API key checks from one client address within `window_s` before further
     * requests from it get 429 SX-AUTH-LOCKOUT until the window ends; counted in the
     * database, so across every node sharing it. Default 20. */
    max_failures: z.number().int().min(1).max(1_000_000).default(20),
    /** Length of the failure window, in seconds, from its first failure. Default 60. */
    window_s: z.number().int().min(1).max(86_400).default(60),
    /** Client addresses each isolate keeps in memory at once (oldest forgotten first): the
     * lockouts it knows already and the per-minute `auth.failed` audit summaries. Default 10000. */
    max_addresses: z.number().int().min(1).max(1_000_000).default(10_000),
  });

  const backup = z.strictObject({
    /** How often `serve` backs the database up into `dir`: `"hourly"`, `"daily"` or `"off"`.
     * Default "off". */
    schedule: z.enum(["off", "hourly", "daily"]).default("off"),
    /** Scheduled backups kept; older ones are deleted (pre-migration backups never are).
     * Default 7. */
    keep: z.number().int().min(1).max(10_000).default(7),
    /** Directory for scheduled and pre-migration backups, relative to the config file.
     * Default `backups` beside the database file. */
    dir: z.string().min(1).optional(),
  });

  const security = securitySchema();

  return z.strictObject({
    server: server.default(server.parse({})),
    database: database.prefault({}),
    vault: vault.prefault({ master_key: "file:securix-data/master.key" }),
    /** `[providers.<name>]`: catalog providers by name, custom ones with `kind`. Default none. */
    providers: providersSchema(sources).prefault({}),
    webhooks: webhooks.default(webhooks.parse({})),
    proxy: proxy.default(proxy.parse({})),
    audit: audit.default(audit.parse({})),
    auth_lockout: auth_lockout.default(auth_lockout.parse({})),
    backup: backup.default(backup.parse({})),
    /** `[security]`: rate-limit sharing, anomaly detectors, approvals (src/config/security_schema.ts). */
    security: security.default(security.parse({})),
    /** `[[rules]]`: deny, redact and hide rules, in evaluation order (src/rules/rule_schema.ts).
     * Validated as a whole below, so errors name the rule. Default none. */
    rules: z.unknown().optional(),
    /** `[scopes.<name>]`: named sets of operations that can be switched off. Default none. */
    scopes: z.unknown().optional(),
  }).superRefine((config, ctx) => {
    // Runs even when other sections failed, so one load reports every mistake.
    const parsed = parseRulesConfig(config?.rules, config?.scopes);
    if (parsed.ok) return;
    for (const issue of parsed.issues) {
      ctx.addIssue({ code: "custom", path: [issue.path], message: issue.message });
    }
  }, { when: () => true }).transform((config, ctx) => {
    const parsed = parseRulesConfig(config.rules, config.scopes);
    if (!parsed.ok) { // refused by the refinement above already; this narrows the type
      ctx.addIssue({ code: "custom", message: "invalid rules" });
      return z.NEVER;
    }
    return { ...config, rules: parsed.rules, scopes: parsed.scopes };
  });
}

export type ConfigSchema = ReturnType<typeof configSchema>;
export type ConfigInput = z.input<ConfigSchema>;
export type ParsedConfig = z.output<ConfigSchema>;
