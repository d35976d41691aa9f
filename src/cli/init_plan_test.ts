import assert from "node:assert/strict";
import { parse as parseToml } from "smol-toml";
import { resolveConfig } from "../config/load.ts";
import {
  buildAnswers,
  deriveBaseDomain,
  type InitDefaults,
  InitInputError,
} from "./init_answers.ts";
import { nextSteps, planInit, trustProxyDecision } from "./init_plan.ts";

const EMPTY: InitDefaults = {
  publicUrl: "",
  baseDomain: "",
  listen: "",
  database: "",
  databaseAuthTokenEnv: "",
  masterKey: "file",
  masterKeyFile: "",
  masterKeyEnv: "",
  app: "",
  origins: [],
};

const KEY = "ab".repeat(32);

/** smol-toml returns null-prototype objects; compare plain data. */
const plain = (value: unknown) => JSON.parse(JSON.stringify(value));

function answers(overrides: Partial<InitDefaults>) {
  return buildAnswers({ ...EMPTY, ...overrides });
}

function failsOn(overrides: Partial<InitDefaults>, field: string): void {
  assert.throws(
    () => answers(overrides),
    (error: unknown) => error instanceof InitInputError && error.field === field,
    `expected --${field} to be refused for ${JSON.stringify(overrides)}`,
  );
}

Deno.test("init plan: no answers at all give a local install with documented defaults", () => {
  assert.deepEqual(answers({}), {
    publicUrl: "http://localhost:8080",
    baseDomain: "localhost",
    listen: "127.0.0.1:8080",
    database: { kind: "file", path: "securix-data/securix.db" },
    masterKey: { kind: "file", path: "securix-data/master.key" },
    app: null,
    service: false,
  });
  assert.equal(answers({ listen: "127.0.0.1:9000" }).publicUrl, "http://localhost:9000");
  assert.equal(answers({ service: true }).service, true);
});

Deno.test("init plan: base domain derives from the public URL; IPs fall back to localhost", () => {
  assert.equal(deriveBaseDomain("https://securix.example.com"), "securix.example.com");
  assert.equal(deriveBaseDomain("https://10.0.0.5:8443"), "localhost");
  assert.equal(deriveBaseDomain("http://[::1]:8080"), "localhost");
  const a = answers({ publicUrl: "https://Securix.Example.com/" });
  assert.equal(a.publicUrl, "https://securix.example.com");
  assert.equal(a.baseDomain, "securix.example.com");
  assert.equal(
    answers({ publicUrl: "https://a.example.com", baseDomain: "B.dev" }).baseDomain,
    "b.dev",
  );
});

Deno.test("init plan: paths are normalised, server URLs and key locations parsed", () => {
  const a = answers({
    database: "file:./data/db.sqlite",
    masterKeyFile: "./keys/master.key",
    app: "demo",
    origins: ["https://app.example.com/"],
  });
  assert.deepEqual(a.database, { kind: "file", path: "data/db.sqlite" });
  assert.deepEqual(a.masterKey, { kind: "file", path: "keys/master.key" });
  assert.deepEqual(a.app, { name: "demo", origins: ["https://app.example.com"] });
  assert.deepEqual(answers({ database: "file:///srv/securix.db" }).database, {
    kind: "file",
    path: "/srv/securix.db",
  });
  assert.deepEqual(
    answers({ database: "libsql://db.example.com", databaseAuthTokenEnv: "DB_TOKEN" }).database,
    { kind: "server", url: "libsql://db.example.com", authTokenEnv: "DB_TOKEN" },
  );
  assert.deepEqual(answers({ masterKey: "env" }).masterKey, {
    kind: "env",
    name: "SECURIX_MASTER_KEY",
  });
});

Deno.test("init plan: bad values are refused naming the flag", () => {
  failsOn({ publicUrl: "securix.example.com" }, "public-url");
  failsOn({ publicUrl: "ftp://securix.example.com" }, "public-url");
  failsOn({ publicUrl: "https://securix.example.com/app" }, "public-url");
  failsOn({ baseDomain: "under_score.example.com" }, "base-domain");
  failsOn({ listen: "8080" }, "listen");
  failsOn({ listen: "127.0.0.1:70000" }, "listen");
  failsOn({ database: "securix.db" }, "database");
  failsOn(
    { database: "libsql://db.example.com", databaseAuthTokenEnv: "1TOKEN" },
    "database-auth-token-env",
  );
  failsOn({ masterKey: "env", masterKeyEnv: "MY-KEY" }, "master-key-env");
  failsOn({ app: "bad name" }, "app");
  failsOn({ app: "demo", origins: ["https://app.example.com/path"] }, "origin");
  failsOn({ origins: ["https://app.example.com"] }, "origin");
});

