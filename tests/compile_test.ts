import assert from "node:assert/strict";
import { ASSET_URLS, CONSENT_BINDING_JS } from "../web/assets.ts";
import { CLIENT_JS } from "../src/sdk/browser/client_asset.ts";
import { SDK_JS } from "../src/sdk/sdk_asset.ts";
import { MIGRATIONS } from "../src/db/migrations.ts";
import {
  compileTaskFlags,
  DENO_JSON,
  freePort,
  MAIN,
  REPO,
  startServeProcess,
} from "./helpers/process.ts";

/**
 * Builds the real binary with `deno task compile` and runs it. `deno compile`
 * downloads its denort base unless DENORT_BIN names a local one, so this test
 * runs only where DENORT_BIN is set, or where SECURIX_BINARY names a binary
 * already built (the release workflow tests the one it ships).
 */
const denort = Deno.env.get("DENORT_BIN");
const prebuilt = Deno.env.get("SECURIX_BINARY");
if (!denort && !prebuilt) {
  console.log(
    "compile_test: skipped — set DENORT_BIN to a denort 2.9.6 binary to build and run dist/securix" +
      " (or SECURIX_BINARY to a built one)",
  );
}

async function build(output: string): Promise<void> {
  const tasks = JSON.parse(await Deno.readTextFile(`${REPO}deno.json`)).tasks;
  const args = (tasks.compile as string).split(/\s+/).slice(1)
    .map((a) => a === "dist/securix" ? output : a);
  const build = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: REPO,
    env: { DENORT_BIN: denort! },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(build.code, 0, new TextDecoder().decode(build.stderr));
}

