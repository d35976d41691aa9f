import { gmailSend } from "./gmail_send.ts";
import { graphSend } from "./graph_send.ts";

/**
 * What a send would deliver, as `condition` rules see it. `recipients` null:
 * the call sends, but to whom cannot be read with certainty (a draft sent by
 * id, a Graph reply, a malformed message) — a recipient condition denies.
 * `text` null: the outgoing text is not in the call — `body_contains` denies.
 */
export interface OutgoingSend {
  /** Lowercased addresses from To, Cc and Bcc (or Graph's recipient lists). */
  recipients: string[] | null;
  /** Subject and decoded text parts, HTML tags stripped. */
  text: string | null;
}

/** Both unknown: the caller must treat every condition on this send as failed closed. */
export const UNREADABLE_SEND: OutgoingSend = Object.freeze({ recipients: null, text: null });

/**
 * The outgoing send carried by a call, or null when the call sends nothing
 * this module understands (then send conditions do not apply to it). Never
 * throws: anything malformed is an unreadable send.
 */
export function outgoingSend(
  operationId: string,
  path: string,
  contentType: string | null,
  body: Uint8Array | null,
): OutgoingSend | null {
  try {
    if (operationId.startsWith("gmail.")) return gmailSend(operationId, path, contentType, body);
    if (operationId.startsWith("microsoft.")) return graphSend(path, contentType, body);
    return null;
  } catch {
    // A parser bug must not let a send through unchecked.
    return UNREADABLE_SEND;
  }
}
