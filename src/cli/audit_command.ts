import type { Command } from "commander";
import { and, asc, desc, eq, gt, gte, lte, type SQL } from "drizzle-orm";
import { auditLog } from "../db/schema.ts";
import { kindFilter } from "../audit/kind_filter.ts";
import { pruneAudit } from "../audit/prune.ts";
import { verifyChain } from "../audit/verify_chain.ts";
import { SecurixError } from "../errors/securix_error.ts";
import type { CliContext } from "./context.ts";

function parseTime(value: string | undefined, flag: string): number | null {
  if (!value) return null;
  const t = Date.parse(value);
  if (Number.isNaN(t)) {
    throw new SecurixError(
      "SX-INVALID-INPUT",
      `${flag}: expected a date like 2026-11-01 or an ISO time`,
      { status: 400 },
    );
  }
  return t;
}

type Row = typeof auditLog.$inferSelect;

interface ExportOptions {
  since?: string;
  until?: string;
  app?: string;
  entity?: string;
  kind?: string;
  output?: string;
}

const KIND_HELP = "only these kinds, comma-separated; a prefix takes every kind under it " +
  "(session, connection, admin, admin.webhook, proxy.request)";

function line(row: Row): string {
  return JSON.stringify({
    seq: row.seq,
    id: row.id,
    at: new Date(row.at).toISOString(),
    kind: row.kind,
    appId: row.appId,
    agentId: row.agentId,
    entityId: row.entityId,
    provider: row.provider,
    data: JSON.parse(row.data),
    hash: row.hash,
  });
}

export function registerAudit(program: Command, context: CliContext): void {
  const audit = program.command("audit").description("the tamper-evident audit trail");
  audit.command("verify")
    .description("walk the hash chain; names the first broken record")
    .option("--json", "print JSON")
    .action(async (options: { json?: boolean }) => {
      await context.withAppliance(async ({ database }) => {
        const result = await verifyChain(database.db);
        if (options.json) context.io.out(JSON.stringify(result));
        else if (result.ok) {
          context.io.out(
            `Audit chain intact: ${result.checked} records verified${
              result.pruned ? ` (${result.pruned} pruned by retention before a checkpoint)` : ""
            }`,
          );
        } else {
          const where = result.brokenAt
            ? `record #${result.brokenAt.seq} (${result.brokenAt.id})`
            : "the end of the chain";
          context.io.err(`Audit chain BROKEN at ${where}: ${result.problem}`);
        }
        if (!result.ok) throw new SecurixError("SX-AUDIT-BROKEN", "audit verification failed");
      });
    });
  audit.command("export")
    .description("write records as JSON Lines")
    .option("--since <time>", "from this time")
    .option("--until <time>", "up to this time")
    .option("--app <appId>", "only this app")
    .option("--entity <entityId>", "only this entity")
    .option("--kind <kinds>", KIND_HELP)
    .option("--output <file>", "write to a file instead of stdout")
    .action(
      async (options: ExportOptions) => {
        await context.withAppliance(async ({ database }) => {
          const filters: SQL[] = [];
          const since = parseTime(options.since, "--since");
          const until = parseTime(options.until, "--until");
          if (since !== null) filters.push(gte(auditLog.at, since));
          if (until !== null) filters.push(lte(auditLog.at, until));
          if (options.app) filters.push(eq(auditLog.appId, options.app));
          if (options.entity) filters.push(eq(auditLog.entityId, options.entity));
          const kinds = kindFilter(options.kind);
          if (kinds) filters.push(kinds);
          const file = options.output
            ? await Deno.open(options.output, { write: true, create: true, truncate: true })
            : null;
          const encoder = new TextEncoder();
          let lastSeq = 0;
          let count = 0;
          try {
            while (true) {
              const page = await database.db.select().from(auditLog).where(
                and(gt(auditLog.seq, lastSeq), ...filters),
              )
                .orderBy(asc(auditLog.seq)).limit(1000);
              for (const row of page) {
                if (file) await file.write(encoder.encode(line(row) + "\n"));
                else context.io.out(line(row));
                lastSeq = row.seq;
                count++;
              }
              if (page.length < 1000) break;
            }
          } finally {
            file?.close();
          }
          if (file) context.io.err(`Exported ${count} records to ${options.output}`);
        });
      },
    );
  audit.command("tail")
    .description("print the newest records, and follow new ones with --follow")
    .option("-n, --lines <n>", "how many", "20")
    .option("-f, --follow", "keep printing new records")
    .option("--kind <kinds>", KIND_HELP)
    .action(async (options: { lines: string; follow?: boolean; kind?: string }) => {
      await context.withAppliance(async ({ database }) => {
        const kinds = kindFilter(options.kind) ?? undefined;
        const rows = (await database.db.select().from(auditLog).where(kinds)
          .orderBy(desc(auditLog.seq)).limit(Number(options.lines))).reverse();
        for (const row of rows) context.io.out(line(row));
        let lastSeq = rows.at(-1)?.seq ?? 0;
        while (options.follow) {
          await new Promise((r) => setTimeout(r, 1000));
          const page = await database.db.select().from(auditLog)
            .where(and(gt(auditLog.seq, lastSeq), kinds)).orderBy(asc(auditLog.seq));
          for (const row of page) {
            context.io.out(line(row));
            lastSeq = row.seq;
          }
        }
      });
    });
  audit.command("prune")
    .description("apply audit.retain_days now (serve also does it every minute)")
    .action(async () => {
      await context.withAppliance(async ({ database, config, now }) => {
        if (config.audit.retain_days === 0) {
          context.io.out("audit.retain_days is 0: every record is kept");
          return;
        }
        const removed = await pruneAudit(database, now() - config.audit.retain_days * 86_400_000);
        context.io.out(`Pruned ${removed} records older than ${config.audit.retain_days} days`);
      });
    });
}
