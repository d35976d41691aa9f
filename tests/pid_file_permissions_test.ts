/**
 * `rules reload` and restore's "serve is running" guard under the permissions
 * the task and the binary have (no --allow-run, no --allow-all): Deno.kill
 * and a read of /proc/<pid>/ are not allowed there, and before the fix the
 * reload failed and the guard saw no serve, so a restore moved the database
 * of a running serve aside.
 */
import assert from "node:assert/strict";
import { DENO_JSON, MAIN, REPO, startTaskFlags } from "./helpers/process.ts";

/** A process that stands for serve (its command line is `deno …`) and notes a SIGHUP. */
function standIn(marker: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `Deno.addSignalListener("SIGHUP", () => { Deno.writeTextFileSync(${
        JSON.stringify(marker)
      }, "hup"); Deno.exit(0); }); setTimeout(() => {}, 60000);`,
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
}

async function narrow(args: string[], cwd: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...await startTaskFlags(), "--config", DENO_JSON, ...args],
    cwd,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test("pid file: with the task's permissions, rules reload signals serve and restore sees it running", async () => {
  const dir = await Deno.makeTempDir({ prefix: "securix-pid-narrow-" });
  const marker = `${dir}/got-sighup`;
  await Deno.mkdir(`${dir}/securix-data`);
  await Deno.writeTextFile(`${dir}/securix-data/master.key`, "ab".repeat(32) + "\n", {
    mode: 0o600,
  });
  const child = standIn(marker);
  try {
    await Deno.writeTextFile(`${dir}/securix-data/securix.pid`, `${child.pid}\n`);
    await new Promise((resolve) => setTimeout(resolve, 500)); // its SIGHUP listener is set
    const probe = `${dir}/probe.ts`;
    await Deno.writeTextFile(
      probe,
      `import { runningServe } from ${JSON.stringify(`${REPO}src/cli/pid_file.ts`)};\n` +
        `console.log(await runningServe(${JSON.stringify(`${dir}/securix-data/securix.pid`)}));\n`,
    );
    const running = await narrow([probe], dir);
    assert.equal(running.stdout.trim(), String(child.pid), running.stderr);

    const reload = await narrow([MAIN, "rules", "reload"], dir);
    assert.equal(reload.code, 0, reload.stderr);
    assert.match(reload.stdout, new RegExp(`Sent SIGHUP to securix serve \\(pid ${child.pid}\\)`));
    assert.equal((await child.status).code, 0);
    assert.equal(await Deno.readTextFile(marker), "hup");

    const gone = await narrow([probe], dir);
    assert.equal(gone.stdout.trim(), "null", "a pid file whose process is gone is ignored");
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
});
