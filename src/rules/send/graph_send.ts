import { isRecord, parseJsonBytes } from "../json_value.ts";
import type { OutgoingSend } from "./outgoing_send.ts";
import { parseEntity } from "./rfc822_message.ts";
import { messageRecipients, parseAddressList } from "./rfc822_recipients.ts";
import { decodeBase64Loose, decodeCharset, messageText, stripHtml } from "./rfc822_text.ts";

const UNREADABLE: OutgoingSend = Object.freeze({ recipients: null, text: null });

/** `/v1.0/me/sendMail`, `/v1.0/users/{id}/sendMail` (Graph paths are case-insensitive). */
const SEND_MAIL = /^\/(?:v1\.0|beta)\/(?:me|users\/[^/]+)\/sendmail$/i;
/** Actions that send an existing or derived message: `/messages/{id}/send|reply|replyAll|forward`. */
const MESSAGE_ACTION =
  /^\/(?:v1\.0|beta)\/(?:me|users\/[^/]+)(?:\/mailfolders\/[^/]+)?\/messages\/[^/]+\/(send|reply|replyall|forward)$/i;

/**
 * Microsoft Graph's mail sends. `sendMail` carries the whole message (JSON,
 * or base64 MIME with `Content-Type: text/plain`); `messages/{id}/send` sends
 * a stored draft (unreadable here); `reply` reaches the original sender
 * unless the call names its recipients, `replyAll` always reaches people the
 * call does not name, `forward` names its recipients. Null for anything else.
 */
export function graphSend(
  path: string,
  contentType: string | null,
  body: Uint8Array | null,
): OutgoingSend | null {
  const bare = path.replace(/\/+$/, "");
  if (SEND_MAIL.test(bare)) return sendMail(contentType, body);
  const action = MESSAGE_ACTION.exec(bare)?.[1].toLowerCase();
  if (action === undefined) return null;
  if (action === "send") return UNREADABLE;
  const json = body === null ? undefined : parseJsonBytes(body);
  if (!isRecord(json)) return UNREADABLE;
  const message = isRecord(json["message"]) ? json["message"] : {};
  const text = [typeof json["comment"] === "string" ? json["comment"] : "", messageBody(message)]
    .filter((t) => t !== "").join("\n");
  if (action === "replyall") return { recipients: null, text };
  const lists = [message["toRecipients"], message["ccRecipients"], message["bccRecipients"]];
  if (action === "forward") lists.push(json["toRecipients"]);
  const recipients = recipientLists(lists);
  // A reply or forward naming nobody goes to people this call does not show.
  return { recipients: recipients?.length ? recipients : null, text };
}

function sendMail(contentType: string | null, body: Uint8Array | null): OutgoingSend {
  if (body === null) return UNREADABLE;
  const type = (contentType ?? "").split(";")[0].trim().toLowerCase();
  if (type === "text/plain") {
    // Graph's MIME form: the body is the base64 of a whole RFC 822 message.
    const mime = decodeBase64Loose(new TextDecoder().decode(body));
    const entity = mime ? parseEntity(mime) : null;
    if (!entity) return UNREADABLE;
    return { recipients: messageRecipients(entity), text: messageText(entity) };
  }
  const json = parseJsonBytes(body);
  if (!isRecord(json) || !isRecord(json["message"])) return UNREADABLE;
  const message = json["message"];
  return {
    recipients: recipientLists([
      message["toRecipients"],
      message["ccRecipients"],
      message["bccRecipients"],
    ]),
    text: messageBody(message),
  };
}

/** `[{emailAddress: {address}}]` lists → lowercased addresses; null when any entry is not one. */
function recipientLists(lists: unknown[]): string[] | null {
  const out = new Set<string>();
  for (const list of lists) {
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) return null;
    for (const entry of list) {
      const address = isRecord(entry) && isRecord(entry["emailAddress"])
        ? entry["emailAddress"]["address"]
        : undefined;
      if (typeof address !== "string") return null;
      const parsed = parseAddressList(address);
      if (parsed === null || parsed.length !== 1) return null;
      out.add(parsed[0]);
    }
  }
  return [...out];
}

function messageBody(message: Record<string, unknown>): string {
  const out: string[] = [];
  if (typeof message["subject"] === "string") out.push(message["subject"]);
  const body = message["body"];
  if (isRecord(body) && typeof body["content"] === "string") {
    const html = String(body["contentType"] ?? "").toLowerCase() === "html";
    out.push(html ? stripHtml(body["content"]) : body["content"]);
  }
  const attachments = Array.isArray(message["attachments"]) ? message["attachments"] : [];
  for (const a of attachments) {
    if (!isRecord(a) || typeof a["contentBytes"] !== "string") continue;
    const type = String(a["contentType"] ?? "").toLowerCase();
    if (!type.startsWith("text/")) continue;
    const bytes = decodeBase64Loose(a["contentBytes"]);
    if (!bytes) continue;
    const text = decodeCharset(bytes, undefined);
    out.push(type.startsWith("text/html") ? stripHtml(text) : text);
  }
  return out.join("\n");
}
