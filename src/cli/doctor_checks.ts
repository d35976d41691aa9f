import type { LedgerFindings } from "../db/ledger_check.ts";

/**
 * `securix doctor`'s checks. Each is a small function that gets the facts
 * (or injected readers) and returns one line's worth: status, detail, fix.
 */

export type CheckStatus = "ok" | "warn" | "fail" | "skip";

export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
  /** What to do about a warn or fail; null when there is nothing to do. */
  fix: string | null;
}

const ok = (name: string, detail: string): CheckResult => ({
  name,
  status: "ok",
  detail,
  fix: null,
});

export function skipped(name: string, why: string): CheckResult {
  return { name, status: "skip", detail: `not checked: ${why}`, fix: null };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** (1) The config file loads, or the embedded defaults apply. */
export function configCheck(source: string | null, error: unknown): CheckResult {
  if (error !== null) {
    return {
      name: "config",
      status: "fail",
      detail: message(error),
      fix: "edit the named key (see the comments in securix.toml), or write one with securix init",
    };
  }
  return ok(
    "config",
    source ?? "embedded defaults (no securix.toml found; securix init writes one)",
  );
}

export interface KeyFacts {
  /** `vault.master_key` after env overrides: `env:NAME` or `file:/path`. */
  ref: string;
  /** The key file's resolved path, for `file:` references. */
  path: string | null;
  /** What was read, or null when it could not be. */
  value: string | null;
  readError: string | null;
  /** Permission bits of the key file (null when unknown or not a file). */
  mode: number | null;
  /** No database yet (a fresh install): `serve` creates a missing key file on first start. */
  fresh: boolean;
}

const KEY_HEX = /^[0-9a-fA-F]{64}$/;

/** (2) The master key is readable, 64 hex characters, and (as a file) mode 0600. */
export function masterKeyCheck(facts: KeyFacts): CheckResult {
  const name = "master key";
  const where = facts.path ?? facts.ref;
  if (!/^(env|file):/.test(facts.ref)) {
    return {
      name,
      status: "fail",
      detail: `vault.master_key is ${JSON.stringify(facts.ref)}`,
      fix: 'set vault.master_key = "file:<path>" or "env:<NAME>"; never the key itself',
    };
  }
  if (facts.value === null) {
    if (facts.fresh && facts.path !== null) {
      return {
        name,
        status: "warn",
        detail: `${where} does not exist yet`,
        fix: "securix serve creates it on first start (there is no database yet either)",
      };
    }
    return {
      name,
      status: "fail",
      detail: facts.readError ?? `${where} cannot be read`,
      fix: facts.path === null
        ? `set ${facts.ref.slice(4)} to the 64-hex-character key from your secret store`
        : `the database exists, so its key must come back, never a new one: copy ${facts.path} ` +
          "back from wherever you kept it, or restore a backup made with --include-key " +
          "(securix restore BACKUP --force --passphrase-file FILE)",
    };
  }
  if (!KEY_HEX.test(facts.value)) {
    return {
      name,
      status: "fail",
      detail: `${where} holds ${facts.value.length} characters, not 64 hex characters`,
      fix: "restore the key the database was created with from your backup",
    };
  }
  if (facts.mode !== null && (facts.mode & 0o077) !== 0) {
    return {
      name,
      status: "warn",
      detail: `${where} is readable by others (mode ${
        (facts.mode & 0o777).toString(8).padStart(4, "0")
      })`,
      fix: `chmod 600 ${facts.path}`,
    };
  }
  return ok(name, facts.path ? `${facts.path} (mode 0600)` : `from $${facts.ref.slice(4)}`);
}

/** (3) The database opens with the key. `error` is what opening threw, or null. */
export function databaseCheck(
  target: { url: string; filePath: string | null; fileExists: boolean },
  error: unknown,
): CheckResult {
  const name = "database";
  const where = target.filePath ?? target.url;
  if (target.filePath !== null && !target.fileExists) {
    return {
      name,
      status: "warn",
      detail: `${where} does not exist yet`,
      fix: "securix serve (or securix migrate) creates and migrates it",
    };
  }
  if (error === null) return ok(name, target.filePath ? `${where} (encrypted)` : where);
  const code = (error as { code?: unknown }).code;
  if (code === "SX-MASTER-KEY-MISMATCH") {
    return {
      name,
      status: "fail",
      detail: `the master key does not decrypt ${where}`,
      fix: "configure the master key this database was created with (restore it from backup), " +
        "or move the database away to start empty",
    };
  }
  return {
    name,
    status: "fail",
    detail: message(error),
    fix: target.filePath
      ? `check that ${target.filePath} and its directory are readable and writable`
      : "check database.url, that the libSQL server is reachable, and database.auth_token",
  };
}

/**
 * (4) Every migration applied, none unknown, none renamed or edited since it
 * was applied (`integrity`: what `compareLedger` found). A newer database is
 * named first, as the appliance's start does: its fix is another version.
 */
export function migrationsCheck(
  applied: readonly string[],
  known: readonly string[],
  integrity: Pick<LedgerFindings, "renamed" | "changed"> = { renamed: [], changed: [] },
): CheckResult {
  const name = "migrations";
  const renamedFrom = new Set(integrity.renamed.map((r) => r.applied));
  const unknown = applied.filter((m) => !known.includes(m) && !renamedFrom.has(m));
  if (unknown.length > 0) {
    return {
      name,
      status: "fail",
      detail: `the database has migrations this version does not know: ${unknown.join(", ")}`,
      fix: "run the securix version that migrated this database, or a newer one",
    };
  }
  const edited = [
    ...integrity.renamed.map((r) => `${r.known} applied as ${r.applied}`),
    ...integrity.changed.map((c) => `${c.name} applied from a different text`),
  ];
  if (edited.length > 0) {
    return {
      name,
      status: "fail",
      detail: `SX-MIGRATION-CHANGED: ${edited.join("; ")}`,
      fix: "the release's migrations were edited: run the unmodified release that migrated " +
        "this database, or restore the pre-migrate-*.sxbak backup taken before the upgrade " +
        "(securix restore)",
    };
  }
  const pending = known.filter((m) => !applied.includes(m));
  if (pending.length > 0) {
    return {
      name,
      status: "fail",
      detail: `${pending.length} pending: ${pending.join(", ")}`,
      fix: "run securix migrate (securix serve also applies them on start)",
    };
  }
  return ok(name, `all ${known.length} applied`);
}

/**
 * (after migrations) The tables, columns, indexes, keys and constraints the
 * applied migrations built, against the schema this binary queries by
 * (db/schema_check.ts): a difference means the database was changed outside
 * the migrations, and queries may fail or slow down.
 */
export function schemaCheck(
  drift: readonly string[],
  context: {
    /** Where scheduled and pre-migration backups are, if known. */
    backupDir: string | null;
    /** The statement (and its migration) that creates a named index. */
    indexStatement: (name: string) => { migration: string; sql: string } | null;
  },
): CheckResult {
  const name = "schema";
  if (drift.length === 0) return ok(name, "as this version's migrations build it");
  const shown = drift.slice(0, SCHEMA_DRIFT_SHOWN).join("; ");
  const more = drift.length > SCHEMA_DRIFT_SHOWN
    ? `; and ${drift.length - SCHEMA_DRIFT_SHOWN} more (securix doctor --json lists them all)`
    : "";
  const recreate = drift.map((line) =>
    /: index (\S+) declared in the schema, missing from the database$/.exec(line)?.[1]
  ).filter((index): index is string => index !== undefined)
    .map((index) => context.indexStatement(index))
    .filter((found): found is { migration: string; sql: string } => found !== null);
  const restore = "stop securix serve and restore the newest backup from before the change " +
    `(securix restore FILE --force${
      context.backupDir ? `; backups are in ${context.backupDir}` : ""
    })`;
  return {
    name,
    status: "fail",
    detail: `${drift.length} difference${
      drift.length === 1 ? "" : "s"
    } from the schema this version expects: ${shown}${more}`,
    fix: "the database was changed outside securix's migrations (by hand or by another tool): " +
      restore +
      (recreate.length > 0
        ? `; or, where you can run SQL on it (a libSQL server's shell), put the dropped ${
          recreate.length === 1 ? "index" : "indexes"
        } back: ${recreate.map((r) => `${r.sql} (migrations/${r.migration}.sql)`).join(" ")}`
        : ""),
  };
}

const SCHEMA_DRIFT_SHOWN = 3;

export type ResolveDns = (
  name: string,
  type: "A" | "AAAA",
  signal: AbortSignal,
) => Promise<string[]>;

function isLocalDomain(domain: string): boolean {
  return domain === "localhost" || domain.endsWith(".localhost");
}

/** Resolves within `timeoutMs` or throws an error named "TimedOut". */
async function lookup(
  resolve: ResolveDns,
  name: string,
  type: "A" | "AAAA",
  timeoutMs: number,
): Promise<string[]> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // Reject first so the race reports the timeout, then cancel the lookup.
      reject(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { name: "TimedOut" }));
      controller.abort();
    }, timeoutMs);
  });
  try {
    return await Promise.race([resolve(name, type, controller.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** (5) `*.api.<base_domain>` resolves, probed through `doctor-check.api.<base_domain>`. */
export async function wildcardDnsCheck(
  baseDomain: string,
  resolve: ResolveDns,
  timeoutMs = 3_000,
): Promise<CheckResult> {
  const name = "wildcard DNS";
  const wildcard = `*.api.${baseDomain}`;
  if (isLocalDomain(baseDomain)) {
    return ok(name, `${wildcard}: browsers resolve *.localhost to loopback; no record needed`);
  }
  const probe = `doctor-check.api.${baseDomain}`;
  const fix = `add a DNS record: ${wildcard} CNAME <appliance host> (securix init prints them)`;
  try {
    for (const type of ["A", "AAAA"] as const) {
      try {
        const addresses = await lookup(resolve, probe, type, timeoutMs);
        if (addresses.length > 0) return ok(name, `${probe} → ${addresses.join(", ")}`);
      } catch (error) {
        if ((error as Error).name !== "NotFound") throw error;
      }
    }
    return { name, status: "fail", detail: `${probe} does not resolve`, fix };
  } catch (error) {
    return {
      name,
      status: "warn",
      detail: `could not look up ${probe} (${message(error)}); no DNS or network here?`,
      fix: `check from a machine with DNS access: dig +short ${probe}`,
    };
  }
}

/** (6) public_url: https unless it is a local address; trust_proxy set behind a proxy. */
export function publicUrlCheck(server: {
  publicUrl: string;
  listen: string;
  trustProxy: boolean;
}): CheckResult {
  const name = "public URL";
  const url = new URL(server.publicUrl);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const local = isLocalDomain(host) || host === "::1" || /^127\./.test(host);
  if (url.protocol === "http:" && local) return ok(name, `${server.publicUrl} (local use only)`);
  if (url.protocol === "http:") {
    return {
      name,
      status: "fail",
      detail: `${server.publicUrl} is plain http on a non-local host`,
      fix: "put a TLS reverse proxy in front (securix init prints Caddy and nginx configs) and " +
        "set server.public_url to https://…",
    };
  }
  const listenHost = server.listen.slice(0, server.listen.lastIndexOf(":")).replace(/^\[|\]$/g, "");
  const loopback = listenHost === "localhost" || listenHost === "::1" || /^127\./.test(listenHost);
  if (loopback && !server.trustProxy) {
    return {
      name,
      status: "warn",
      detail: `${server.publicUrl} is served through a proxy, but trust_proxy is false`,
      fix: "set server.trust_proxy = true so client addresses and proxy hosts come from " +
        "X-Forwarded-For/-Host",
    };
  }
  return ok(name, server.publicUrl);
}

/** (7) The redirect URI to register at every OAuth provider. */
export function oauthCallbackCheck(publicUrl: string): CheckResult {
  return ok("OAuth callback", `register at each provider: ${publicUrl}/oauth/callback`);
}

/**
 * (8) The open-file limit `serve` will run under (it raises the soft limit to
 * the hard one), and the connection cap that follows from it.
 */
export function openFilesCheck(
  limit: { soft: number; hard: number } | null,
  /** `server.max_connections`: the process's total, shared by the isolates. */
  maxConnections: number | undefined,
  /**
   * For an open-file limit: serve's default total across the isolates, and
   * the connections its descriptors carry once the reserves are kept (null
   * when the limit is unknown).
   */
  derive: (nofile: number | null) => { total: number; carried: number | null },
  /** Serving isolates (`[server] workers`): they count against one cap together. */
  isolates = 1,
  /** The isolates `[server] workers` asks for, when the open-file limit leaves fewer. */
  wanted = isolates,
): CheckResult {
  const name = "open files";
  if (!limit) {
    return {
      name,
      status: "warn",
      detail: `limit unknown (run with --allow-ffi); serve caps connections at ${
        maxConnections ?? derive(null).total
      }${isolates > 1 ? ` across ${isolates} isolates` : ""}`,
      fix: "set server.max_connections to what the host allows",
    };
  }
  // One budget for the whole process, counted across its isolates (as serve counts it).
  const { total: defaultTotal, carried } = derive(limit.hard);
  const allowed = carried ?? defaultTotal;
  const total = maxConnections ?? defaultTotal;
  const detail = `soft ${limit.soft}, hard ${limit.hard}; serve raises soft to ${limit.hard} ` +
    `and takes up to ${total} client connection${total === 1 ? "" : "s"}${
      isolates > 1 ? ` across ${isolates} serving isolates (server.workers, counted together)` : ""
    }${maxConnections ? " (server.max_connections)" : ""}${
      isolates < wanted
        ? `; ${isolates} of ${wanted} isolates: the limit leaves fewer than 16 connections each ` +
          "for more"
        : ""
    }`;
  if (maxConnections && maxConnections > allowed) {
    return {
      name,
      status: "warn",
      detail,
      fix: `server.max_connections ${maxConnections} is more than ${limit.hard} descriptors ` +
        `carry (${allowed}${isolates > 1 ? ` with ${isolates} isolates` : ""}): past it new ` +
        "connections wait on EMFILE instead of a 503; lower it or raise the limit " +
        "(LimitNOFILE= in systemd, ulimit -n)",
    };
  }
  if (limit.hard < 1024) {
    return {
      name,
      status: "warn",
      detail,
      fix: "raise the hard limit: LimitNOFILE=65536 in the systemd unit, " +
        "--ulimit nofile=65536 for docker, or ulimit -Hn",
    };
  }
  return ok(name, detail);
}

/**
 * (9) `securix rules lint` in one line: errors (a rule that can never apply
 * as written) fail, warnings (a rule with no or partial effect) warn.
 */
export function rulesCheck(
  findings: readonly { level: "error" | "warning"; rule: string; message: string }[],
  counts: { rules: number; scopes: number },
): CheckResult {
  const name = "rules";
  const size = `${counts.rules} rule${counts.rules === 1 ? "" : "s"}, ${counts.scopes} scope${
    counts.scopes === 1 ? "" : "s"
  }`;
  if (findings.length === 0) {
    return ok(
      name,
      counts.rules + counts.scopes === 0
        ? "none (calls are forwarded as they come)"
        : `${size}, no problems`,
    );
  }
  const errors = findings.filter((f) => f.level === "error");
  const first = [...errors, ...findings.filter((f) => f.level === "warning")].slice(0, 2)
    .map((f) => `${f.rule}: ${f.message}`).join("; ");
  const more = findings.length > 2 ? `; and ${findings.length - 2} more` : "";
  return {
    name,
    status: errors.length > 0 ? "fail" : "warn",
    detail: `${size}: ${errors.length} error${errors.length === 1 ? "" : "s"}, ${
      findings.length - errors.length
    } warning${findings.length - errors.length === 1 ? "" : "s"} (${first}${more})`,
    fix:
      "securix rules lint lists them all; fix the named rules in securix.toml, then securix rules reload",
  };
}

/** One line per check (`ok`, `warn`, `fail`, `skip`), a fix line under problems, a summary. */
export function formatChecks(results: CheckResult[]): string[] {
  const width = Math.max(...results.map((r) => r.name.length));
  const lines: string[] = [];
  for (const r of results) {
    lines.push(`${r.status.padEnd(4)}  ${r.name.padEnd(width)}  ${r.detail}`);
    if (r.fix) lines.push(`${" ".repeat(6 + width)}  fix: ${r.fix}`);
  }
  const count = (s: CheckStatus) => results.filter((r) => r.status === s).length;
  lines.push(
    "",
    `${count("ok")} ok, ${count("warn")} warn, ${count("fail")} fail, ${count("skip")} skipped`,
  );
  return lines;
}
