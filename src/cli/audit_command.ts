import type { Command } from "commander";
import { and, asc, desc, gt, lt, type SQL } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { auditLog } from "../db/schema.ts";
import { kindFilter } from "../audit/kind_filter.ts";
import { pruneAudit } from "../audit/prune.ts";
import { verifyChain } from "../audit/verify_chain.ts";
import { checkedHead, formatHead, headArgument, signCurrentHead } from "../audit/signed_head.ts";
import { type ReadFilter, readRecords } from "../audit/read_records.ts";
import { recordJson, recordText } from "./audit_record_line.ts";
import { type AuditRow, rowRecords, type StoredRecord } from "../audit/stored_records.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { REQUEST_ID_PATTERN } from "../identifiers/request_id.ts";
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

interface ExportOptions {
  since?: string;
  until?: string;
  app?: string;
  entity?: string;
  kind?: string;
  request?: string;
  output?: string;
}

const KIND_HELP = "only these kinds, comma-separated; a prefix takes every kind under it " +
  "(session, connection, admin, admin.webhook, proxy.request)";

/**
 * The newest rows holding at least `lines` records, oldest first: read back
 * from the end a few rows at a time, since one pack row holds many records.
 */
/** The newest row's seq (0 for an empty log). */
async function newestSeq(db: Db): Promise<number> {
  const [row] = await db.select({ seq: auditLog.seq }).from(auditLog).orderBy(desc(auditLog.seq))
    .limit(1);
  return row?.seq ?? 0;
}

async function newestRows(db: Db, kinds: SQL | undefined, lines: number): Promise<AuditRow[]> {
  const rows: AuditRow[] = [];
  let records = 0;
  let before = Number.MAX_SAFE_INTEGER;
  while (records < lines) {
    const page = await db.select().from(auditLog).where(and(lt(auditLog.seq, before), kinds))
      .orderBy(desc(auditLog.seq)).limit(Math.min(50, lines));
    for (const row of page) {
      rows.push(row);
      records += row.records;
      before = row.seq;
      if (records >= lines) break;
    }
    if (page.length < Math.min(50, lines)) break;
  }
  return rows.reverse();
}

