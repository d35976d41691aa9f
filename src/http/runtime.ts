import { recordAdminEventNow } from "../audit/admin_event.ts";
import { AuditThread } from "../audit/audit_thread.ts";
import { AuthFailureLog } from "../audit/auth_failure_log.ts";
import { trustedProxies } from "../config/trusted_proxies.ts";
import { newWarnings } from "../config/new_warnings.ts";
import { AuditWriter } from "../audit/audit_writer.ts";
import type { AuditEvent } from "../audit/audit_types.ts";
import type { Connection } from "../connections/connection_types.ts";
import { publishHead } from "../audit/head_publisher.ts";
import { pruneAudit } from "../audit/prune.ts";
import { CredentialSource } from "../connections/credential_source.ts";
import type { Database } from "../db/client.ts";
import { errorResponse } from "../errors/error_response.ts";
import { threadOpenOptions } from "../db/thread_calls.ts";
import { logSafeError } from "../errors/log_safe.ts";
import { observeSessions } from "../flows/session_outcomes.ts";
import { sweepLeftovers } from "../flows/session_leftovers.ts";
import { expireSessions } from "../flows/session_store.ts";
import { type FailureCount, pruneAttempts } from "../flows/attempt_counter.ts";
import { DEVICE_FAILURE_WINDOW_MS } from "../flows/device_entry.ts";
import { ApplianceMetrics } from "../metrics/appliance_metrics.ts";
import { wireProviders } from "../providers/provider_registry.ts";
import { resolveProviders } from "../providers/resolve_providers.ts";
import { CallerResolver } from "../proxy/caller_identity.ts";
import { requestUrl } from "../proxy/host_routing.ts";
import { proxyErrors } from "../proxy/proxy_errors.ts";
import { h1Transport } from "../proxy/h1/h1_transport.ts";
import { handleProxy, matchProxy, type ProxyDeps } from "../proxy/proxy_handler.ts";
import type { UpstreamTransport } from "../proxy/upstream_transport.ts";
import { DeliveryWorker } from "../webhooks/delivery_worker.ts";
import type { WebhookSender } from "../webhooks/pinned_post.ts";
import { dnsResolver, type Resolver } from "../webhooks/target_policy.ts";
import { readConfigFile } from "../config/load.ts";
import { loadRuleSet, RuleBook, type RuleLoad } from "../rules/rule_book.ts";
import { ignoredRulesFiles, ignoredRulesWarning, withRulesFile } from "../rules/rules_file.ts";
import { databaseBuckets } from "../limits/bucket_store.ts";
import { LimitCounters } from "../limits/limit_counters.ts";
import { limitFilter } from "../limits/limit_filter.ts";
import type { ProxyFilter } from "../proxy/proxy_filter.ts";
import { compileRules, type RuleSet } from "../rules/rule_set.ts";
import { createApp } from "./app.ts";
import { failedKeyLimits } from "../apps/key_lockout.ts";
import { SharedKeyLockout } from "../apps/shared_key_lockout.ts";
import { ReportedKeyLockout } from "../apps/reported_key_lockout.ts";
import { SecurityThread } from "./security_thread.ts";
import { forwardedClient } from "./client_address.ts";
import type { Appliance } from "./appliance.ts";
import { BackupSchedule } from "../backup/backup_schedule.ts";
import { VERSION } from "../cli/version.ts";
import { isMcpPath, mcpEndpoint } from "../mcp/mcp_endpoint.ts";
import { deriveSubkey, LABELS } from "../vault/derive.ts";
import { AnomalyEngine } from "../anomalies/anomaly_engine.ts";
import { databaseAnomalyStorage } from "../anomalies/anomaly_storage.ts";
import { approvalFilter } from "../approvals/approval_filter.ts";
import { ApprovalSignals } from "../approvals/approval_signals.ts";
import { pruneApprovals } from "../approvals/approval_store.ts";
import { sweepAdminSessions } from "../admins/admin_session_store.ts";
import {
  AdminLockout,
  type AdminLockoutLimits,
  DEFAULT_ADMIN_LOCKOUT,
} from "../console/admin_lockout.ts";
import { isolateRequestIds, type RequestIds } from "../identifiers/request_id.ts";
import { type ConsoleHandler, createConsole } from "../console/console_app.tsx";
import type { ConsoleDeps } from "../console/console_deps.ts";
import { MetricsHistory } from "../console/metrics_history.ts";
import { readTotals } from "../console/metrics_totals.ts";
import { PortalChoices } from "../portal/portal_choices.ts";
import { sweepPortal } from "../portal/portal_session_store.ts";

