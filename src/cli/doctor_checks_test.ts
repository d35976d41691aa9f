import assert from "node:assert/strict";
import { SecurixError } from "../errors/securix_error.ts";
import {
  type CheckResult,
  configCheck,
  databaseCheck,
  formatChecks,
  type KeyFacts,
  masterKeyCheck,
  migrationsCheck,
  oauthCallbackCheck,
  openFilesCheck,
  publicUrlCheck,
  type ResolveDns,
  rulesCheck,
  schemaCheck,
  wildcardDnsCheck,
} from "./doctor_checks.ts";
import { indexStatement } from "../db/schema_check.ts";

const KEY = "0f".repeat(32);
const FILE_KEY: KeyFacts = {
  ref: "file:securix-data/master.key",
  path: "/srv/securix-data/master.key",
  value: KEY,
  readError: null,
  mode: 0o100600,
  fresh: false,
};

function status(result: CheckResult): string {
  return result.status;
}

Deno.test("doctor: config shows its source, or says embedded defaults, or fails with a fix", () => {
  assert.deepEqual(configCheck("/srv/securix.toml", null), {
    name: "config",
    status: "ok",
    detail: "/srv/securix.toml",
    fix: null,
  });
  assert.match(configCheck(null, null).detail, /^embedded defaults/);
  const failed = configCheck("/srv/securix.toml", new Error("Cannot load securix.toml: x"));
  assert.equal(failed.status, "fail");
  assert.equal(failed.detail, "Cannot load securix.toml: x");
  assert.ok(failed.fix);
});

Deno.test("doctor: master key must be readable 64 hex; a loose file mode warns", () => {
  assert.equal(status(masterKeyCheck(FILE_KEY)), "ok");
  assert.equal(masterKeyCheck(FILE_KEY).detail, "/srv/securix-data/master.key (mode 0600)");
  const loose = masterKeyCheck({ ...FILE_KEY, mode: 0o100644 });
  assert.equal(loose.status, "warn");
  assert.match(loose.detail, /mode 0644/);
  assert.equal(loose.fix, "chmod 600 /srv/securix-data/master.key");
  const short = masterKeyCheck({ ...FILE_KEY, value: "abc" });
  assert.equal(short.status, "fail");
  assert.match(short.detail, /3 characters/);
  const missing = masterKeyCheck({ ...FILE_KEY, value: null, readError: "gone", mode: null });
  assert.equal(missing.status, "fail");
  assert.equal(missing.detail, "gone");
  assert.match(missing.fix!, /backup/);
  assert.match(missing.fix!, /securix restore BACKUP --force --passphrase-file FILE/);
  assert.doesNotMatch(missing.fix!, /securix init/, "init refuses where a securix.toml exists");
  const notYet = masterKeyCheck({ ...FILE_KEY, value: null, mode: null, fresh: true });
  assert.equal(notYet.status, "warn");
  assert.equal(
    notYet.fix,
    "securix serve creates it on first start (there is no database yet either)",
  );
  const literal = masterKeyCheck({ ...FILE_KEY, ref: KEY, path: null });
  assert.equal(literal.status, "fail");
  assert.match(literal.fix!, /never the key itself/);
});

Deno.test("doctor: master key from the environment", () => {
  const env: KeyFacts = { ...FILE_KEY, ref: "env:SX_KEY", path: null, mode: null };
  assert.deepEqual(masterKeyCheck(env), {
    name: "master key",
    status: "ok",
    detail: "from $SX_KEY",
    fix: null,
  });
  const unset = masterKeyCheck({
    ...env,
    value: null,
    readError: "environment variable SX_KEY is not set",
  });
  assert.equal(unset.status, "fail");
  assert.match(unset.fix!, /set SX_KEY/);
});

