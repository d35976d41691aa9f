import { dnsRecords, formatDnsRecords } from "./dns_records.ts";
import type { InitAnswers } from "./init_answers.ts";
import {
  caddyOnDemandConfig,
  caddyOwnCertConfig,
  nginxConfig,
  type ProxyTarget,
} from "./reverse_proxy_configs.ts";

/**
 * `securix init`, the plan: validated answers (init_answers.ts) become the
 * securix.toml text and the next steps. No IO here, so the wizard and
 * `--yes` write byte-identical files for the same answers.
 */

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h.endsWith(".localhost") || h === "::1" || /^127\./.test(h);
}

/** trust_proxy: on exactly when a TLS-terminating proxy must be in front. */
export function trustProxyDecision(answers: InitAnswers): { value: boolean; reason: string } {
  const https = answers.publicUrl.startsWith("https:");
  const loopback = isLoopback(answers.listen.slice(0, answers.listen.lastIndexOf(":")));
  if (https && loopback) {
    return {
      value: true,
      reason: "public_url is https while the appliance listens on loopback, so a " +
        "TLS-terminating reverse proxy sits in front and sets them",
    };
  }
  if (https) {
    return {
      value: false,
      reason: "the appliance listens on a non-loopback address where clients could forge " +
        "them; set true only when nothing but the reverse proxy can reach it",
    };
  }
  return {
    value: false,
    reason: "public_url is plain http, so no TLS-terminating proxy is expected",
  };
}

export interface InitPlan {
  /** The securix.toml text. */
  toml: string;
  trustProxy: { value: boolean; reason: string };
  /** Master key file to create when missing (relative to the config dir), or null in env mode. */
  keyFile: string | null;
  /** Embedded database file (relative to the config dir), or null for a server. */
  databaseFile: string | null;
  /** Directories to create (mode 0700) before writing files. */
  dataDirs: string[];
}

function dirOf(path: string): string | null {
  const at = path.lastIndexOf("/");
  return at <= 0 ? null : path.slice(0, at);
}

export function planInit(answers: InitAnswers): InitPlan {
  const trustProxy = trustProxyDecision(answers);
  const keyFile = answers.masterKey.kind === "file" ? answers.masterKey.path : null;
  const databaseFile = answers.database.kind === "file" ? answers.database.path : null;
  const dataDirs = [keyFile, databaseFile].map((p) => (p ? dirOf(p) : null))
    .filter((d): d is string => d !== null);
  return {
    toml: renderToml(answers, trustProxy),
    trustProxy,
    keyFile,
    databaseFile,
    dataDirs: [...new Set(dataDirs)],
  };
}

const q = (value: string) => JSON.stringify(value);

/** Wraps a comment to the 100-column line width. */
function comment(text: string): string {
  const lines: string[] = [];
  let line = "#";
  for (const word of text.split(" ")) {
    if (line.length + word.length + 1 > 92 && line !== "#") {
      lines.push(line);
      line = "#";
    }
    line += " " + word;
  }
  return [...lines, line].join("\n");
}