Deno.test("init plan: trust_proxy is on only for https behind a loopback listener", () => {
  const decide = (publicUrl: string, listen: string) =>
    trustProxyDecision(answers({ publicUrl, listen })).value;
  assert.equal(decide("https://securix.example.com", "127.0.0.1:8080"), true);
  assert.equal(decide("https://securix.example.com", "[::1]:8080"), true);
  assert.equal(decide("https://securix.example.com", "0.0.0.0:8080"), false);
  assert.equal(decide("http://localhost:8080", "127.0.0.1:8080"), false);
});

Deno.test("init plan: the TOML is commented, within 100 columns, and loads as a config", async () => {
  const a = answers({ publicUrl: "https://securix.example.com", masterKey: "env" });
  const plan = planInit(a);
  const lines = plan.toml.split("\n");
  assert.ok(lines.every((line) => line.length <= 100), "line width");
  for (const section of ["[server]", "[database]", "[vault]"]) {
    const at = lines.indexOf(section);
    assert.ok(at > 0, `${section} present`);
    assert.match(lines[at - 1], /^# /, `${section} has a comment`);
  }
  assert.deepEqual(plain(parseToml(plan.toml)), {
    server: {
      listen: "127.0.0.1:8080",
      public_url: "https://securix.example.com",
      base_domain: "securix.example.com",
      trust_proxy: true,
    },
    database: { url: "file:securix-data/securix.db" },
    vault: { master_key: "env:SECURIX_MASTER_KEY" },
  });
  const config = await resolveConfig(parseToml(plan.toml) as Record<string, unknown>, {
    source: "/srv/securix/securix.toml",
    baseDir: "/srv/securix",
    env: (name) => (name === "SECURIX_MASTER_KEY" ? KEY : undefined),
  });
  assert.equal(config.database.filePath, "/srv/securix/securix-data/securix.db");
  assert.equal(config.server.publicUrl, "https://securix.example.com");
  assert.equal(config.server.trust_proxy, true);
  assert.equal(/[0-9a-f]{64}/.test(plan.toml), false, "no key material in the file");
});

Deno.test("init plan: files and directories to create follow the answers", () => {
  const filePlan = planInit(answers({ masterKeyFile: "keys/master.key" }));
  assert.equal(filePlan.keyFile, "keys/master.key");
  assert.equal(filePlan.databaseFile, "securix-data/securix.db");
  assert.deepEqual(filePlan.dataDirs, ["keys", "securix-data"]);
  assert.match(filePlan.toml, /^master_key = "file:keys\/master\.key"$/m);
  const serverPlan = planInit(
    answers({
      database: "libsql://db.example.com",
      databaseAuthTokenEnv: "DB_TOKEN",
      masterKey: "env",
    }),
  );
  assert.equal(serverPlan.keyFile, null);
  assert.equal(serverPlan.databaseFile, null);
  assert.deepEqual(serverPlan.dataDirs, []);
  assert.deepEqual(plain(parseToml(serverPlan.toml).database), {
    url: "libsql://db.example.com",
    auth_token: "env:DB_TOKEN",
  });
});

Deno.test("init plan: next steps carry DNS, proxy configs, trust_proxy and the commands", () => {
  const a = answers({ publicUrl: "https://securix.example.com" });
  const sections = nextSteps(a, planInit(a), { configArg: "/etc/securix/securix.toml" });
  const titles = sections.map((s) => s.title);
  assert.deepEqual(titles, [
    "DNS records",
    "Caddy, On-Demand TLS (Caddyfile)",
    "Caddy, your own certificate (Caddyfile)",
    "nginx (e.g. /etc/nginx/conf.d/securix.conf)",
    "Reverse proxy trust",
    "Then",
  ]);
  assert.deepEqual(sections.map((s) => s.file === true), [false, true, true, true, false, false]);
  assert.match(sections[0].body, /\*\.api\.securix\.example\.com\./);
  assert.match(sections[4].body, /trust_proxy = true/);
  assert.match(sections[5].body, /securix --config \/etc\/securix\/securix\.toml serve/);
  assert.match(sections[5].body, /securix --config \/etc\/securix\/securix\.toml doctor/);
  assert.match(sections[5].body, /https:\/\/securix\.example\.com\/oauth\/callback/);
  assert.match(
    sections[5].body,
    /Enable a provider: add \[providers\.<name>\] to \/etc\/securix\/securix\.toml \(securix --config \/etc\/securix\/securix\.toml providers list names them\)/,
  );
  const { toml } = planInit(a);
  assert.match(
    toml,
    /\n# \[providers\.github\]\n# client_id = "…"\n# client_secret = "env:GITHUB_CLIENT_SECRET"\n/,
  );
  assert.match(toml, /https:\/\/securix\.example\.com\/oauth\/callback as its redirect URI/);
  assert.equal(plain(parseToml(toml)).providers, undefined, "commented out: none enabled");
  const local = answers({});
  const localTitles = nextSteps(local, planInit(local), { configArg: null }).map((s) => s.title);
  assert.deepEqual(localTitles, ["DNS records", "Reverse proxy trust", "Then"]);
});
