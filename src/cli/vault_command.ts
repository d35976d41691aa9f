import { type Command, InvalidArgumentError } from "commander";
import { recordAdminEventNow } from "../audit/admin_event.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { rotateKey, type RotationResult } from "../vault/rotate.ts";
import type { CliContext } from "./context.ts";
import { isoTime, printJson } from "./io.ts";
import { printList } from "./list_output.ts";

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number ≥ 1");
  return n;
}

function summary(result: RotationResult): string {
  const retired = result.retired.length > 0
    ? `; retired v${result.retired.join(", v")}`
    : "; no version retired";
  const skipped = result.skipped > 0
    ? ` (${result.skipped} rewritten by the appliance meanwhile)`
    : "";
  return `Vault key v${result.newKeyId} is active; re-encrypted ${result.reencrypted} of ` +
    `${result.total} records${skipped}${retired} in ${result.durationMs} ms`;
}

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
        printList(context.io, options.json, {
          rows,
          columns: ["id", "status", "records", "createdAt", "retiredAt"],
          empty: "No keys",
        });
      });
    });
  vault.command("rotate-key")
    .description(
      "add a key version, re-encrypt every record onto it and retire unused versions " +
        "(safe while the appliance serves)",
    )
    .option("--batch-size <n>", "records per batch", positiveInteger, 500)
    .option("--json", "print the result as JSON (progress goes to stderr)")
    .action(async (options: { batchSize: number; json?: boolean }) => {
      const { io } = context;
      // Progress is for people: on stdout normally, on stderr when stdout is JSON.
      const report = options.json ? io.err : io.out;
      await context.withAppliance(async ({ database, keyring, now }) => {
        const by = context.actor();
        await recordAdminEventNow(database, {
          kind: "admin.vault.rotation_started",
          by,
          data: { batchSize: options.batchSize },
        }, now());
        const result = await rotateKey({
          database,
          keyring,
          now,
          batchSize: options.batchSize,
          onProgress: (p) =>
            report(`re-encrypted ${Math.min(p.reencrypted + p.skipped, p.total)}/${p.total}`),
        }).catch(async (error) => {
          await recordAdminEventNow(database, {
            kind: "admin.vault.rotation_failed",
            by,
            data: { error: error instanceof SecurixError ? error.code : "unexpected" },
          }, now());
          throw error;
        });
        await recordAdminEventNow(database, {
          kind: "admin.vault.rotation_finished",
          by,
          data: { ...result },
        }, now());
        if (options.json) return printJson(io, result);
        io.out(summary(result));
      });
    });
}
