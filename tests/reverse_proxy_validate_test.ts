/**
 * The reverse-proxy configs exactly as `securix init` prints them, cut out of
 * its output and checked by the real tools: `nginx -t` and `caddy validate`
 * (Debian's nginx-light and caddy packages). A self-signed certificate from
 * openssl stands in where a config names certificate files.
 */
import assert from "node:assert/strict";
import { runCliProcess } from "./helpers/process.ts";

async function has(binary: string): Promise<boolean> {
  try {
    const { success } = await new Deno.Command("sh", {
      args: ["-c", `command -v ${binary}`],
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}

const TOOLS = {
  nginx: await has("nginx"),
  caddy: await has("caddy"),
  openssl: await has("openssl"),
};
for (const [tool, found] of Object.entries(TOOLS)) {
  if (!found) {
    console.warn(
      `reverse_proxy_validate_test: ${tool} not found, its checks are skipped (apt-get install ${
        tool === "nginx" ? "nginx-light" : tool
      })`,
    );
  }
}

async function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { ok: out.success, text };
}

/** Runs `init --yes` for `publicUrl` and returns its whole stdout and each printed config by title. */
async function initOutput(
  dir: string,
  publicUrl: string,
): Promise<{ stdout: string; files: Map<string, string> }> {
  const result = await runCliProcess([
    "init",
    "--yes",
    "--public-url",
    publicUrl,
    "--base-domain",
    "securix.example.com",
    "--listen",
    "127.0.0.1:8080",
  ], { cwd: dir });
  assert.equal(result.code, 0, result.stderr);
  const files = new Map<string, string>();
  for (
    const m of result.stdout.matchAll(/^# ---- (.+) ----\n([\s\S]*?)\n# ---- end of \1 ----$/gm)
  ) {
    files.set(m[1], m[2] + "\n");
  }
  return { stdout: result.stdout, files };
}

async function selfSigned(dir: string): Promise<{ cert: string; key: string }> {
  const cert = `${dir}/fullchain.pem`;
  const key = `${dir}/privkey.pem`;
  const made = await run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=securix.example.com",
    "-addext",
    "subjectAltName=DNS:securix.example.com,DNS:*.api.securix.example.com",
    "-keyout",
    key,
    "-out",
    cert,
  ]);
  assert.ok(made.ok, made.text);
  return { cert, key };
}

/** The default certificate paths in a printed config, pointed at the test's certificate. */
function withCert(text: string, cert: { cert: string; key: string }): string {
  return text.replace(/\/etc\/letsencrypt\/live\/[^/\s]+\/fullchain\.pem/g, cert.cert)
    .replace(/\/etc\/letsencrypt\/live\/[^/\s]+\/privkey\.pem/g, cert.key);
}

async function nginxTest(dir: string, snippet: string): Promise<void> {
  const prefix = await Deno.makeTempDir({ dir, prefix: "nginx-" });
  await Deno.writeTextFile(`${prefix}/securix.conf`, snippet);
  const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
    .map((t) => `  ${t}_temp_path ${prefix}/${t};`).join("\n");
  // The printed file is a conf.d snippet: the stock nginx.conf includes it inside http {}.
  await Deno.writeTextFile(
    `${prefix}/nginx.conf`,
    `pid ${prefix}/nginx.pid;\nerror_log ${prefix}/error.log;\nevents {}\nhttp {\n${temp}\n` +
      `  access_log off;\n  include ${prefix}/securix.conf;\n}\n`,
  );
  const result = await run("nginx", [
    "-t",
    "-p",
    `${prefix}/`,
    "-c",
    `${prefix}/nginx.conf`,
    "-e",
    `${prefix}/error.log`,
  ]);
  assert.ok(result.ok, `nginx -t refused the printed config:\n${result.text}\n${snippet}`);
}

async function caddyValidate(dir: string, name: string, caddyfile: string): Promise<void> {
  const file = `${dir}/${name}.Caddyfile`;
  await Deno.writeTextFile(file, caddyfile);
  const result = await run("caddy", ["validate", "--config", file, "--adapter", "caddyfile"], {
    HOME: dir,
    XDG_DATA_HOME: `${dir}/data`,
    XDG_CONFIG_HOME: `${dir}/config`,
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
  });
  assert.ok(result.ok, `caddy validate refused the printed ${name}:\n${result.text}\n${caddyfile}`);
  assert.match(result.text, /Valid configuration/);
}

for (
  const publicUrl of [
    "https://securix.example.com",
    "https://securix.example.com:8443",
    "http://securix.example.com:8081",
  ]
) {
  Deno.test({
    name:
      `init's reverse-proxy configs for ${publicUrl} are plain text that nginx and caddy accept`,
    ignore: !TOOLS.nginx && !TOOLS.caddy,
    async fn() {
      const dir = await Deno.makeTempDir({ prefix: "securix-rproxy-" });
      try {
        const { stdout, files } = await initOutput(dir, publicUrl);
        assert.doesNotMatch(stdout, /[\u2500-\u257f]/, "no box-drawing characters in the output");
        const https = publicUrl.startsWith("https:");
        const titles = [...files.keys()];
        assert.deepEqual(
          titles,
          https
            ? [
              "Caddy, On-Demand TLS (Caddyfile)",
              "Caddy, your own certificate (Caddyfile)",
              "nginx (e.g. /etc/nginx/conf.d/securix.conf)",
            ]
            : ["Caddy (Caddyfile)", "nginx (e.g. /etc/nginx/conf.d/securix.conf)"],
        );
        const port = new URL(publicUrl).port;
        const cert = https && TOOLS.openssl ? await selfSigned(dir) : null;
        for (const [title, text] of files) {
          if (port) assert.ok(text.includes(`:${port}`) || text.includes(`listen ${port}`), title);
          if (title.startsWith("nginx")) {
            if (!TOOLS.nginx || (https && !cert)) continue;
            await nginxTest(dir, cert ? withCert(text, cert) : text);
          } else {
            if (!TOOLS.caddy || (title.includes("own certificate") && !cert)) continue;
            await caddyValidate(
              dir,
              title.replace(/\W+/g, "-"),
              cert ? withCert(text, cert) : text,
            );
          }
        }
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}