export interface RuntimeOptions {
  /** Providers' OAuth, discovery and account endpoints (not the proxy). */
  fetch?: typeof fetch;
  /** How the proxy reaches providers; default split_transport.ts (node:http for bodies, fetch otherwise). */
  upstream?: UpstreamTransport;
  log?: (line: string) => void;
  /** Write audit records; default true. */
  audit?: boolean;
  upstreamTimeoutMs?: number;
  /** Largest proxied request body; default 1 GiB (streamed, never buffered). */
  maxProxyBodyBytes?: number;
  webhookRetryDelaysMs?: readonly number[];
  webhookPollMs?: number;
  /** Name resolution for webhook targets; default the system resolver. */
  webhookResolve?: Resolver;
  /** How a webhook is sent to its checked addresses; default pinnedPost (tests: no network). */
  webhookSend?: WebhookSender;
  sessionTtlMs?: number;
  deviceIntervalS?: number;
  /** Between housekeeping runs (session expiry, leftovers, retention); default 1 min. */
  housekeepingMs?: number;
  /** Waits between discovery attempts of an unreachable OIDC issuer; default 1 s doubling to 5 min. */
  discoveryBackoff?: { initialMs?: number; maxMs?: number };
  /**
   * A serving isolate beside the main one (serving_worker.ts): it serves and
   * proxies, and hands its audit events to `auditSink` (the main isolate's
   * writer keeps the one hash chain). Housekeeping, webhook delivery, backups,
   * audit heads and start-up records stay with the main isolate.
   */
  serving?: {
    auditSink: (events: AuditEvent[]) => void;
    /** The main isolate's writer is backlogged: this isolate's proxy refuses too. */
    auditBacklogged: () => boolean;
    /**
     * A port to the main isolate's security thread (security_thread.ts), so one
     * thread and connection serve every isolate; null: this isolate starts its own.
     */
    security?: MessagePort | null;
    /**
     * Reserves a failed key check in the main isolate, which counts for every
     * isolate (in the database, with every node): the window it was counted
     * in, or when the address's lockout ends. None: this isolate counts itself.
     */
    keyFailed?: (address: string) => Promise<FailureCount>;
    /** Gives back a failure `keyFailed` counted for a check that passed. */
    keyForgiven?: (address: string, windowStart: number) => void;
  };
  /**
   * Told of every cache entry this isolate drops for a change made here (a
   * connection paused or revoked, agents changed), so the other serving
   * isolates can drop theirs with `forget` instead of waiting out their TTLs.
   */
  onCachesChanged?: (change: CacheChange) => void;
  /**
   * An address (its lockout key) turned out locked out (`auth_lockout`) in
   * this isolate's count, which every serving isolate reports to: they keep
   * the lockout until `until` and refuse it without asking.
   */
  onKeyLockout?: (key: string, until: number) => void;
  /** How often a request held by an approval `wait` looks for decisions made elsewhere; default 1 s. */
  approvalPollMs?: number;
  /** The console's sign-in lockout; default 5 failures per admin, 20 per address, 15 min. */
  adminLockout?: AdminLockoutLimits;
  /** The console's login-link redemption (ConsoleDeps.redeemLoginLink); for tests. */
  redeemLoginLink?: ConsoleDeps["redeemLoginLink"];
  /** The console's enrolment code check (ConsoleDeps.checkEnrolmentCode); for tests. */
  checkEnrolmentCode?: ConsoleDeps["checkEnrolmentCode"];
  /** Rules the console reloaded, to put in force in the other serving isolates too. */
  onRulesReloaded?: (raw: Record<string, unknown>) => void;
  /**
   * The serving isolates of this process (`[server] workers`), each with its own rate-limit
   * lease holder: a limit key's first claim in each is a share of the burst; default 1.
   */
  limitHolders?: number;
  /** Between samples of the console's overview charts; default 10 s. */
  consoleSampleMs?: number;
  /**
   * The warnings the start's config load printed: a reload names only those
   * it finds that the load before it did not (new_warnings.ts).
   */
  startWarnings?: readonly string[];
  /** Where request ids come from; default this isolate's source. */
  requestIds?: RequestIds;
}

