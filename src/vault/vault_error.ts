import { SecurixError } from "../errors/securix_error.ts";

/** A record that does not open: tampered, wrong key, or read as another record or purpose. */
export function decryptFailed(id: string): SecurixError {
  return new SecurixError(
    "SX-VAULT-DECRYPT",
    `Cannot decrypt vault record "${id}": it was altered, or belongs to another record or key`,
    { status: 500 },
  );
}
