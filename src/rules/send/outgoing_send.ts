import { gmailSend } from "./gmail_send.ts";
import { graphSend } from "./graph_send.ts";
import { formPairs } from "../../proxy/form_pairs.ts";

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

const TEXT = new TextDecoder();

/**
 * What `body_contains` reads of a send no parser here understands (a Slack
 * message): the body as sent, and also as its provider may decode it —
 * every string of a JSON body (`\u0073ecret`), every name and value of a
 * form (`s%65cret`). Both decodings whatever the Content-Type says: servers
 * disagree on where a media type ends (`application/x-www-form-urlencoded,
 * text/plain` is a form to Rack and PHP), and reading more can only deny
 * more. Recipients are unknown.
 */
export function opaqueSend(body: Uint8Array | null): OutgoingSend {
  if (body === null) return { recipients: null, text: "" };
  const raw = TEXT.decode(body);
  const parts = [raw];
  // Split on `&` alone and decoded as the URL Standard does.
  for (const { name, value } of formPairs(raw, "&", "url")) parts.push(name, value);
  try {
    parts.push(...jsonStrings(JSON.parse(raw)));
  } catch {
    // Not JSON: the body as sent and as a form is what there is to read.
  }
  return { recipients: null, text: parts.join("\n") };
}

/** Every key and string value of a JSON value, without recursion (a body may nest deeply). */
function jsonStrings(value: unknown): string[] {
  const out: string[] = [];
  const stack = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item === "string") out.push(item);
    else if (Array.isArray(item)) { for (const inner of item) stack.push(inner); }
    else if (typeof item === "object" && item !== null) {
      for (const [key, inner] of Object.entries(item)) {
        out.push(key);
        stack.push(inner);
      }
    }
  }
  return out;
}
