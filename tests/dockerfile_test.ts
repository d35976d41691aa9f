/**
 * No Docker engine here, so the Dockerfile is read: its runtime stage must run the binary the
 * compile task builds as a non-root user, keep state in the /data volume, publish the ports its
 * own SECURIX_* settings listen on, drain inside `docker stop`'s 10 s, and probe /healthz with
 * the binary itself (the distroless image has no shell or curl).
 */
import assert from "node:assert/strict";
import type { Command } from "commander";
import { loadConfigWithoutKey } from "../src/cli/config_without_key.ts";
import { healthzUrl } from "../src/cli/healthcheck_command.ts";
import { buildProgram } from "../src/cli/main.ts";
import { pidFile } from "../src/cli/pid_file.ts";
import { compileTaskFlags, REPO } from "./helpers/process.ts";

interface Instruction {
  op: string;
  args: string;
}

/** Instructions per stage, continuation lines joined, comments dropped. */
function stages(text: string): Instruction[][] {
  const out: Instruction[][] = [];
  const lines = text.replace(/\\\n/g, " ").split("\n");
  for (const line of lines) {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const [, op, args] = /^(\S+)\s*(.*)$/.exec(trimmed)!;
    if (op.toUpperCase() === "FROM") out.push([]);
    out.at(-1)!.push({ op: op.toUpperCase(), args: args.trim() });
  }
  return out;
}

const DOCKERFILE = await Deno.readTextFile(`${REPO}Dockerfile`);
const [build, runtime] = stages(DOCKERFILE);
const all = (stage: Instruction[], op: string) => stage.filter((i) => i.op === op);
const last = (stage: Instruction[], op: string) => all(stage, op).at(-1)?.args ?? null;

/** ENV a=b c=d (or ENV a b) of a stage. */
function envOf(stage: Instruction[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { args } of all(stage, "ENV")) {
    if (!args.includes("=")) {
      const [name, ...rest] = args.split(/\s+/);
      env[name] = rest.join(" ");
      continue;
    }
    for (const m of args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) env[m[1]] = m[2].replace(/^"|"$/g, "");
  }
  return env;
}

Deno.test("Dockerfile: the build stage copies every local file the compiled module graph holds", async () => {
  assert.ok(runtime.length > 0 && build.length > 0);
  const copied = all(build, "COPY").flatMap((c) =>
    c.args.split(/\s+/).filter((w) => !w.startsWith("--")).slice(0, -1)
  );
  const { includes } = await compileTaskFlags();
  const files = new Set(["deno.json", "deno.lock"]);
  for (const entry of ["main.ts", ...includes]) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", entry],
      cwd: REPO,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      modules: { specifier: string }[];
    };
    for (const { specifier } of info.modules) {
      if (specifier.startsWith(`file://${REPO}`)) {
        files.add(specifier.slice(`file://${REPO}`.length));
      }
    }
  }
  // Migrations, pages and both SDK bundles (imported as text) are among them.
  assert.ok(files.has("src/sdk/generated/securix_sdk.js"));
  assert.ok(files.has("migrations/0019_end_orphaned_approvals.sql"));
  for (const path of files) {
    assert.ok(
      copied.some((c) => path === c || path.startsWith(`${c.replace(/\/$/, "")}/`)),
      `${path} is not copied into the build stage`,
    );
  }
});

Deno.test("Dockerfile: the runtime stage runs as a non-root user with /data as its volume", () => {
  const user = last(runtime, "USER");
  assert.ok(user !== null, "no USER");
  const [uid] = user.split(":");
  assert.notEqual(uid, "0");
  assert.notEqual(uid, "root");
  assert.equal(last(runtime, "WORKDIR"), "/data");
  assert.match(last(runtime, "VOLUME")!, /"\/data"/);
  // The volume's skeleton belongs to that user, so serve can create securix-data/ in it.
  assert.ok(
    all(runtime, "COPY").some((c) =>
      c.args.includes(`--chown=${user}`) && /\s\/data$/.test(c.args)
    ),
    "/data is not handed to the runtime user",
  );
  // Exec form: serve is pid 1 and gets docker stop's SIGTERM itself.
  assert.deepEqual(JSON.parse(last(runtime, "ENTRYPOINT")!), ["/usr/local/bin/securix"]);
  assert.deepEqual(JSON.parse(last(runtime, "CMD")!), ["serve"]);
  assert.ok(
    all(runtime, "COPY").some((c) =>
      /\/src\/dist\/securix \/usr\/local\/bin\/securix$/.test(c.args)
    ),
  );
});