Deno.test("doctor: database open errors map to fixes; a missing file only warns", () => {
  const target = { url: "file:/srv/db", filePath: "/srv/db", fileExists: true };
  assert.equal(status(databaseCheck(target, null)), "ok");
  const mismatch = databaseCheck(
    target,
    new SecurixError("SX-MASTER-KEY-MISMATCH", "Cannot open file:/srv/db: the master key ..."),
  );
  assert.equal(mismatch.status, "fail");
  assert.match(mismatch.detail, /does not decrypt \/srv\/db/);
  assert.match(mismatch.fix!, /master key this database was created with/);
  const other = databaseCheck(
    { url: "libsql://db.example.com", filePath: null, fileExists: true },
    new Error("connection refused"),
  );
  assert.equal(other.status, "fail");
  assert.match(other.fix!, /libSQL server is reachable/);
  assert.equal(status(databaseCheck({ ...target, fileExists: false }, null)), "warn");
});

Deno.test("doctor: migrations pending fail with securix migrate; unknown ones fail too", () => {
  const known = ["0000_a", "0001_b"];
  assert.equal(status(migrationsCheck(known, known)), "ok");
  const pending = migrationsCheck(["0000_a"], known);
  assert.equal(pending.status, "fail");
  assert.match(pending.detail, /0001_b/);
  assert.match(pending.fix!, /securix migrate/);
  const newer = migrationsCheck([...known, "0002_c"], known);
  assert.equal(newer.status, "fail");
  assert.match(newer.detail, /does not know: 0002_c/);
});

Deno.test("doctor: a migration edited or renamed since applied fails with SX-MIGRATION-CHANGED", () => {
  const known = ["0000_a", "0001_b", "0002_c"];
  const edited = migrationsCheck(known, known, {
    renamed: [],
    changed: [{ name: "0001_b", recorded: "a".repeat(64), expected: "b".repeat(64) }],
  });
  assert.equal(edited.status, "fail");
  assert.equal(edited.detail, "SX-MIGRATION-CHANGED: 0001_b applied from a different text");
  assert.match(edited.fix!, /migrations were edited/);
  assert.match(edited.fix!, /securix restore/);
  const renamed = migrationsCheck(["0000_a", "0003_b", "0002_c"], known, {
    renamed: [{ applied: "0003_b", known: "0001_b" }],
    changed: [],
  });
  assert.equal(renamed.status, "fail");
  assert.equal(renamed.detail, "SX-MIGRATION-CHANGED: 0001_b applied as 0003_b");
  // A newer database is named first: its fix is another version.
  const both = migrationsCheck([...known, "0009_z"], known, {
    renamed: [],
    changed: [{ name: "0001_b", recorded: "a", expected: "b" }],
  });
  assert.match(both.detail, /does not know: 0009_z$/);
});

function resolver(answers: Record<string, string[] | Error | "hang">): {
  resolve: ResolveDns;
  asked: string[];
} {
  const asked: string[] = [];
  const resolve: ResolveDns = (name, type, signal) => {
    asked.push(`${type} ${name}`);
    const answer = answers[type];
    if (answer === "hang") {
      return new Promise((_, reject) =>
        signal.addEventListener("abort", () => reject(signal.reason))
      );
    }
    if (answer instanceof Error) return Promise.reject(answer);
    return Promise.resolve(answer ?? []);
  };
  return { resolve, asked };
}

const notFound = () => Object.assign(new Error("no records found"), { name: "NotFound" });

Deno.test("doctor: wildcard DNS resolves a probe name, A then AAAA", async () => {
  const a = resolver({ A: ["203.0.113.7"] });
  const found = await wildcardDnsCheck("example.com", a.resolve);
  assert.equal(found.status, "ok");
  assert.equal(found.detail, "doctor-check.api.example.com → 203.0.113.7");
  assert.deepEqual(a.asked, ["A doctor-check.api.example.com"]);
  const v6 = resolver({ A: notFound(), AAAA: ["2001:db8::1"] });
  assert.equal(status(await wildcardDnsCheck("example.com", v6.resolve)), "ok");
  const none = resolver({ A: notFound(), AAAA: notFound() });
  const missing = await wildcardDnsCheck("example.com", none.resolve);
  assert.equal(missing.status, "fail");
  assert.match(missing.fix!, /\*\.api\.example\.com CNAME/);
});

