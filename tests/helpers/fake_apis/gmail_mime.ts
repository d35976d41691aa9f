/**
 * The fake mailbox's message model and its two wire forms: the RFC 822 text
 * behind Gmail's `raw`, and Gmail's parsed `payload` tree with base64url
 * `body.data`. Also reads what an agent sends (recipients, subject, text).
 */
import { base64url, fromBase64url } from "./google_wire.ts";

export type MailPart =
  | { kind: "text"; mimeType: string; text: string }
  | {
    kind: "attachment";
    mimeType: string;
    filename: string;
    attachmentId: string;
    bytes: Uint8Array;
  }
  | { kind: "multipart"; mimeType: string; boundary: string; parts: MailPart[] };

export interface MailMessage {
  id: string;
  threadId: string;
  labelIds: string[];
  /** Message headers in order, without MIME-Version and Content-Type (derived from `root`). */
  headers: [string, string][];
  root: MailPart;
  internalDate: number;
  historyId: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function header(message: MailMessage, name: string): string {
  const lower = name.toLowerCase();
  return message.headers.find(([n]) => n.toLowerCase() === lower)?.[1] ?? "";
}

function contentType(part: MailPart): string {
  if (part.kind === "text") return `${part.mimeType}; charset="UTF-8"`;
  if (part.kind === "multipart") return `${part.mimeType}; boundary="${part.boundary}"`;
  return `${part.mimeType}; name="${part.filename}"`;
}

function partHeaders(part: MailPart): [string, string][] {
  const headers: [string, string][] = [["Content-Type", contentType(part)]];
  if (part.kind === "text") headers.push(["Content-Transfer-Encoding", "7bit"]);
  if (part.kind === "attachment") {
    headers.push(
      ["Content-Disposition", `attachment; filename="${part.filename}"`],
      ["Content-Transfer-Encoding", "base64"],
      ["X-Attachment-Id", part.attachmentId.slice(-10)],
    );
  }
  return headers;
}

function wrap76(text: string): string {
  return text.replace(/.{1,76}/g, "$&\r\n");
}

function partBody(part: MailPart): string {
  if (part.kind === "text") return part.text;
  if (part.kind === "attachment") {
    return wrap76(base64url(part.bytes).replaceAll("-", "+").replaceAll("_", "/"));
  }
  const inner = part.parts.map((p) =>
    `--${part.boundary}\r\n${headerLines(partHeaders(p))}\r\n${partBody(p)}\r\n`
  );
  return `${inner.join("")}--${part.boundary}--\r\n`;
}

function headerLines(headers: [string, string][]): string {
  return headers.map(([n, v]) => `${n}: ${v}\r\n`).join("");
}

/** The message as RFC 822 text: what Gmail's `format=raw` encodes. */
export function rfc822(message: MailMessage): string {
  const headers: [string, string][] = [
    ...message.headers,
    ["MIME-Version", "1.0"],
    ...partHeaders(message.root),
  ];
  return `${headerLines(headers)}\r\n${partBody(message.root)}`;
}

export function textOf(part: MailPart, mimeType = "text/plain"): string {
  if (part.kind === "text") return part.mimeType === mimeType ? part.text : "";
  if (part.kind === "multipart") return part.parts.map((p) => textOf(p, mimeType)).join("");
  return "";
}

export function attachments(part: MailPart): Extract<MailPart, { kind: "attachment" }>[] {
  if (part.kind === "attachment") return [part];
  if (part.kind === "multipart") return part.parts.flatMap(attachments);
  return [];
}

function escapeHtml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;").replaceAll("'", "&#39;");
}

/** Gmail's snippet: the start of the text, whitespace collapsed, HTML-escaped. */
export function snippet(message: MailMessage): string {
  const plain = textOf(message.root) || textOf(message.root, "text/html").replace(/<[^>]*>/g, " ");
  return escapeHtml(plain.replace(/\s+/g, " ").trim().slice(0, 200));
}

export function sizeEstimate(message: MailMessage): number {
  return encoder.encode(rfc822(message)).length;
}

function payloadPart(part: MailPart, partId: string, headers: [string, string][]): unknown {
  const common = {
    partId,
    mimeType: part.mimeType,
    filename: part.kind === "attachment" ? part.filename : "",
    headers: headers.map(([name, value]) => ({ name, value })),
  };
  if (part.kind === "text") {
    const bytes = encoder.encode(part.text);
    return { ...common, body: { size: bytes.length, data: base64url(bytes) } };
  }
  if (part.kind === "attachment") {
    return { ...common, body: { attachmentId: part.attachmentId, size: part.bytes.length } };
  }
  const prefix = partId === "" ? "" : `${partId}.`;
  return {
    ...common,
    body: { size: 0 },
    parts: part.parts.map((p, i) => payloadPart(p, `${prefix}${i}`, partHeaders(p))),
  };
}

