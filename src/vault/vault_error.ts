import { SecurixError } from "../errors/securix_error.ts";

/**
 * Stable codes of the vault:
 * - SX-VAULT-DECRYPT: an envelope did not open (tampered, wrong key, wrong
 *   record or purpose, retired key, truncated). Never answered with garbage.
 * - SX-VAULT-NO-KEY: the keyring has no active version (a damaged database).
 * - SX-VAULT-BUSY: a write kept racing key rotations and gave up.
 */
export type VaultErrorCode = "SX-VAULT-DECRYPT" | "SX-VAULT-NO-KEY" | "SX-VAULT-BUSY";

export class VaultError extends SecurixError {
  declare readonly code: VaultErrorCode;
  /** The record concerned, when there is one. */
  readonly recordId: string | null;

  constructor(
    code: VaultErrorCode,
    message: string,
    options: { recordId?: string | null; status?: number; cause?: unknown } = {},
  ) {
    super(code, message, { status: options.status ?? 500, cause: options.cause });
    this.name = "VaultError";
    this.recordId = options.recordId ?? null;
  }
}

export function isDecryptError(error: unknown): error is VaultError {
  return error instanceof VaultError && error.code === "SX-VAULT-DECRYPT";
}

/** A record that does not open; `why` narrows it down where the caller knows. */
export function decryptFailed(recordId: string | null, why?: string, cause?: unknown): VaultError {
  const what = recordId === null ? "vault envelope" : `vault record "${recordId}"`;
  return new VaultError(
    "SX-VAULT-DECRYPT",
    `Cannot decrypt ${what}: ${
      why ?? "it was altered, or belongs to another record, purpose or key"
    }`,
    { recordId, cause },
  );
}

/**
 * The master key does not unwrap the stored vault keys. The same code as a
 * wrong key on the encrypted embedded file, so operators see one message for
 * both; on a libSQL server (no file encryption) this is where it shows.
 */
export function masterKeyMismatch(cause?: unknown): SecurixError {
  return new SecurixError(
    "SX-MASTER-KEY-MISMATCH",
    "Cannot unlock the vault: the master key does not match this database. Start with the " +
      "master key the database was created with; a different key cannot open its secrets",
    { cause },
  );
}
