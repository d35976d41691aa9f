import { SecurixError } from "../errors/securix_error.ts";
import type { PagePosition } from "./connection_store.ts";

/**
 * The opaque `cursor` of a page: base64url of "createdAt.id". Opaque so
 * callers pass it back as is; it names only a connection of the caller's
 * own listing, so there is nothing to sign.
 */
export function encodeCursor(position: PagePosition): string {
  const text = `${position.createdAt}.${position.id}`;
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function decodeCursor(cursor: string): PagePosition {
  let text = "";
  try {
    text = atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
  } catch {
    // falls through to the refusal below
  }
  const match = /^(\d{1,15})\.([A-Za-z0-9_-]{1,100})$/.exec(text);
  if (!match) {
    throw new SecurixError("SX-INVALID-INPUT", "cursor: not a cursor this listing returned", {
      status: 400,
    });
  }
  return { createdAt: Number(match[1]), id: match[2] };
}
