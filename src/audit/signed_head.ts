import type { Db } from "../db/client.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { deriveSubkey, LABELS } from "../vault/derive.ts";
import { GENESIS_HASH } from "./audit_types.ts";
import { readHead } from "./chain_meta.ts";

/**
 * The chain head, signed so it can be kept outside the database: whoever
 * holds the file can delete the newest records and rewrite the stored head,
 * but cannot sign a head without the master key, nor make the log reach a
 * head that was published before the deletion (`audit verify --expect-head`).
 */
export interface SignedHead {
  /** Records appended since the chain began (pruned ones included): the head is record `seq`. */
  seq: number;
  hash: string;
  /** When it was signed, ms since the epoch. */
  at: number;
  /** HMAC-SHA256 over the three, hex. */
  mac: string;
}

const PREFIX = "sxh1";
const TOKEN = /sxh1\.(\d{1,15})\.([0-9a-f]{64})\.(\d{1,15})\.([0-9a-f]{64})/;

async function headKey(masterKey: Uint8Array): Promise<CryptoKey> {
  const raw = await deriveSubkey(masterKey, LABELS.auditHead);
  return await crypto.subtle.importKey(
    "raw",
    raw as BufferSource,
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign", "verify"],
  );
}

function signedText(head: Omit<SignedHead, "mac">): BufferSource {
  return new TextEncoder().encode(`securix-audit-head/v1\n${head.seq}\n${head.hash}\n${head.at}`);
}

const hex = (bytes: ArrayBuffer) =>
  Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");

export async function signHead(
  masterKey: Uint8Array,
  head: Omit<SignedHead, "mac">,
): Promise<SignedHead> {
  const mac = await crypto.subtle.sign("HMAC", await headKey(masterKey), signedText(head));
  return { ...head, mac: hex(mac) };
}

/** The stored head, signed now. */
export async function signCurrentHead(
  db: Db,
  masterKey: Uint8Array,
  now: number,
): Promise<SignedHead> {
  const head = await readHead(db);
  return await signHead(masterKey, {
    seq: head?.count ?? 0,
    hash: head?.hash ?? GENESIS_HASH,
    at: now,
  });
}

/** One token, safe to paste into a log, a ticket or a command line. */
export function formatHead(head: SignedHead): string {
  return [PREFIX, head.seq, head.hash, head.at, head.mac].join(".");
}

/** The first signed head in `text` (a bare token, `audit head --json`, or a log line). */
export function parseHead(text: string): SignedHead {
  const match = TOKEN.exec(text);
  if (!match) {
    throw new SecurixError(
      "SX-AUDIT-HEAD-INVALID",
      "No signed audit head found: expected the sxh1.… value `securix audit head` prints, " +
        "or a file holding it",
      { status: 400 },
    );
  }
  return { seq: Number(match[1]), hash: match[2], at: Number(match[3]), mac: match[4] };
}

/** `--expect-head VALUE|FILE`: a path that exists is read, anything else taken as the value. */
export async function headArgument(value: string): Promise<string> {
  if (TOKEN.test(value)) return value;
  try {
    return await Deno.readTextFile(value);
  } catch (error) {
    // Neither the value nor Deno's message (which quotes the path) is repeated:
    // what was pasted here by mistake may be a key or a secret.
    const why = error instanceof Deno.errors.NotFound
      ? "no such file"
      : error instanceof Deno.errors.PermissionDenied
      ? "the file cannot be read: permission denied"
      : "the file cannot be read";
    throw new SecurixError(
      "SX-AUDIT-HEAD-INVALID",
      `--expect-head: not a signed head (sxh1.…), and ${why}`,
      { status: 400, cause: error },
    );
  }
}

/** Parses and checks the signature: a head from another appliance (master key) is refused. */
export async function checkedHead(masterKey: Uint8Array, text: string): Promise<SignedHead> {
  const head = parseHead(text);
  const mac = Uint8Array.from(head.mac.match(/../g)!, (b) => parseInt(b, 16));
  const ok = await crypto.subtle.verify(
    "HMAC",
    await headKey(masterKey),
    mac as BufferSource,
    signedText(head),
  );
  if (!ok) {
    throw new SecurixError(
      "SX-AUDIT-HEAD-INVALID",
      "The signed audit head does not carry this appliance's signature (another master key, " +
        "or it was edited)",
      { status: 400 },
    );
  }
  return head;
}