/** A change that makes cached callers or credentials stale, as it crosses between isolates. */
export type CacheChange =
  | { kind: "connection"; connection: Pick<Connection, "id" | "appId" | "entityId" | "provider"> }
  | { kind: "agents" }
  /** An app's keys were revoked, or the app changed or was deleted: its cached keys go. */
  | { kind: "app"; appId: string };

/** A reload's outcome, with the validated rules and scopes to hand to serving isolates. */
export type RuleReload = RuleLoad & { raw?: Record<string, unknown> };

export interface Runtime {
  handler: (req: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) => Promise<Response>;
  metrics: ApplianceMetrics;
  audit: AuditWriter | null;
  worker: DeliveryWorker;
  credentials: CredentialSource;
  /** Starts background work: audit batches, webhook deliveries, housekeeping. */
  start(): void;
  /** Stops background work and flushes the audit buffer. */
  stop(): Promise<void>;
  /** The rules in force (swapped by `reloadRules`). */
  rules: RuleBook;
  /** The anomaly detectors and the blocks in force in this process. */
  anomalies: AnomalyEngine;
  /**
   * Re-reads `[[rules]]` and `[scopes]` from the config file and puts them in
   * force; an invalid file keeps the rules in force and says why.
   */
  reloadRules(trigger: string): Promise<RuleReload>;
  /** Puts `raw`'s `rules` and `scopes` in force (what a reload validated in another isolate). */
  applyRules(raw: Record<string, unknown>, trigger: string): RuleLoad;
  /** Drops what `change` makes stale (a change another isolate made). */
  forget(change: CacheChange): void;
  /**
   * Reserves a failed key check a serving isolate reported (the main isolate
   * counts for all, in the database): the window it was counted in, or when
   * the address's lockout ends (nothing counted).
   */
  keyFailed(address: string): Promise<FailureCount>;
  /** Gives back what `keyFailed` counted for a check that then passed. */
  keyForgiven(address: string, windowStart: number): void;
  /** A lockout the main isolate announced (`onKeyLockout`), kept by a serving isolate. */
  lockOut(key: string, until: number): void;
  /** The lockouts in force where they are counted (none in a serving isolate). */
  activeLockouts(): Array<{ key: string; until: number }>;
  /**
   * A new port to this runtime's security thread, for a serving isolate to
   * make its syncs through (`serving.security`); null when there is none.
   */
  securityPort(): MessagePort | null;
  /** The admin console, for the admin listener only; null in serving isolates. */
  adminHandler:
    | ((req: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) => Promise<Response>)
    | null;
}

/**
 * Everything one serving process runs, wired together: providers (with OIDC
 * discovery), the Hono app, the proxy hot path dispatched by Host before
 * Hono, audit, webhooks and metrics.
 */
