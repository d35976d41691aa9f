/**
 * `rules reload` and restore's "serve is running" guard under the permissions
 * the task and the binary have (no --allow-run, no --allow-all): Deno.kill
 * and a read of /proc/<pid>/ are not allowed there, and before the fix the
 * reload failed and the guard saw no serve, so a restore moved the database
 * of a running serve aside.
 */
import assert from "node:assert/strict";
import {
  compileTaskFlags,
  DENO_JSON,
  MAIN,
  REPO,
  startServeProcess,
  startTaskFlags,
} from "./helpers/process.ts";

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

/**
 * A new pid namespace (through a user namespace, so no root is needed) whose first process is
 * pid 1 there, as a container's entrypoint is; null where the kernel or the tools refuse.
 */
const UNSHARE = ["--user", "--map-root-user", "--pid", "--fork", "--mount-proc"];
function pidNamespaces(): boolean {
  if (Deno.build.os !== "linux") return false;
  try {
    const probe = (command: string, args: string[]) =>
      new Deno.Command(command, { args, stdout: "null", stderr: "null" }).outputSync().success;
    return probe("unshare", [...UNSHARE, "true"]) && probe("nsenter", ["--version"]);
  } catch {
    return false;
  }
}

Deno.test({
  name: "pid file: serve as pid 1 (a container's entrypoint) is reloaded and guards restore; " +
    "its pid file left by a kill does not block the restore that follows",
  ignore: !pidNamespaces(),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "securix-pid-one-" });
    const flags = ["--no-prompt", ...(await compileTaskFlags()).runtime];
    const deno = [Deno.execPath(), "run", ...flags, "--config", DENO_JSON, MAIN];
    const server = await startServeProcess({
      cwd: dir,
      // --kill-child: serve goes with unshare, whatever the test's end.
      command: ["unshare", ...UNSHARE, "--kill-child", ...deno, "serve"],
    });
    try {
      assert.equal((await Deno.readTextFile(`${dir}/securix-data/securix.pid`)).trim(), "1");
      // serve, as the host sees it: unshare's one child.
      const children = await Deno.readTextFile(`/proc/${server.pid}/task/${server.pid}/children`);
      const serve = Number(children.trim());
      // `docker exec <container> securix …`: another process in serve's pid namespace.
      const inside = async (...args: string[]) => {
        const out = await new Deno.Command("nsenter", {
          args: [
            "-t",
            String(serve),
            "-U",
            "-p",
            "-m",
            "--preserve-credentials",
            `--wd=${dir}`,
            ...deno,
            ...args,
          ],
          cwd: dir,
          env: { NO_COLOR: "1" },
          stdout: "piped",
          stderr: "piped",
        }).output();
        const text = (b: Uint8Array) => new TextDecoder().decode(b);
        return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
      };
      const reload = await inside("rules", "reload");
      assert.equal(reload.code, 0, reload.stderr);
      assert.match(reload.stdout, /Sent SIGHUP to securix serve \(pid 1\)/);
      const deadline = Date.now() + 10_000;
      while (!/Reloaded\. Rules:/.test(server.output()) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.match(server.output(), /Reloaded\. Rules:/);
      const backup = await inside("backup", "b.sxbak");
      assert.equal(backup.code, 0, backup.stderr);
      const refused = await inside("restore", "b.sxbak", "--force");
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /SX-BACKUP-SERVE-RUNNING.*pid 1,/);

      // The container is killed: its pid file stays, naming pid 1.
      Deno.kill(serve, "SIGKILL");
      await server.stop();
      assert.equal((await Deno.readTextFile(`${dir}/securix-data/securix.pid`)).trim(), "1");
      // `docker run --rm -v …:/data securix restore …`: the restore is pid 1 itself now.
      const restore = await new Deno.Command("unshare", {
        args: [...UNSHARE, ...deno, "restore", "b.sxbak", "--force"],
        cwd: dir,
        env: { NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = (b: Uint8Array) => new TextDecoder().decode(b);
      assert.equal(restore.code, 0, text(restore.stderr));
      assert.match(text(restore.stdout), /Restored: /);
    } finally {
      await server.stop("SIGKILL");
      await Deno.remove(dir, { recursive: true });
    }
  },
});
