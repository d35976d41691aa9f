import { sha256 } from "@oslojs/crypto/sha2";
import { encodeHexLowerCase } from "@oslojs/encoding";
import type { Migration } from "./migrations.ts";

/**
 * Checksums of texts a migration had on main before it took its final form,
 * accepted as that migration: databases migrated from them keep starting.
 * Only texts whose schema works with today's code belong here.
 */
const EARLIER_TEXTS: Readonly<Record<string, readonly string[]>> = {
  // On main from f2ca433 to edabed2 (2026-12-02, 15 minutes, no release in between):
  // anomaly_counts kept its key as a UNIQUE index instead of the PRIMARY KEY. The
  // counters' upsert (ON CONFLICT on those three columns) works with either. Such a database
  // has anomaly_counts_key_idx and no primary key there, which schema_test.ts (fresh databases
  // only) never sees: a later migration that rebuilds anomaly_counts or reuses that index name
  // must handle both shapes.
  "0009_anomalies": ["6554b72e79f31c4fa819dfe2591ae1fe3c9b7fe42003fb00b5f7021ac3efa3db"],
};

function sha256Hex(text: string): string {
  return encodeHexLowerCase(sha256(new TextEncoder().encode(text)));
}

/**
 * What the ledger records for a migration: the SHA-256 of its text with LF line
 * endings, so a binary built from a CRLF checkout (git on Windows) records the
 * same value as the release. The embedding import already drops a BOM.
 */
export function migrationChecksum(sql: string): string {
  return sha256Hex(sql.replace(/\r\n?/g, "\n"));
}

// Hashing every migration twice costs milliseconds in JS; start and migrate both compare.
const computed = new WeakMap<Migration, ReadonlySet<string>>();

/**
 * Every recorded checksum that means "this migration, as this binary carries
 * it": today's, the same text with CRLF line endings (releases before the
 * normalisation recorded the text as embedded), and the earlier texts above.
 */
export function acceptedChecksums(migration: Migration): ReadonlySet<string> {
  let accepted = computed.get(migration);
  if (!accepted) {
    const lf = migration.sql.replace(/\r\n?/g, "\n");
    accepted = new Set([
      sha256Hex(lf),
      sha256Hex(lf.replace(/\n/g, "\r\n")),
      ...(EARLIER_TEXTS[migration.name] ?? []),
    ]);
    computed.set(migration, accepted);
  }
  return accepted;
}