export async function createRuntime(
  appliance: Appliance,
  options: RuntimeOptions = {},
): Promise<Runtime> {
  const { config, database, vault, now } = appliance;
  const log = options.log ?? ((line: string) => console.error(line));
  const requestIds = options.requestIds ?? isolateRequestIds();
  /** What the last config load warned about (see RuntimeOptions.startWarnings). */
  let shownWarnings: readonly string[] = options.startWarnings ?? [];
  const fetchImpl = options.fetch ?? globalThis.fetch;
  let stopped = false;
  let discoveryRetry: ReturnType<typeof setTimeout> | undefined;
  let discoveryRetryAt = 0;
  // Lazy: an OIDC issuer that is down makes its provider answer SX-PROVIDER-UNAVAILABLE
  // until it is back, instead of keeping the whole appliance from starting.
  const resolved = await resolveProviders(config.providers, { fetch: fetchImpl, lazy: true });
  // One transport for the proxy and the credential form's test requests.
  const upstream = options.upstream ?? h1Transport();
  const wiring = wireProviders(resolved, {
    fetch: fetchImpl,
    now,
    upstream,
    discovery: {
      ...options.discoveryBackoff,
      onFailure: (error, retryInMs) => {
        log(
          `providers: ${logSafeError(error)}; retrying in ${
            Math.ceil(retryInMs / 1000)
          } s (securix doctor checks the issuer)`,
        );
        // Retry in the background too, so the provider is ready before its next user. One
        // timer for all issuers at the soonest retry: warmUp skips those still backing off.
        const at = now() + retryInMs;
        if (!stopped && (discoveryRetry === undefined || at < discoveryRetryAt)) {
          clearTimeout(discoveryRetry);
          discoveryRetryAt = at;
          discoveryRetry = setTimeout(() => {
            discoveryRetry = undefined;
            void wiring.warmUp();
          }, retryInMs);
        }
      },
      onRecovered: (provider) => log(`providers: ${provider}: OpenID configuration discovered`),
    },
  });
  const serving = options.serving ?? null;
  if (options.audit !== false && !serving) {
    // Which providers this process serves, and how: a configuration change shows in the log.
    await recordAdminEventNow(database, {
      kind: "admin.providers.loaded",
      by: { actor: "serve" },
      data: {
        providers: [...resolved.enabled.values()].map((p) => ({
          name: p.name,
          kind: p.kind,
          family: p.family,
          allowedScopes: p.allowedScopes,
        })),
      },
    }, now());
  }
  // Both threads boot and open the database at once: neither waits on the other.
  const [auditThread, securityThread] = await Promise.all([
    options.audit === false || serving ? null : startAuditThread(database, log),
    // The security engine's syncs go to a thread of their own, shared by every isolate.
    serving?.security
      ? SecurityThread.over(serving.security)
      : startSecurityThread(database, config.security.share_ms, log),
  ]);
  const audit = options.audit === false ? null : new AuditWriter({
    database,
    now,
    backlogLimit: config.audit.max_backlog,
    onFlush: (_n, lag) => metrics.auditBatchLag.observe(lag / 1000),
    onError: (error) => log(`audit: cannot write batch: ${logSafeError(error)}`),
    ...(serving
      ? {
        // Handed over, not written: short intervals keep the main writer's batches full.
        intervalMs: SERVING_AUDIT_INTERVAL_MS,
        maxBatch: SERVING_AUDIT_MAX_BATCH,
        write: (events: AuditEvent[]) => Promise.resolve(serving.auditSink(events)),
        downstreamBacklogged: serving.auditBacklogged,
      }
      : { writeJson: auditThread ? (json: string) => auditThread.writeJson(json) : undefined }),
  });
  const failureLog = audit && new AuthFailureLog({
    emit: (event) => audit.record(event),
    maxAddresses: config.auth_lockout.max_addresses,
  });
  const worker = new DeliveryWorker({
    database,
    vault,
    now,
    allowPrivateTargets: config.webhooks.allow_private_targets,
    resolve: options.webhookResolve ?? dnsResolver,
    send: options.webhookSend,
    retryDelaysMs: options.webhookRetryDelaysMs ?? config.webhooks.retry_delays_ms,
    timeoutMs: config.webhooks.timeout_ms,
    pollMs: options.webhookPollMs,
    onDelivery: (outcome) => metrics.webhookDeliveries.inc({ outcome }),
    log,
  });
  const metrics = new ApplianceMetrics({
    // Summed over isolates at render: only the main one reports the queue.
    webhookQueueDepth: serving ? undefined : () => worker.queueDepth(),
    auditPending: () => audit?.pending ?? 0,
  });
  const { backup } = config;
  const backups = serving || backup.schedule === "off" || !backup.dir ||
      !config.database.filePath
    ? null
    : new BackupSchedule({
      databasePath: config.database.filePath,
      dir: backup.dir,
      schedule: backup.schedule,
      keep: backup.keep,
      masterKey: config.vault.masterKey,
      securixVersion: VERSION,
      now,
      record: (event) => recordAdminEventNow(database, { ...event, by: { actor: "serve" } }, now()),
      onSuccess: (at) => metrics.backupLastSuccess.set(at / 1000),
      log,
    });
  observeSessions(database, (flow, outcome) => metrics.sessions.inc({ flow, outcome }));
  const credentials = new CredentialSource({
    database,
    vault,
    now,
    refresherFor: wiring.refresherFor,
    onRefresh: (outcome) => metrics.refreshes.inc({ outcome }),
  });
  // Shared through the database with every other process and serving isolate (lease_bucket.ts).
  const limitCounters = new LimitCounters({
    store: securityThread?.buckets ??
      databaseBuckets(database, leaseMs(config.security.share_ms)),
    now,
    shareMs: config.security.share_ms,
    leaseMs: leaseMs(config.security.share_ms),
    holders: options.limitHolders,
    onError: (error) => log(`rate limits: cannot share counts: ${logSafeError(error)}`),
  });
  const anomalies = new AnomalyEngine({
    storage: securityThread?.anomalies ?? databaseAnomalyStorage(database),
    security: config.security,
    now,
    onAnomaly: (detector, action) => metrics.anomalies.inc({ detector, action }),
    log,
    databaseBusy: () => audit?.backlogged === true || (serving?.auditBacklogged() ?? false),
    maxInspectBytes: config.proxy.max_inspect_bytes,
  });
  const approvalSignals = new ApprovalSignals();
  // Each entity's Trust Portal switches, read by the rules filter on every call.
  const portalChoices = new PortalChoices({ database, log });
  const rules = new RuleBook({
    maxInspectBytes: config.proxy.max_inspect_bytes,
    now,
    entityChoices: portalChoices.lookup,
    // Anomaly blocks first, with or without rules (the detectors are on by default); then the
    // rules, rate limits, and approvals last (a call is held only once nothing else refuses it).
    compose: (set, rulesFilter) => {
      const filters: ProxyFilter[] = [anomalies.filter];
      if (rulesFilter) filters.push(rulesFilter);
      const limits = limitFilter({
        set,
        counters: limitCounters,
        maxInspectBytes: config.proxy.max_inspect_bytes,
      });
      if (limits) filters.push(limits);
      const approvals = approvalFilter({
        set,
        database,
        now,
        maxInspectBytes: config.proxy.max_inspect_bytes,
        ttlMs: config.security.approval_ttl,
        publicUrl: config.server.publicUrl,
        signals: approvalSignals,
        pollMs: options.approvalPollMs,
      });
      if (approvals) filters.push(approvals);
      return filters;
    },
  });
  const putInForce = (set: RuleSet, trigger: string) => {
    rules.use(set);
    if (serving) return; // The main isolate records each load once.
    // A start with no rules is the default state, not an event worth a record.
    if (trigger === "start" && set.rules.length === 0 && set.scopes.length === 0) return;
    // Which rules were in force when is part of the trail: the hash names the exact set.
    audit?.record({
      kind: "admin.rules.loaded",
      at: now(),
      data: { hash: set.hash, rules: set.rules.length, scopes: set.scopes.length, trigger },
    });
  };
  putInForce(compileRules(config.rules, config.scopes), "start");
  // One count for every node, in the database; reached here, or through the main isolate beside this one.
  const lockoutLimits = failedKeyLimits(config.auth_lockout);
  const adminLockoutLimits = options.adminLockout ?? DEFAULT_ADMIN_LOCKOUT;
  // Which side this isolate is, said once: it counts failures, or keeps what the counter announces.
  const keyLockout: KeyLockoutSide = serving?.keyFailed
    ? {
      side: "kept",
      kept: new ReportedKeyLockout({
        report: serving.keyFailed,
        giveBack: serving.keyForgiven ?? (() => {}),
        maxAddresses: lockoutLimits.maxAddresses,
      }),
    }
    : {
      side: "counted",
      counted: new SharedKeyLockout({
        db: database.db,
        limits: lockoutLimits,
        onLocked: options.onKeyLockout,
      }),
    };
  const { app, authenticator, flowDeps, commands } = await createApp(appliance, {
    keyLockout: keyLockout.side === "counted" ? keyLockout.counted : keyLockout.kept,
    rules: () => rules.set,
    gateway: {
      routes: wiring.routes,
      credentials,
      anomalyBlock: (connectionId) => anomalies.connectionBlock(connectionId),
    },
    providers: wiring.registry,
    log,
    requestIds,
    sessionTtlMs: options.sessionTtlMs,
    deviceIntervalS: options.deviceIntervalS,
    onConnectionChanged: (c) => {
      const change: CacheChange = {
        kind: "connection",
        connection: { id: c.id, appId: c.appId, entityId: c.entityId, provider: c.provider },
      };
      forget(change);
      options.onCachesChanged?.(change);
    },
    onAgentsChanged: () => {
      forget({ kind: "agents" });
      options.onCachesChanged?.({ kind: "agents" });
    },
    // This isolate's authenticator forgot the app already; the others' must too, at once.
    onAppChanged: (appId) => options.onCachesChanged?.({ kind: "app", appId }),
    onAnomalyCleared: (anomaly) => anomalies.forget(anomaly),
    webhookResolve: options.webhookResolve,
    approvalSignals,
    portal: { choices: portalChoices, proxy: () => proxy },
    onKeyFailure: (address, reason) => {
      metrics.authFailures.inc({ reason });
      failureLog?.record(address, reason, now());
    },
  });
  const trusted = trustedProxies(config.server.trustedProxies);
  const history = new MetricsHistory({ read: () => readTotals(metrics), now });
  const adminConsole: ConsoleHandler | null = serving ? null : createConsole({
    requestIds,
    config,
    database,
    vault,
    now,
    commands,
    providers: wiring.registry,
    routes: wiring.routes,
    refresherFor: wiring.refresherFor,
    rules: () => rules.set,
    reloadRules: async (trigger) => {
      const result = await runtime.reloadRules(trigger);
      if (result.ok && result.raw) options.onRulesReloaded?.(result.raw);
      return result;
    },
    history,
    webhookResolve: options.webhookResolve ?? dnsResolver,
    webhookQueueDepth: () => worker.queueDepth(),
    lockout: new AdminLockout({ db: database.db, limits: adminLockoutLimits }),
    redeemLoginLink: options.redeemLoginLink,
    checkEnrolmentCode: options.checkEnrolmentCode,
    csrfKey: await deriveSubkey(config.vault.masterKey, LABELS.consoleCsrf),
    log,
  });
  const callers = new CallerResolver({ db: database.db, authenticator, now });
  function forget(change: CacheChange): void {
    if (change.kind === "agents") return callers.forgetAll();
    if (change.kind === "app") return authenticator.forgetApp(change.appId);
    credentials.invalidate(change.connection.id);
    callers.forgetConnection(change.connection);
  }
  const proxy: ProxyDeps = {
    routes: wiring.routes,
    baseDomain: config.server.base_domain,
    callers,
    credentials,
    audit,
    upstream,
    now,
    upstreamTimeoutMs: options.upstreamTimeoutMs ?? config.proxy.upstream_timeout_ms,
    maxRequestBytes: options.maxProxyBodyBytes ?? 1024 ** 3,
    maxHeaderBytes: 32 * 1024,
    maxInspectBytes: config.proxy.max_inspect_bytes,
    onInternalError: (error, requestId) => log(`proxy: ${requestId}: ${logSafeError(error)}`),
    requestIds,
    filters: () => rules.filters,
    onRefusedUnauthenticated: (address, reason) => {
      metrics.authFailures.inc({ reason });
      failureLog?.record(address, reason, now());
    },
    onComplete: (call, outcome) => {
      anomalies.observe(call, outcome);
      // The provider's own 429 (not ours): passed through as is, counted per connection.
      if (outcome.status === 429 && outcome.error === null && call.caller) {
        metrics.providerThrottled(call.route.provider, call.caller.connection.id);
      }
    },
    onRequest: (provider, status, totalMs, upstreamMs) =>
      metrics.proxyRequest(provider, status, totalMs, upstreamMs),
  };
  const mcp = mcpEndpoint({
    db: database.db,
    now,
    key: await deriveSubkey(config.vault.masterKey, LABELS.mcpGrant),
    publicUrl: config.server.publicUrl,
    proxy,
    rules: () => rules.set,
    flows: flowDeps,
    log,
    requestIds,
  });
  const timers: ReturnType<typeof setInterval>[] = [];
  let housekeepingRuns = false;
  const housekeeping = async () => {
    // Revocations at slow providers can outlast the interval: never two runs at once.
    if (housekeepingRuns) return;
    housekeepingRuns = true;
    try {
      await expireSessions(database, now());
      await pruneApprovals(database.db, now());
      await sweepAdminSessions(database.db, now());
      await sweepPortal(database.db, now());
      // Attempt counters' windows: a device address's 15 minutes, one session's life, the lockouts'.
      await pruneAttempts(
        database.db,
        now(),
        Math.max(
          DEVICE_FAILURE_WINDOW_MS,
          flowDeps.sessionTtlMs,
          lockoutLimits.windowMs,
          adminLockoutLimits.windowMs,
        ),
      );
      // Ended sessions' tokens are revoked and deleted; stale OAuth states go too.
      await sweepLeftovers({ database, vault, providers: wiring.registry, now });
      if (config.audit.retain_days > 0) {
        const before = now() - config.audit.retain_days * 86_400_000;
        // On the audit thread when there is one: deleting packs takes the connection a while.
        await (auditThread
          ? auditThread.prune(before, { actor: "serve" }, now())
          : pruneAudit(database, before, { actor: "serve" }, now()));
      }
    } catch (error) {
      log(`housekeeping: ${logSafeError(error)}`);
    } finally {
      housekeepingRuns = false;
    }
  };
  const publishAuditHead = async () => {
    try {
      await publishHead({ database, masterKey: config.vault.masterKey, now, log });
    } catch (error) {
      log(`audit head: cannot publish: ${logSafeError(error)}`);
    }
  };
  const runtime: Runtime = {
    adminHandler: adminConsole && ((req, info) => {
      const peer = info.remoteAddr.hostname;
      const address = trusted(peer)
        ? forwardedClient(peer, req.headers.get("x-forwarded-for"), trusted, true)
        : peer;
      return adminConsole(req, address);
    }),
    handler: (req, info) => {
      const url = requestUrl(req.url, req.headers.get("host"));
      if (!url) {
        return Promise.resolve(errorResponse(proxyErrors.badHost(), undefined, requestIds()));
      }
      const peer = info.remoteAddr.hostname;
      const peerTrusted = trusted(peer);
      const target = matchProxy(proxy, req, url, peerTrusted);
      if (target === "unknown") {
        return Promise.resolve(
          errorResponse(
            proxyErrors.unknownHost(req.headers.get("host") ?? url.host),
            undefined,
            requestIds(),
          ),
        );
      }
      if (target) {
        const client = peerTrusted
          ? forwardedClient(peer, req.headers.get("x-forwarded-for"), trusted, true)
          : peer;
        return handleProxy(proxy, req, target, client);
      }
      if (isMcpPath(url.pathname)) {
        const client = peerTrusted
          ? forwardedClient(peer, req.headers.get("x-forwarded-for"), trusted, true)
          : peer;
        return mcp(req, url.pathname, client);
      }
      return Promise.resolve(app.fetch(req, info));
    },
    metrics,
    audit,
    worker,
    credentials,
    start() {
      audit?.start();
      anomalies.start();
      portalChoices.start();
      if (serving) {
        void wiring.warmUp();
        if (failureLog) timers.push(setInterval(() => failureLog.flush(now()), 5_000));
        return;
      }
      worker.start();
      // Discover OIDC issuers now rather than on the first user's click; failures only log.
      void wiring.warmUp();
      // Once now, so retention applies right after a restart, then every minute.
      void housekeeping();
      timers.push(setInterval(housekeeping, options.housekeepingMs ?? 60_000));
      if (options.audit !== false && config.audit.head_interval_ms > 0) {
        // Once at start, so a restart leaves a fresh head outside the database, then periodically.
        void publishAuditHead();
        timers.push(setInterval(publishAuditHead, config.audit.head_interval_ms));
      }
      // The console's charts: this process's metrics, sampled into a ring buffer.
      timers.push(setInterval(() => void history.sample(), options.consoleSampleMs ?? 10_000));
      void history.sample();
      // Summaries of ended minutes go out within seconds, not at the next housekeeping.
      if (failureLog) timers.push(setInterval(() => failureLog.flush(now()), 5_000));
      backups?.start();
    },
    rules,
    anomalies,
    async reloadRules(trigger) {
      let raw: Record<string, unknown> = {};
      try {
        if (config.source) {
          raw = await withRulesFile(await readConfigFile(config.source), config.source);
        }
      } catch (error) {
        return { ok: false, issues: [{ path: config.source!, message: (error as Error).message }] };
      }
      const loaded = loadRuleSet(raw);
      if (!loaded.ok) return loaded;
      putInForce(loaded.set, trigger);
      // A file dropped into rules.d since start is named here too, not only at the next start;
      // one named already at start or at the last reload is not named again at every reload.
      if (config.source) {
        const warnings = (await ignoredRulesFiles(config.source)).map(ignoredRulesWarning);
        for (const warning of newWarnings(shownWarnings, warnings)) log(warning);
        shownWarnings = warnings;
      }
      return { ...loaded, raw: { rules: raw.rules, scopes: raw.scopes } };
    },
    forget,
    keyFailed: (address) =>
      keyLockout.side === "counted"
        ? keyLockout.counted.count(address, now())
        : Promise.reject(new Error("a serving isolate counts no failures")),
    keyForgiven: (address, windowStart) => {
      if (keyLockout.side === "counted") keyLockout.counted.giveBack(address, windowStart);
    },
    lockOut: (key, until) => {
      if (keyLockout.side === "kept") keyLockout.kept.lock(key, until);
    },
    activeLockouts: () =>
      keyLockout.side === "counted" ? keyLockout.counted.activeLockouts(now()) : [],
    securityPort: () => securityThread?.port() ?? null,
    applyRules(raw, trigger) {
      const loaded = loadRuleSet(raw);
      if (loaded.ok) putInForce(loaded.set, trigger);
      return loaded;
    },
    async stop() {
      stopped = true;
      clearTimeout(discoveryRetry);
      for (const t of timers) clearInterval(t);
      portalChoices.stop();
      await anomalies.stop();
      await backups?.stop();
      await worker.stop();
      failureLog?.flushAll();
      await limitCounters.close();
      securityThread?.close();
      await audit?.stop();
      auditThread?.close();
      proxy.upstream.close?.();
    },
  };
  return runtime;
}