Deno.test({
  name: "compile: the binary serves /healthz and carries its migrations",
  ignore: !denort && !prebuilt,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "securix-compile-" });
    try {
      const output = prebuilt ?? `${dir}/securix`;
      if (!prebuilt) await build(output);
      // Run from an empty directory: nothing of the source tree is reachable.
      const work = `${dir}/run`;
      await Deno.mkdir(work);
      const server = await startServeProcess({ cwd: work, command: [output, "serve"] });
      try {
        assert.equal((await fetch(`${server.baseUrl}/healthz`)).status, 200);
        const ready = await fetch(`${server.baseUrl}/readyz`);
        assert.equal(ready.status, 200, await ready.text());
        // Page scripts come through the module graph, so the binary carries them.
        const script = await fetch(`${server.baseUrl}${ASSET_URLS.consentBindingJs}`);
        assert.equal(script.status, 200);
        assert.equal(await script.text(), CONSENT_BINDING_JS);
        // The audit and security threads' entry points are in the binary (deno.json's
        // --include): neither fell back to the serving thread.
        assert.doesNotMatch(server.output(), /on the serving thread/);
      } finally {
        await server.stop();
      }
      const created = await new Deno.Command(output, {
        args: ["apps", "create", "demo", "--json"],
        cwd: work,
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(created.code, 0, new TextDecoder().decode(created.stderr));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("compile task: --include names every worker entry point under src/", async () => {
  const { includes } = await compileTaskFlags();
  const workers = new Set<string>();
  for await (const file of walkTs(`${REPO}src`)) {
    const text = await Deno.readTextFile(file);
    if (!text.includes("new Worker(")) continue;
    for (const m of text.matchAll(/new URL\("(\.{1,2}\/[^"]+\.ts)", import\.meta\.url\)/g)) {
      const url = new URL(m[1], `file://${file}`);
      workers.add(url.pathname.slice(REPO.length));
    }
  }
  assert.ok(workers.size >= 3, [...workers].join(", "));
  assert.deepEqual([...includes].sort(), [...workers].sort());
});

async function* walkTs(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* walkTs(path);
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) yield path;
  }
}

/**
 * What an operator does with the binary, run with `deno run` and exactly the runtime flags
 * `deno task compile` bakes in (read from deno.json, so they cannot drift apart): no
 * --allow-run, no --allow-all. `--no-prompt` turns a missing permission into an error here
 * instead of a prompt; the binary has no prompt to answer either.
 */
Deno.test("compile task flags: serve, the SDK and console pages, reload, backup, restore guard, doctor", async () => {
  const { runtime } = await compileTaskFlags();
  assert.ok(!runtime.includes("--allow-all") && !runtime.includes("-A"));
  const flags = ["--no-prompt", ...runtime];
  const dir = await Deno.makeTempDir({ prefix: "securix-compile-flags-" });
  const adminPort = freePort();
  const metricsPort = freePort();
  const env = {
    SECURIX_SERVER_ADMIN_LISTEN: `127.0.0.1:${adminPort}`,
    SECURIX_SERVER_METRICS_LISTEN: `127.0.0.1:${metricsPort}`,
  };
  const cli = async (...args: string[]) => await cliWith({}, ...args);
  const cliWith = async (extra: Record<string, string>, ...args: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...flags, "--config", DENO_JSON, MAIN, ...args],
      cwd: dir,
      env: { NO_COLOR: "1", ...extra },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = (b: Uint8Array) => new TextDecoder().decode(b);
    const result = { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
    assert.doesNotMatch(
      result.stdout + result.stderr,
      DENIED,
      `${args.join(" ")}: ${result.stderr}`,
    );
    return result;
  };
  try {
    const server = await startServeProcess({ cwd: dir, flags, env });
    try {
      const get = async (url: string) => {
        const res = await fetch(url, { redirect: "manual" });
        return { status: res.status, text: await res.text(), headers: res.headers };
      };
      assert.equal((await get(`${server.baseUrl}/healthz`)).status, 200);
      assert.equal((await get(`${server.baseUrl}/readyz`)).status, 200);
      const client = await get(`${server.baseUrl}/sdk/client.js`);
      assert.equal(client.status, 200);
      assert.equal(client.text, CLIENT_JS);
      const sdk = await get(`${server.baseUrl}/sdk/securix.js`);
      assert.equal(sdk.status, 200);
      assert.equal(sdk.text, SDK_JS);
      // The console sends a visitor without a session on to its sign-in page.
      const signIn = await fetch(`http://127.0.0.1:${adminPort}/`);
      assert.equal(signIn.status, 200);
      assert.match(signIn.url, /\/console\/sign-in/);
      assert.match(await signIn.text(), /<form/);
      const metrics = await get(`http://127.0.0.1:${metricsPort}/metrics`);
      assert.equal(metrics.status, 200);

      const pid = await Deno.readTextFile(`${dir}/securix-data/securix.pid`);
      assert.equal(pid.trim(), String(server.pid));
      const reload = await cli("rules", "reload");
      assert.equal(reload.code, 0, reload.stderr);
      assert.match(
        reload.stdout,
        new RegExp(`Sent SIGHUP to securix serve \\(pid ${server.pid}\\)`),
      );
      const deadline = Date.now() + 10_000;
      while (!/Reloaded\. Rules:/.test(server.output()) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.match(server.output(), /Reloaded\. Rules:/);

      const created = await cli("apps", "create", "demo", "--json");
      assert.equal(created.code, 0, created.stderr);
      const backup = await cli("backup", "b.sxbak");
      assert.equal(backup.code, 0, backup.stderr);
      assert.ok((await Deno.stat(`${dir}/b.sxbak`)).size > 0);
      const restore = await cli("restore", "b.sxbak", "--force");
      assert.equal(restore.code, 1);
      assert.match(restore.stderr, new RegExp(`SX-BACKUP-SERVE-RUNNING.*pid ${server.pid}`));
      const doctor = await cli("doctor");
      assert.equal(doctor.code, 0, doctor.stdout + doctor.stderr);
      assert.match(doctor.stdout, / 0 fail/);
      const version = await cli("version");
      assert.equal(version.code, 0, version.stderr);
      assert.match(version.stdout, new RegExp(`schema ${MIGRATIONS.at(-1)!.name}`));

      // The image's HEALTHCHECK: an every-interface listen address is asked on loopback.
      const listen = { SECURIX_SERVER_LISTEN: `0.0.0.0:${server.port}` };
      const healthy = await cliWith(listen, "healthcheck");
      assert.equal(healthy.code, 0, healthy.stderr);

      assert.doesNotMatch(server.output(), DENIED);
      assert.doesNotMatch(server.output(), /on the serving thread/);
      assert.doesNotMatch(server.output(), /Pid file not written/);
    } finally {
      assert.equal(await server.stop(), 0, server.output());
    }
    const down = await cliWith(
      { SECURIX_SERVER_LISTEN: `127.0.0.1:${server.port}` },
      "healthcheck",
    );
    assert.equal(down.code, 1);
    assert.match(down.stderr, /unhealthy: http:\/\/127\.0\.0\.1:\d+\/healthz/);
    // A clean stop takes the pid file away.
    await assert.rejects(Deno.stat(`${dir}/securix-data/securix.pid`), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** What Deno says when a permission is missing (or would be asked for). */
const DENIED = /NotCapable|Requires \w+ access|run again with the --allow-|PermissionDenied/;
