import type { Command } from "commander";
import { MIGRATIONS } from "../db/migrations.ts";
import { BUILD_COMMIT, BUILD_DATE } from "./build_info.ts";
import type { CliContext } from "./context.ts";
import { VERSION } from "./version.ts";

/** What `securix version` reports: enough to tell which binary, schema and build run. */
export function versionInfo(): { version: string; schema: string; commit: string; date: string } {
  return {
    version: VERSION,
    schema: MIGRATIONS.at(-1)?.name ?? "none",
    commit: BUILD_COMMIT,
    date: BUILD_DATE,
  };
}

export function registerVersion(program: Command, context: CliContext): void {
  program.command("version")
    .description("print the version, the schema version (newest migration) and the build")
    .option("--json", "print JSON")
    .action((options: { json?: boolean }) => {
      const info = versionInfo();
      if (options.json) {
        context.io.out(JSON.stringify(info));
        return;
      }
      context.io.out(`securix ${info.version}`);
      context.io.out(`schema ${info.schema}`);
      context.io.out(`build ${info.commit} (${info.date})`);
    });
}