Deno.test("doctor: wildcard DNS is ok for localhost and only warns without a network", async () => {
  const never = resolver({});
  const local = await wildcardDnsCheck("localhost", never.resolve);
  assert.equal(local.status, "ok");
  assert.match(local.detail, /\*\.localhost to loopback/);
  assert.deepEqual(never.asked, []);
  const started = Date.now();
  const hung = await wildcardDnsCheck("example.com", resolver({ A: "hang" }).resolve, 50);
  assert.ok(Date.now() - started < 2_000, "bounded by the timeout");
  assert.equal(hung.status, "warn");
  assert.match(hung.detail, /no answer within 50 ms/);
  const offline = await wildcardDnsCheck(
    "example.com",
    resolver({ A: new Error("network unreachable") }).resolve,
  );
  assert.equal(offline.status, "warn");
  assert.match(offline.fix!, /dig \+short doctor-check\.api\.example\.com/);
});

Deno.test("doctor: public URL must be https unless local; trust_proxy behind a proxy", () => {
  const check = (publicUrl: string, listen = "127.0.0.1:8080", trustProxy = true) =>
    publicUrlCheck({ publicUrl, listen, trustProxy });
  assert.equal(status(check("http://localhost:8080")), "ok");
  assert.equal(status(check("http://127.0.0.1:8080")), "ok");
  assert.equal(status(check("https://securix.example.com")), "ok");
  assert.equal(status(check("http://securix.example.com")), "fail");
  assert.equal(status(check("https://securix.example.com", "127.0.0.1:8080", false)), "warn");
  assert.equal(status(check("https://securix.example.com", "0.0.0.0:443", false)), "ok");
});

Deno.test("doctor: the OAuth callback to register is printed, and lines are formatted", () => {
  const callback = oauthCallbackCheck("https://securix.example.com");
  assert.match(callback.detail, /https:\/\/securix\.example\.com\/oauth\/callback$/);
  const lines = formatChecks([
    callback,
    { name: "database", status: "fail", detail: "broken", fix: "repair it" },
  ]);
  assert.ok(lines[0].startsWith("ok    OAuth callback  register"), lines[0]);
  assert.equal(lines[1], "fail  database        broken");
  assert.equal(lines[2], "                      fix: repair it");
  assert.equal(lines.at(-1), "1 ok, 0 warn, 1 fail, 0 skipped");
});

Deno.test("doctor: the open-file limit and the connection cap it gives serve", () => {
  const one = (n: number | null) => n === null ? 256 : Math.floor((n - 128) / 2);
  const derive = (n: number | null) => ({ total: one(n), carried: n === null ? null : one(n) });
  const good = openFilesCheck({ soft: 1024, hard: 65536 }, undefined, derive);
  assert.equal(good.status, "ok");
  assert.equal(
    good.detail,
    "soft 1024, hard 65536; serve raises soft to 65536 and takes up to 32704 client connections",
  );
  const shared = openFilesCheck({ soft: 1024, hard: 65536 }, undefined, derive, 2);
  assert.match(
    shared.detail,
    /up to 32704 client connections across 2 serving isolates \(server\.workers, counted together\)/,
  );
  const low = openFilesCheck({ soft: 256, hard: 256 }, undefined, derive);
  assert.equal(low.status, "warn");
  assert.match(low.fix!, /LimitNOFILE=65536/);
  const tooHigh = openFilesCheck({ soft: 1024, hard: 4096 }, 10_000, derive);
  assert.equal(tooHigh.status, "warn");
  assert.match(tooHigh.detail, /up to 10000 client connections \(server\.max_connections\)/);
  assert.match(tooHigh.fix!, /EMFILE/);
  assert.equal(openFilesCheck(null, undefined, derive).status, "warn");
  // A limit too small for every core: serve runs fewer isolates, and doctor says why.
  const fewer = openFilesCheck(
    { soft: 1024, hard: 1024 },
    undefined,
    () => ({ total: 224, carried: 240 }),
    14,
    64,
  );
  assert.match(
    fewer.detail,
    /up to 224 client connections across 14 serving isolates .*; 14 of 64 isolates: the limit leaves fewer than 16 connections each for more$/,
  );
});