function renderToml(answers: InitAnswers, trustProxy: { value: boolean; reason: string }): string {
  const { database: db, masterKey } = answers;
  const dbLines = db.kind === "file"
    ? [
      comment("Embedded libSQL file, encrypted with a key derived from the master key."),
      `url = ${q(`file:${db.path}`)}`,
    ]
    : [
      comment("libSQL server (sqld / Turso) shared by every appliance node."),
      `url = ${q(db.url)}`,
      db.authTokenEnv
        ? `auth_token = ${q(`env:${db.authTokenEnv}`)}`
        : '# auth_token = "env:LIBSQL_AUTH_TOKEN"',
    ];
  const keyLines = masterKey.kind === "file"
    ? [
      comment(
        "A file of 64 hex characters, mode 0600. Back it up: the vault and the database " +
          "cannot be opened without it.",
      ),
      `master_key = ${q(`file:${masterKey.path}`)}`,
    ]
    : [
      comment(
        `Read from the environment variable ${masterKey.name} (64 hex characters). ` +
          "Keep it in your secret store: the vault and the database cannot be opened without it.",
      ),
      `master_key = ${q(`env:${masterKey.name}`)}`,
    ];
  return [
    "# Securix appliance configuration, written by `securix init`.",
    comment(
      "Relative paths resolve against this file's directory. Unset keys take their " +
        "documented defaults; SECURIX_<SECTION>_<KEY> environment variables override single keys.",
    ),
    "",
    "# [server]: where the appliance listens and how users, providers and apps reach it.",
    "[server]",
    comment("Address the appliance listens on."),
    `listen = ${q(answers.listen)}`,
    comment("URL users and providers reach the appliance at (consent pages, OAuth callbacks)."),
    `public_url = ${q(answers.publicUrl)}`,
    comment(
      `Proxy hosts are <provider>.api.${answers.baseDomain}, e.g. ` +
        `gmail.api.${answers.baseDomain}.`,
    ),
    `base_domain = ${q(answers.baseDomain)}`,
    comment(
      `Believe X-Forwarded-For/-Host/-Proto from a reverse proxy. ${
        trustProxy.value ? "On" : "Off"
      } because ${trustProxy.reason}.`,
    ),
    `trust_proxy = ${trustProxy.value}`,
    comment("Prometheus metrics listener, separate from the public one."),
    '# metrics_listen = "127.0.0.1:9464"',
    "",
    "# [database]: where apps, connections and the audit log are stored.",
    "[database]",
    ...dbLines,
    "",
    "# [vault]: the master key that encrypts provider tokens; never written into this file.",
    "[vault]",
    ...keyLines,
    "",
    "# [providers.<name>]: the accounts your users connect; none is enabled yet. One from the",
    "# catalog (`securix providers list`) needs the OAuth client you registered there, with",
    `# ${answers.publicUrl}/oauth/callback as its redirect URI, e.g.:`,
    "# [providers.github]",
    '# client_id = "…"',
    '# client_secret = "env:GITHUB_CLIENT_SECRET"',
    "",
  ].join("\n");
}

export interface Section {
  title: string;
  body: string;
  /** A config file: printed as is, without borders, so a copy is the file. */
  file?: boolean;
}

/**
 * The "Next steps" after writing: DNS records, proxy configs, trust_proxy and
 * the commands to run. `configArg` is the --config to repeat when the file is
 * not ./securix.toml of the current directory.
 */
export function nextSteps(
  answers: InitAnswers,
  plan: InitPlan,
  options: { configArg: string | null },
): Section[] {
  const publicHost = new URL(answers.publicUrl).hostname;
  const target: ProxyTarget = {
    publicUrl: answers.publicUrl,
    baseDomain: answers.baseDomain,
    listen: answers.listen,
  };
  const config = options.configArg ? ` --config ${options.configArg}` : "";
  const sections: Section[] = [
    { title: "DNS records", body: formatDnsRecords(dnsRecords(answers)) },
  ];
  if (!isLoopback(publicHost)) {
    const nginx = "nginx (e.g. /etc/nginx/conf.d/securix.conf)";
    if (answers.publicUrl.startsWith("https:")) {
      sections.push(
        {
          title: "Caddy, On-Demand TLS (Caddyfile)",
          body: caddyOnDemandConfig(target).trimEnd(),
          file: true,
        },
        {
          title: "Caddy, your own certificate (Caddyfile)",
          body: caddyOwnCertConfig(target).trimEnd(),
          file: true,
        },
      );
    } else {
      sections.push({
        title: "Caddy (Caddyfile)",
        body: caddyOnDemandConfig(target).trimEnd(),
        file: true,
      });
    }
    sections.push({ title: nginx, body: nginxConfig(target).trimEnd(), file: true });
  }
  sections.push({
    title: "Reverse proxy trust",
    body: plan.trustProxy.value
      ? "securix.toml sets trust_proxy = true, so the appliance believes X-Forwarded-For/-Host/" +
        `-Proto: ${plan.trustProxy.reason}.`
      : `securix.toml sets trust_proxy = false: ${plan.trustProxy.reason}. Behind a reverse ` +
        "proxy that alone can reach the appliance, set trust_proxy = true.",
  });
  sections.push({
    title: "Then",
    body: [
      `securix${config} serve     # start the appliance`,
      `securix${config} doctor    # check config, key, database, migrations and DNS`,
      `OAuth redirect URI to register at providers: ${answers.publicUrl}/oauth/callback`,
      `Enable a provider: add [providers.<name>] to ${
        options.configArg ?? "securix.toml"
      } (securix${config} providers list names them)`,
    ].join("\n"),
  });
  return sections;
}

/**
 * A config as printed: a marker line, the file exactly, a marker line. The
 * markers are comments in both Caddyfile and nginx syntax, so copying them
 * along does no harm.
 */
export function fileBlock(section: Section): string[] {
  return [`# ---- ${section.title} ----`, section.body, `# ---- end of ${section.title} ----`];
}
