import { isRecord, parseJsonBytes } from "../json_value.ts";
import { parseContentType, parseEntity, type Rfc822Entity } from "./rfc822_message.ts";
import { messageSubject } from "./rfc822_subject.ts";
import { decodeBase64Loose, multipartParts } from "./rfc822_text.ts";

/** `/v1.0/me/sendMail`, `/v1.0/users/{id}/sendMail` (Graph paths are case-insensitive). */
const GRAPH_SEND_MAIL = /^\/(?:v1\.0|beta)\/(?:me|users\/[^/]+)\/sendmail\/?$/i;

/**
 * The Subject of the message a send carries (Gmail `users.messages.send` in
 * its JSON, media and multipart forms; Graph `sendMail` as JSON or MIME), for
 * a person deciding whether to approve it. Null when there is none or it
 * cannot be read; never throws. The message forms are read as gmail_send.ts
 * and graph_send.ts read them.
 */
export function outgoingSubject(
  operationId: string,
  path: string,
  contentType: string | null,
  body: Uint8Array | null,
): string | null {
  if (body === null || body.length === 0) return null;
  try {
    if (operationId === "gmail.users.messages.send") return gmailSubject(path, contentType, body);
    if (operationId.startsWith("microsoft.") && GRAPH_SEND_MAIL.test(path)) {
      return graphSubject(contentType, body);
    }
    return null;
  } catch {
    return null;
  }
}

function subjectOf(entity: Rfc822Entity | null): string | null {
  return entity ? messageSubject(entity) : null;
}

function fromRawJson(json: unknown): string | null {
  const raw = isRecord(json) ? json["raw"] : undefined;
  if (typeof raw !== "string") return null;
  const bytes = decodeBase64Loose(raw);
  return bytes ? subjectOf(parseEntity(bytes)) : null;
}

function gmailSubject(path: string, contentType: string | null, body: Uint8Array): string | null {
  const type = parseContentType(contentType ?? undefined);
  if (path.startsWith("/upload/")) {
    if (type.mediaType.startsWith("multipart/")) {
      const boundary = type.params["boundary"];
      if (!boundary) return null;
      const subjects: (string | null)[] = [];
      for (const part of multipartParts(body, boundary)) {
        const entity = parseEntity(part);
        if (!entity) return null;
        const partType = parseContentType(
          entity.headers.find((h) => h.name === "content-type")?.value,
        );
        if (partType.mediaType !== "application/json") {
          subjects.push(subjectOf(parseEntity(entity.body)));
        } else {
          const json = parseJsonBytes(entity.body);
          if (isRecord(json) && "raw" in json) subjects.push(fromRawJson(json));
        }
      }
      return subjects.length === 1 ? subjects[0] : null;
    }
    if (type.mediaType !== "application/json") return subjectOf(parseEntity(body));
  }
  return fromRawJson(parseJsonBytes(body));
}

function graphSubject(contentType: string | null, body: Uint8Array): string | null {
  const type = (contentType ?? "").split(";")[0].trim().toLowerCase();
  if (type === "text/plain") {
    const mime = decodeBase64Loose(new TextDecoder().decode(body));
    return mime ? subjectOf(parseEntity(mime)) : null;
  }
  const json = parseJsonBytes(body);
  const message = isRecord(json) ? json["message"] : undefined;
  const subject = isRecord(message) ? message["subject"] : undefined;
  return typeof subject === "string" ? subject : null;
}