export function registerAudit(program: Command, context: CliContext): void {
  const audit = program.command("audit").description("the tamper-evident audit trail");
  audit.command("verify")
    .description("walk the hash chain; names every broken record")
    .option("--json", "print JSON")
    .option(
      "--expect-head <head>",
      "a signed head from `audit head` (the value, or a file holding it): the log must still reach it",
    )
    .action(async (options: { json?: boolean; expectHead?: string }) => {
      await context.withAppliance(async ({ database, config }) => {
        const expectHead = options.expectHead
          ? await checkedHead(config.vault.masterKey, await headArgument(options.expectHead))
          : undefined;
        // A long log takes a while: say how far it got, about once a second.
        let said = Date.now();
        const result = await verifyChain(database.db, {
          expectHead,
          onProgress: (checked) => {
            if (options.json || Date.now() - said < 1_000) return;
            said = Date.now();
            context.io.err(`verified ${checked.toLocaleString("en-US")} records…`);
          },
        });
        if (options.json) context.io.out(JSON.stringify(result));
        else if (result.ok) {
          context.io.out(
            `Audit chain intact: ${result.checked} records verified${
              result.pruned ? ` (${result.pruned} pruned by retention before a checkpoint)` : ""
            }${expectHead ? `; reaches the signed head (record ${expectHead.seq})` : ""}`,
          );
        } else {
          for (const found of result.breaks) {
            const where = found.seq === null
              ? "the chain as a whole"
              : `record #${found.seq}${
                found.id ? ` (${JSON.stringify(found.id).slice(1, -1)})` : ""
              }`;
            context.io.err(`Audit chain BROKEN at ${where}: ${found.problem}`);
          }
          if (result.more) context.io.err(`… and ${result.more} more breaks`);
          context.io.err(
            `${result.breaks.length + result.more} breaks; ${result.checked} records verified`,
          );
        }
        if (!result.ok) throw new SecurixError("SX-AUDIT-BROKEN", "audit verification failed");
      });
    });
  audit.command("head")
    .description(
      "print the chain head signed with a key derived from the master key; keep it elsewhere",
    )
    .option("--json", "print JSON")
    .action(async (options: { json?: boolean }) => {
      await context.withAppliance(async ({ database, config, now }) => {
        const head = await signCurrentHead(database.db, config.vault.masterKey, now());
        if (options.json) context.io.out(JSON.stringify({ ...head, head: formatHead(head) }));
        else context.io.out(formatHead(head));
      });
    });
  audit.command("export")
    .description("write records as JSON Lines")
    .option("--since <time>", "from this time")
    .option("--until <time>", "up to this time")
    .option("--app <appId>", "only this app")
    .option("--entity <entityId>", "only this entity")
    .option("--kind <kinds>", KIND_HELP)
    .option("--request <id>", "only the records of this request (its securix-request-id)")
    .option("--output <file>", "write to a file instead of stdout")
    .action(
      async (options: ExportOptions) => {
        const request = requestFilter(options.request);
        await context.withAppliance(async ({ database }) => {
          const filter: ReadFilter = {
            since: parseTime(options.since, "--since"),
            until: parseTime(options.until, "--until"),
            appId: options.app,
            entityId: options.entity,
            kinds: options.kind,
          };
          const file = options.output
            ? await Deno.open(options.output, {
              write: true,
              create: true,
              truncate: true,
              mode: 0o600,
            })
            : null;
          // Ids, paths and who did what: readable by the operator only, as the database is.
          // On the opened file, and only a regular one (never a terminal like /dev/stdout).
          if (file && (await file.stat()).isFile) await Deno.chmod(options.output!, 0o600);
          const encoder = new TextEncoder();
          let count = 0;
          try {
            for await (const records of readRecords(database.db, filter)) {
              const lines = (request ? records.filter(request) : records).map(recordJson);
              if (file) await file.write(encoder.encode(lines.join("\n") + "\n"));
              else lines.forEach((l) => context.io.out(l));
              count += lines.length;
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
    .option("--json", "JSON Lines, as audit export writes them")
    .action(async (options: { lines: string; follow?: boolean; kind?: string; json?: boolean }) => {
      const lines = Number(options.lines);
      if (!Number.isInteger(lines) || lines < 0) {
        throw new SecurixError("SX-INVALID-INPUT", "--lines: expected a whole number", {
          status: 400,
        });
      }
      const print = (record: StoredRecord) =>
        context.io.out(options.json ? recordJson(record) : recordText(record));
      await context.withAppliance(async ({ database }) => {
        const kinds = kindFilter(options.kind) ?? undefined;
        const rows = await newestRows(database.db, kinds, lines);
        for (const record of rows.flatMap(rowRecords).slice(-lines || rows.length)) print(record);
        // With nothing printed (-n 0, or no match), follow from the end, not the start.
        let lastSeq = rows.at(-1)?.seq ?? await newestSeq(database.db);
        // On stderr, so --json output stays JSON Lines.
        if (options.follow) context.io.err("Following new records (Ctrl-C to stop)…");
        while (options.follow) {
          await new Promise((r) => setTimeout(r, 1000));
          const page = await database.db.select().from(auditLog)
            .where(and(gt(auditLog.seq, lastSeq), kinds)).orderBy(asc(auditLog.seq));
          for (const row of page) {
            rowRecords(row).forEach(print);
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
        const before = now() - config.audit.retain_days * 86_400_000;
        const removed = await pruneAudit(database, before, context.actor(), now());
        context.io.out(`Pruned ${removed} records older than ${config.audit.retain_days} days`);
      });
    });
}

/**
 * `--request`: records that name the id (proxied calls, in their data). Read
 * and matched here, not in SQL: a proxied call's data sits inside its pack.
 */
function requestFilter(id: string | undefined): ((record: StoredRecord) => boolean) | null {
  if (id === undefined) return null;
  if (!REQUEST_ID_PATTERN.test(id)) {
    throw new SecurixError(
      "SX-INVALID-INPUT",
      "--request: expected a request id as answers carry it in securix-request-id (req_…)",
      { status: 400 },
    );
  }
  return (record) => record.data.requestId === id;
}
