/**
 * Subkeys of the master key. Each use gets its own HKDF-SHA256 label so that
 * the database page key and the key-wrapping key are independent.
 */
export const LABELS = {
  databaseFile: "securix/v1/libsql-file-encryption",
  keyWrapping: "securix/v1/vault-key-wrapping",
  csrf: "securix/v1/csrf-tokens",
  auditHead: "securix/v1/audit-head-signing",
  mcpGrant: "securix/v1/mcp-grant-signing",
  consoleCsrf: "securix/v1/console-csrf-tokens",
} as const;

const SALT = new TextEncoder().encode("securix-master-key-hkdf-salt-v1");

export async function deriveSubkey(
  masterKey: Uint8Array,
  label: string,
): Promise<Uint8Array> {
  const base = await crypto.subtle.importKey("raw", masterKey as BufferSource, "HKDF", false, [
    "deriveBits",
  ]);
  const bits = await crypto.subtle.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt: SALT, info: new TextEncoder().encode(label) },
    base,
    256,
  );
  return new Uint8Array(bits);
}
