import type { Migration } from "./migrations.ts";
import { acceptedChecksums, migrationChecksum } from "./migration_checksum.ts";
import { SecurixError } from "../errors/securix_error.ts";

/** One row of `securix_migrations`. */
export interface AppliedMigration {
  name: string;
  checksum: string;
  securixVersion: string | null;
}

/** How a database's ledger differs from the migrations this binary carries. */
export interface LedgerFindings {
  /** Applied, unknown to this binary and not one of its migrations renamed: a newer release's. */
  unknown: AppliedMigration[];
  /** One of this binary's migrations, applied under another name. */
  renamed: { applied: string; known: string }[];
  /** Applied under this binary's name from a different text. */
  changed: { name: string; recorded: string; expected: string }[];
}

/** Compares the ledger with the binary's migrations; reads nothing, changes nothing. */
export function compareLedger(
  applied: readonly AppliedMigration[],
  migrations: readonly Migration[],
): LedgerFindings {
  const byName = new Map(migrations.map((m) => [m.name, m]));
  const accepted = new Map(migrations.map((m) => [m.name, acceptedChecksums(m)]));
  const appliedNames = new Set(applied.map((a) => a.name));
  const findings: LedgerFindings = { unknown: [], renamed: [], changed: [] };
  for (const row of applied) {
    const checksums = accepted.get(row.name);
    if (checksums) {
      if (!checksums.has(row.checksum)) {
        findings.changed.push({
          name: row.name,
          recorded: row.checksum,
          expected: migrationChecksum(byName.get(row.name)!.sql),
        });
      }
      continue;
    }
    // Same text, another name, and that name is not applied itself: applying it
    // again under this binary's name would fail half-way or do it twice.
    const known = migrations.find((m) =>
      !appliedNames.has(m.name) && accepted.get(m.name)!.has(row.checksum)
    );
    if (known) findings.renamed.push({ applied: row.name, known: known.name });
    else findings.unknown.push(row);
  }
  return findings;
}

const RESTORE = "restore the pre-migrate-*.sxbak backup taken before the upgrade (securix restore)";

/**
 * SX-MIGRATION-CHANGED for the first renamed or edited migration, or null.
 * The schema such a database has is not the one this binary's code expects.
 */
export function changedMigrationError(
  findings: LedgerFindings,
  binaryVersion: string | null,
): SecurixError | null {
  const binary = binaryVersion === null ? "this securix" : `this securix ${binaryVersion}`;
  const renamed = findings.renamed[0];
  if (renamed) {
    return new SecurixError(
      "SX-MIGRATION-CHANGED",
      `Migration ${renamed.known} of ${binary} was applied to this database under another name, ` +
        `${renamed.applied}: it was migrated by a build whose migrations were renamed. Run the ` +
        `build that migrated it, or ${RESTORE}.`,
      { status: 503, details: { migration: renamed.known, applied: renamed.applied } },
    );
  }
  const changed = findings.changed[0];
  if (!changed) return null;
  const others = findings.changed.length > 1
    ? ` (also ${findings.changed.slice(1).map((c) => c.name).join(", ")})`
    : "";
  return new SecurixError(
    "SX-MIGRATION-CHANGED",
    `Migration ${changed.name}${others} was applied to this database from a different text than ` +
      `the one ${binary} carries (recorded checksum ${changed.recorded.slice(0, 12)}…, expected ` +
      `${changed.expected.slice(0, 12)}…), so its schema may not be what this version expects. ` +
      `The release's migrations were edited (by the build that migrated the database, or by this ` +
      `one: run an unmodified release), or the database was altered: ${RESTORE}.`,
    {
      status: 503,
      details: { migration: changed.name, recorded: changed.recorded, expected: changed.expected },
    },
  );
}