Deno.test("doctor: a configured cap is the process's total, counted across the isolates", () => {
  const carried = (n: number | null) => n === null ? 256 : Math.floor((n - 128) / 2);
  const perIsolate = (n: number | null) => ({ total: carried(n), carried: carried(n) });
  // 4096 descriptors carry 1984 connections, 496 per isolate of 4.
  const fits = openFilesCheck({ soft: 1024, hard: 4096 }, 1_600, perIsolate, 4);
  assert.equal(fits.status, "ok", fits.fix ?? "");
  assert.equal(
    fits.detail,
    "soft 1024, hard 4096; serve raises soft to 4096 and takes up to 1600 client connections " +
      "across 4 serving isolates (server.workers, counted together) (server.max_connections)",
  );
  // Fewer connections than isolates: every isolate still serves, sharing the two.
  assert.match(
    openFilesCheck({ soft: 1024, hard: 4096 }, 2, perIsolate, 4).detail,
    /up to 2 client connections across 4 serving isolates/,
  );
  const tooHigh = openFilesCheck({ soft: 1024, hard: 4096 }, 4_000, perIsolate, 4);
  assert.equal(tooHigh.status, "warn");
  assert.equal(
    tooHigh.fix,
    "server.max_connections 4000 is more than 4096 descriptors carry (1984 with 4 isolates): " +
      "past it new connections wait on EMFILE instead of a 503; lower it or raise the limit " +
      "(LimitNOFILE= in systemd, ulimit -n)",
  );
});

Deno.test("doctor: the rules lint is one line; errors fail, warnings warn, first findings shown", () => {
  assert.deepEqual(rulesCheck([], { rules: 0, scopes: 0 }), {
    name: "rules",
    status: "ok",
    detail: "none (calls are forwarded as they come)",
    fix: null,
  });
  assert.equal(rulesCheck([], { rules: 2, scopes: 1 }).detail, "2 rules, 1 scope, no problems");
  const warning = { level: "warning" as const, rule: "off", message: "enabled = false" };
  const error = { level: "error" as const, rule: "typo", message: "matches no known operation" };
  const warned = rulesCheck([warning], { rules: 1, scopes: 0 });
  assert.equal(warned.status, "warn");
  assert.equal(warned.detail, "1 rule, 0 scopes: 0 errors, 1 warning (off: enabled = false)");
  const failed = rulesCheck([warning, warning, error], { rules: 3, scopes: 0 });
  assert.equal(failed.status, "fail");
  assert.equal(
    failed.detail,
    "3 rules, 0 scopes: 1 error, 2 warnings (typo: matches no known operation; " +
      "off: enabled = false; and 1 more)",
  );
  assert.match(failed.fix ?? "", /securix rules lint/);
});

Deno.test("doctor: the schema check shows the first differences and says what to do", () => {
  const none = { backupDir: null, indexStatement: () => null };
  assert.deepEqual(schemaCheck([], none), {
    name: "schema",
    status: "ok",
    detail: "as this version's migrations build it",
    fix: null,
  });
  const many = schemaCheck(["a", "b", "c", "d", "e"], none);
  assert.equal(many.status, "fail");
  assert.equal(
    many.detail,
    "5 differences from the schema this version expects: a; b; c; and 2 more " +
      "(securix doctor --json lists them all)",
  );
  assert.equal(
    many.fix,
    "the database was changed outside securix's migrations (by hand or by another tool): " +
      "stop securix serve and restore the newest backup from before the change " +
      "(securix restore FILE --force)",
  );
  const index = schemaCheck(
    [
      "apps: index apps_name_unique declared in the schema, missing from the database",
      "audit_log: index audit_log_until_idx declared in the schema, missing from the database",
    ],
    { backupDir: "/var/lib/securix/backups", indexStatement },
  );
  assert.match(index.fix!, /backups are in \/var\/lib\/securix\/backups\)/);
  assert.match(
    index.fix!,
    /put the dropped indexes back: CREATE UNIQUE INDEX `apps_name_unique` ON `apps` \(`name`\); \(migrations\/0000_init\.sql\) CREATE INDEX `audit_log_until_idx` ON `audit_log` \(coalesce\("last_at", "at"\)\); \(migrations\/0005_audit_until_index\.sql\)$/,
  );
  assert.equal(indexStatement("no_such_idx"), null);
});