/** How long a process may spend a claimed rate-limit lease: several syncs, so a slow one never strands it. */
function leaseMs(shareMs: number): number {
  return Math.max(10_000, 5 * shareMs);
}

/**
 * The failed-key lockout of one isolate: `counted` where the process counts
 * failures in the database (the main isolate, or the only one), `kept` in a
 * serving isolate beside it, which reports failures there and keeps the
 * lockouts it announces.
 */
type KeyLockoutSide =
  | { side: "counted"; counted: SharedKeyLockout }
  | { side: "kept"; kept: ReportedKeyLockout };

const SERVING_AUDIT_INTERVAL_MS = 50;
const SERVING_AUDIT_MAX_BATCH = 500;

/**
 * An embedded database file gets its audit batches written on a thread of
 * their own (see audit_thread.ts); a libSQL server is reached asynchronously
 * and needs none. If the thread cannot start, batches are written here.
 */
async function startAuditThread(
  database: Database,
  log: (line: string) => void,
): Promise<AuditThread | null> {
  // The thread needs the file and its key; nothing else crosses over.
  const options = threadOpenOptions(database);
  if (!options) return null;
  try {
    return await AuditThread.start(options);
  } catch (error) {
    log(`audit: writing on the serving thread (${logSafeError(error)})`);
    return null;
  }
}

/**
 * An embedded database file gets the security engine's round trips made on
 * a thread of their own (see security_thread.ts); a libSQL server is reached
 * asynchronously and needs none. If the thread cannot start, they are made
 * here, as before.
 */
async function startSecurityThread(
  database: Database,
  shareMs: number,
  log: (line: string) => void,
): Promise<SecurityThread | null> {
  const options = threadOpenOptions(database);
  if (!options) return null;
  try {
    return await SecurityThread.start(options, leaseMs(shareMs));
  } catch (error) {
    log(`security: syncing on the serving thread (${logSafeError(error)})`);
    return null;
  }
}
