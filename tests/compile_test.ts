import assert from "node:assert/strict";
import { ASSET_URLS, CONSENT_BINDING_JS } from "../web/assets.ts";
import { REPO, startServeProcess } from "./helpers/process.ts";

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
