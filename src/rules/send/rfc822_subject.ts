import { headerValues, type Rfc822Entity } from "./rfc822_message.ts";
import { decodeEncodedWords } from "./rfc822_text.ts";

/** The message's Subject, encoded words decoded and folding undone; null when it has none. */
export function messageSubject(entity: Rfc822Entity): string | null {
  const value = headerValues(entity, "subject")[0];
  if (value === undefined) return null;
  return decodeEncodedWords(value).replace(/\r?\n[ \t]+/g, " ").trim();
}