Deno.test("Dockerfile: its SECURIX_* settings are valid, listen outside the container and are exposed", async () => {
  const env = envOf(runtime);
  const cwd = await Deno.makeTempDir({ prefix: "securix-dockerfile-" });
  try {
    // As the container starts: embedded defaults in /data, the image's environment.
    const { config, warnings } = await loadConfigWithoutKey({
      path: null,
      env: (name) => env[name],
      envNames: () => Object.keys(env),
      cwd,
    });
    assert.deepEqual(warnings, [], "a SECURIX_* variable that is not a setting");
    const listeners = [
      config.server.listenAddress,
      config.server.metricsAddress,
      ...(config.server.adminAddress ? [config.server.adminAddress] : []),
    ];
    assert.equal(listeners.length, 3, "the console is off in the image");
    for (const listen of listeners) assert.equal(listen.hostname, "0.0.0.0");
    // `docker run -P` publishes every exposed port on every host interface: only the proxy's.
    const exposed = all(runtime, "EXPOSE").flatMap((e) => e.args.split(/\s+/)).map(Number);
    assert.deepEqual(exposed, [config.server.listenAddress.port]);
    // docker stop sends SIGKILL 10 s after SIGTERM: the drain and the close fit inside.
    assert.ok(config.server.shutdown_timeout_ms <= 8_000, `${config.server.shutdown_timeout_ms}`);
    const stop = last(runtime, "STOPSIGNAL");
    assert.ok(stop === null || stop === "SIGTERM");
    // State (database, key, pid file) is under the volume.
    assert.equal(config.database.filePath, `${cwd}/securix-data/securix.db`);
    assert.equal(pidFile(config), `${cwd}/securix-data/securix.pid`);
    // The health check asks the public listener on loopback.
    assert.equal(healthzUrl(config.server.listenAddress), `http://127.0.0.1:8080/healthz`);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("Dockerfile: HEALTHCHECK runs the binary's healthcheck command", () => {
  const check = last(runtime, "HEALTHCHECK");
  assert.ok(check !== null && check !== "NONE", "no HEALTHCHECK");
  const cmd = /\bCMD\s+(\[.*\])$/.exec(check);
  assert.ok(cmd, check);
  const argv = JSON.parse(cmd[1]) as string[];
  assert.equal(argv[0], "/usr/local/bin/securix");
  const { program } = buildProgram({} as never);
  const names = program.commands.map((c: Command) => c.name());
  assert.ok(names.includes(argv[1]), `securix has no ${argv[1]} command`);
  assert.equal(argv[1], "healthcheck");
  const timeout = /--timeout=(\d+)s/.exec(check);
  assert.ok(timeout && Number(timeout[1]) >= 4, "the probe's own 3 s timeout fits in Docker's");
});

Deno.test("healthcheck: the URL asked for each kind of listen address", () => {
  assert.equal(healthzUrl({ hostname: "0.0.0.0", port: 8080 }), "http://127.0.0.1:8080/healthz");
  assert.equal(healthzUrl({ hostname: "::", port: 80 }), "http://[::1]:80/healthz");
  assert.equal(healthzUrl({ hostname: "127.0.0.1", port: 1 }), "http://127.0.0.1:1/healthz");
  assert.equal(healthzUrl({ hostname: "::1", port: 9 }), "http://[::1]:9/healthz");
  assert.equal(healthzUrl({ hostname: "10.1.2.3", port: 9 }), "http://10.1.2.3:9/healthz");
});