/** Gmail's `payload` for `format=full`. */
export function fullPayload(message: MailMessage): unknown {
  const headers: [string, string][] = [
    ...message.headers,
    ["MIME-Version", "1.0"],
    ...partHeaders(message.root),
  ];
  return payloadPart(message.root, "", headers);
}

/** Gmail's `payload` for `format=metadata`: headers only, optionally only the named ones. */
export function metadataPayload(message: MailMessage, only: string[]): unknown {
  const wanted = only.map((n) => n.toLowerCase());
  const headers: [string, string][] = [
    ...message.headers,
    ["MIME-Version", "1.0"],
    ...partHeaders(message.root),
  ].filter(([n]) => wanted.length === 0 || wanted.includes(n.toLowerCase())) as [
    string,
    string,
  ][];
  return {
    partId: "",
    mimeType: message.root.mimeType,
    filename: "",
    headers: headers.map(([name, value]) => ({ name, value })),
  };
}

// ---- reading what an agent sends -------------------------------------------

interface ParsedEntity {
  headers: [string, string][];
  body: string;
}

function parseEntity(text: string): ParsedEntity {
  const split = /\r?\n\r?\n/.exec(text);
  const head = split ? text.slice(0, split.index) : text;
  const body = split ? text.slice(split.index + split[0].length) : "";
  const headers: [string, string][] = [];
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && headers.length > 0) {
      headers[headers.length - 1][1] += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(":");
    if (colon > 0) headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return { headers, body };
}

function entityHeader(entity: ParsedEntity, name: string): string {
  const lower = name.toLowerCase();
  return entity.headers.find(([n]) => n.toLowerCase() === lower)?.[1] ?? "";
}

function decodeQuotedPrintable(text: string): string {
  const soft = text.replace(/=\r?\n/g, "");
  const bytes: number[] = [];
  for (let i = 0; i < soft.length; i++) {
    const hex = soft[i] === "=" ? soft.slice(i + 1, i + 3) : "";
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...encoder.encode(soft[i]));
    }
  }
  return decoder.decode(new Uint8Array(bytes));
}

function decodeBody(entity: ParsedEntity): Uint8Array {
  const encoding = entityHeader(entity, "Content-Transfer-Encoding").toLowerCase();
  if (encoding === "base64") return fromBase64url(entity.body) ?? encoder.encode(entity.body);
  if (encoding === "quoted-printable") return encoder.encode(decodeQuotedPrintable(entity.body));
  return encoder.encode(entity.body);
}

/** `attachmentIds` names attachments of one message: `<prefix>_1`, `<prefix>_2` … */
function partFrom(entity: ParsedEntity, attachmentIds: () => string): MailPart {
  const type = entityHeader(entity, "Content-Type") || "text/plain";
  const mimeType = type.split(";")[0].trim().toLowerCase();
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (mimeType.startsWith("multipart/") && boundary) {
    const chunks = entity.body.split(`--${boundary}`).slice(1);
    const parts = chunks
      .filter((chunk) => !chunk.startsWith("--"))
      .map((chunk) =>
        partFrom(parseEntity(chunk.replace(/^\r?\n/, "").replace(/\r?\n$/, "")), attachmentIds)
      );
    return { kind: "multipart", mimeType, boundary, parts };
  }
  const disposition = entityHeader(entity, "Content-Disposition");
  const filename = /filename="?([^";]+)"?/i.exec(disposition)?.[1] ??
    /name="?([^";]+)"?/i.exec(type)?.[1];
  const bytes = decodeBody(entity);
  if (filename || !mimeType.startsWith("text/")) {
    return {
      kind: "attachment",
      mimeType,
      filename: filename ?? "",
      attachmentId: attachmentIds(),
      bytes,
    };
  }
  return { kind: "text", mimeType, text: decoder.decode(bytes) };
}

/** Addresses in an address-list header: `"Bob" <bob@x.com>, carol@y.org` → both. */
export function addresses(value: string): string[] {
  return [...value.matchAll(/[^\s<>,;:"()]+@[^\s<>,;:"()]+/g)].map((m) => m[0]);
}

/** A message the agent supplied as RFC 822 text, in the mailbox's model. */
export function messageFromRfc822(
  text: string,
  ids: {
    id: string;
    threadId: string;
    labelIds: string[];
    internalDate: number;
    historyId: number;
  },
): MailMessage {
  const entity = parseEntity(text);
  let attachmentCount = 0;
  const skip = new Set(["mime-version", "content-type", "content-transfer-encoding"]);
  return {
    ...ids,
    headers: entity.headers.filter(([n]) => !skip.has(n.toLowerCase())),
    root: partFrom(entity, () => `ANGjdJ_${ids.id}_${++attachmentCount}`),
  };
}
