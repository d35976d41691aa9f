import type { Command } from "commander";
import { rotateKey } from "../vault/rotate.ts";
import type { CliContext } from "./context.ts";
import { isoTime, printJson, printTable } from "./io.ts";

export function registerVault(program: Command, context: CliContext): void {
  const vault = program.command("vault").description("the encrypted vault's keys");
  vault.command("status")
    .description("key versions, their status and how many records each encrypts")
    .option("--json", "print JSON")
    .action(async (options: { json?: boolean }) => {
      await context.withAppliance(async ({ keyring }) => {
        const rows = (await keyring.versions()).map((v) => ({
          ...v,
          createdAt: isoTime(v.createdAt),
          retiredAt: isoTime(v.retiredAt),
        }));
        if (options.json) return printJson(context.io, rows);
        printTable(
          context.io,
          rows,
          ["id", "status", "records", "createdAt", "retiredAt"],
          "No keys",
        );
      });
    });
  vault.command("rotate-key")
    .description("add a key version and re-encrypt every record onto it (safe while serving)")
    .option("--batch-size <n>", "records per batch", "500")
    .option("--json", "print JSON")
    .action(async (options: { batchSize: string; json?: boolean }) => {
      await context.withAppliance(async ({ database, keyring, now }) => {
        const result = await rotateKey({
          database,
          keyring,
          now,
          batchSize: Math.max(1, Number(options.batchSize) || 500),
          onProgress: (done, total) => {
            if (!options.json) context.io.err(`re-encrypted ${done}/${total}`);
          },
        });
        if (options.json) return printJson(context.io, result);
        context.io.out(
          `Vault key v${result.newKeyId} is active; ${result.reencrypted} records re-encrypted` +
            (result.retired.length ? `; retired v${result.retired.join(", v")}` : ""),
        );
      });
    });
}
