/**
 * A reload (SIGHUP, the console) names a warning of the config load only when
 * the load before it did not: the start prints them all, and every reload
 * after that names what is new, not the same lines again.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../src/config/load.ts";
import { createRuntime } from "../src/http/runtime.ts";
import { openTempAppliance } from "./helpers/temp_appliance.ts";

Deno.test("rules/reload: a warning already given is not repeated by every reload; a new one is", async () => {
  const temp = await openTempAppliance();
  const logged: string[] = [];
  const runtime = await (async () => {
    await Deno.mkdir(`${temp.dir}/rules.d`);
    await Deno.writeTextFile(`${temp.dir}/rules.d/10-extra.toml`, "");
    // What serve's start prints, and hands to the runtime.
    const start = await loadConfig({ path: temp.configPath, env: () => undefined });
    assert.equal(start.warnings.length, 1);
    assert.match(start.warnings[0], /10-extra\.toml is not read/);
    return await createRuntime(temp.appliance, {
      audit: false,
      log: (line) => logged.push(line),
      startWarnings: start.warnings,
    });
  })();
  const reload = async () => {
    logged.length = 0;
    const result = await runtime.reloadRules("test");
    assert.equal(result.ok, true);
    return logged.filter((line) => line.startsWith("Warning:"));
  };
  try {
    assert.deepEqual(await reload(), [], "given at start: not again");
    assert.deepEqual(await reload(), []);

    await Deno.writeTextFile(`${temp.dir}/rules.d/20-more.toml`, "");
    const added = await reload();
    assert.equal(added.length, 1, added.join("\n"));
    assert.match(added[0], /20-more\.toml is not read/);
    assert.deepEqual(await reload(), [], "given at the last reload: not again");

    // Gone at one reload, back at the next: news again.
    await Deno.remove(`${temp.dir}/rules.d/10-extra.toml`);
    assert.deepEqual(await reload(), []);
    await Deno.writeTextFile(`${temp.dir}/rules.d/10-extra.toml`, "");
    const back = await reload();
    assert.equal(back.length, 1, back.join("\n"));
    assert.match(back[0], /10-extra\.toml is not read/);
  } finally {
    await runtime.stop();
    await temp.cleanup();
  }
});
