import { isRecord, parseJsonBytes } from "../json_value.ts";
import type { OutgoingSend } from "./outgoing_send.ts";
import { parseContentType, parseEntity } from "./rfc822_message.ts";
import { messageRecipients } from "./rfc822_recipients.ts";
import { decodeBase64Loose, messageText, multipartParts } from "./rfc822_text.ts";

const UNREADABLE: OutgoingSend = Object.freeze({ recipients: null, text: null });

/**
 * Gmail's sends: `users.messages.send` as JSON `{raw}` (base64url RFC 822),
 * as a media upload (`message/rfc822` bytes) or as a multipart/related upload
 * (JSON metadata + the message). `users.drafts.send` sends a stored draft
 * whose content is not in the call: unreadable here (see draftSendLookup).
 * Other Gmail operations (drafts.create, import, insert) leave nothing the
 * account's owner did not keep: null.
 */
export function gmailSend(
  operationId: string,
  path: string,
  contentType: string | null,
  body: Uint8Array | null,
): OutgoingSend | null {
  if (operationId === "gmail.users.drafts.send") return UNREADABLE;
  if (operationId !== "gmail.users.messages.send") return null;
  if (body === null || body.length === 0) return UNREADABLE;
  const type = parseContentType(contentType ?? undefined);
  if (path.startsWith("/upload/")) {
    if (type.mediaType.startsWith("multipart/")) {
      return fromMultipart(body, type.params["boundary"]);
    }
    if (type.mediaType !== "application/json") return fromRaw(body);
  }
  return fromJsonResource(parseJsonBytes(body));
}

/**
 * Where a `users.drafts.send` call's draft can be read (format=raw), so the
 * integrator may check its recipients with a Lookup; null when the body
 * names no draft. A draft changed between this look and the send is not
 * seen: the check narrows, it does not close, that window.
 */
export function draftSendLookup(path: string, body: Uint8Array | null): string | null {
  const m = /^\/gmail\/v1\/users\/([^/]+)\/drafts\/send$/.exec(path);
  if (!m || body === null) return null;
  const json = parseJsonBytes(body);
  const id = isRecord(json) ? json["id"] : undefined;
  if (typeof id !== "string" || !/^[A-Za-z0-9_-]+$/.test(id)) return null;
  return `/gmail/v1/users/${m[1]}/drafts/${id}?format=raw`;
}

/** The send a draft would make, from its `format=raw` answer (`{id, message: {raw}}`). */
export function sendFromDraft(answer: unknown): OutgoingSend {
  const message = isRecord(answer) ? answer["message"] : undefined;
  return fromJsonResource(message);
}

function fromJsonResource(json: unknown): OutgoingSend {
  const raw = isRecord(json) ? json["raw"] : undefined;
  if (typeof raw !== "string") return UNREADABLE;
  const bytes = decodeBase64Loose(raw);
  return bytes ? fromRaw(bytes) : UNREADABLE;
}

function fromMultipart(body: Uint8Array, boundary: string | undefined): OutgoingSend {
  if (!boundary) return UNREADABLE;
  const messages: OutgoingSend[] = [];
  for (const part of multipartParts(body, boundary)) {
    const entity = parseEntity(part);
    if (!entity) return UNREADABLE;
    const type = parseContentType(entity.headers.find((h) => h.name === "content-type")?.value);
    if (type.mediaType === "application/json") {
      const json = parseJsonBytes(entity.body);
      if (isRecord(json) && "raw" in json) messages.push(fromJsonResource(json));
    } else {
      messages.push(fromRaw(entity.body));
    }
  }
  // Two candidate messages: which one Gmail sends is its choice, not ours to guess.
  return messages.length === 1 ? messages[0] : UNREADABLE;
}

function fromRaw(bytes: Uint8Array): OutgoingSend {
  const entity = parseEntity(bytes);
  if (!entity) return UNREADABLE;
  return { recipients: messageRecipients(entity), text: messageText(entity) };
}
