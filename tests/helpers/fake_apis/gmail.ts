/**
 * A fake Gmail API v1 (`/gmail/v1/users/{userId}/…` and the `/upload/…`
 * media paths) over an in-memory mailbox: labels, messages (all four
 * formats), attachments, threads, drafts, send, trash and delete, with
 * Gmail's list paging and `q` search. Answers in Gmail's JSON shapes.
 */
import { bearerToken, bodyJson, bodyText, type FakeCall, type FakeProvider } from "./dispatcher.ts";
import {
  addresses,
  attachments,
  fullPayload,
  header,
  type MailMessage,
  messageFromRfc822,
  metadataPayload,
  rfc822,
  sizeEstimate,
  snippet,
  textOf,
} from "./gmail_mime.ts";
import {
  asksForSpamOrTrash,
  parseGmailQuery,
  queryMatches,
  type Searchable,
} from "./gmail_query.ts";
import { type GmailLabel, MAILBOX, seedLabels, seedMessages } from "./gmail_seed.ts";
import {
  base64url,
  fromBase64urlText,
  googleEmpty,
  googleError,
  googleJson,
  googleUnauthorized,
  pageOffset,
  pageToken,
  splitMultipart,
  underAny,
} from "./google_wire.ts";

/** A message that left the mailbox, as the test asserts on it. */
export interface SentMail {
  id: string;
  threadId: string;
  /** How it was submitted: JSON `{raw}`, an upload, or `drafts.send`. */
  via: "json" | "media" | "multipart" | "draft";
  /** The RFC 822 text as submitted. */
  rfc822: string;
  from: string;
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  /** Decoded text/plain (or text/html) content. */
  text: string;
}

export interface GmailState {
  address: string;
  labels: GmailLabel[];
  messages: Map<string, MailMessage>;
  /** Draft id → message id. */
  drafts: Map<string, string>;
  sent: SentMail[];
  /** Ids permanently deleted (`messages.delete`, `threads.delete`, `drafts.delete`). */
  deleted: string[];
  nextId: number;
}

export function createGmailState(): GmailState {
  return {
    address: MAILBOX,
    labels: seedLabels(),
    messages: seedMessages(),
    drafts: new Map(),
    sent: [],
    deleted: [],
    nextId: 0,
  };
}

const PREFIXES = ["/gmail/v1", "/upload/gmail/v1"];

function notFound(): Response {
  return googleError(404, "Requested entity was not found.", { reason: "notFound" });
}

function invalid(message: string): Response {
  return googleError(400, message, { reason: "invalidArgument" });
}

/** Google's front end answers unknown URLs with an HTML page, not JSON. */
function unknownUrl(path: string): Response {
  return new Response(
    `<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n  <title>Error 404 (Not Found)!!1</title>\n` +
      `  <p><b>404.</b> <ins>That\u2019s an error.</ins>\n  <p>The requested URL <code>${path}</code> ` +
      `was not found on this server.  <ins>That\u2019s all we know.</ins>\n`,
    { status: 404, headers: { "content-type": "text/html; charset=UTF-8" } },
  );
}

function newIds(state: GmailState) {
  state.nextId++;
  const id = `18f3a1c2b4d5e${(0x700 + state.nextId).toString(16)}`;
  const latest = Math.max(...[...state.messages.values()].map((m) => m.historyId), 184_000);
  return { id, internalDate: Date.now(), historyId: latest + 11 };
}

function searchable(state: GmailState, m: MailMessage): Searchable {
  const names = new Map(state.labels.map((l) => [l.id, l.name]));
  return {
    labelIds: m.labelIds,
    labelName: (id) => names.get(id),
    header: (name) => header(m, name),
    text: [
      header(m, "Subject"),
      header(m, "From"),
      header(m, "To"),
      header(m, "Cc"),
      textOf(m.root),
      textOf(m.root, "text/html"),
    ].join("\n"),
    filenames: attachments(m.root).map((a) => a.filename),
  };
}

/** Messages matching `q`, `labelIds` and `includeSpamTrash`, newest first. */
function matching(state: GmailState, query: URLSearchParams): MailMessage[] {
  const q = query.get("q") ?? "";
  const parsed = parseGmailQuery(q);
  const labelIds = query.getAll("labelIds").flatMap((v) => v.split(","));
  const spamTrash = query.get("includeSpamTrash") === "true" || asksForSpamOrTrash(q) ||
    labelIds.includes("SPAM") || labelIds.includes("TRASH");
  return [...state.messages.values()]
    .filter((m) => spamTrash || !m.labelIds.some((l) => l === "SPAM" || l === "TRASH"))
    .filter((m) => labelIds.every((l) => m.labelIds.includes(l)))
    .filter((m) => queryMatches(parsed, searchable(state, m)))
    .sort((a, b) => b.internalDate - a.internalDate);
}

/** One page of `items` and its `nextPageToken`, or an error for a bad token. */
function page<T>(items: T[], query: URLSearchParams): { items: T[]; next?: string } | Response {
  const offset = pageOffset(query.get("pageToken"));
  if (offset === null) return invalid("Invalid pageToken");
  const max = Math.min(Math.max(Number(query.get("maxResults") ?? "100") || 100, 1), 500);
  const slice = items.slice(offset, offset + max);
  const next = offset + max < items.length ? pageToken(offset + max) : undefined;
  return { items: slice, next };
}

const FORMATS = ["full", "minimal", "metadata", "raw"];

export function messageJson(m: MailMessage, format: string, metadataHeaders: string[] = []) {
  const base = {
    id: m.id,
    threadId: m.threadId,
    labelIds: m.labelIds,
    snippet: snippet(m),
  };
  const tail = {
    sizeEstimate: sizeEstimate(m),
    historyId: String(m.historyId),
    internalDate: String(m.internalDate),
  };
  if (format === "minimal") return { ...base, ...tail };
  if (format === "raw") return { ...base, ...tail, raw: base64url(rfc822(m)) };
  if (format === "metadata") {
    return { ...base, payload: metadataPayload(m, metadataHeaders), ...tail };
  }
  return { ...base, payload: fullPayload(m), ...tail };
}

function formatOf(query: URLSearchParams): string | Response {
  const format = query.get("format") ?? "full";
  return FORMATS.includes(format) ? format : invalid(`Invalid value at 'format' (${format})`);
}

function threadMessages(state: GmailState, threadId: string): MailMessage[] {
  return [...state.messages.values()]
    .filter((m) => m.threadId === threadId)
    .sort((a, b) => a.internalDate - b.internalDate);
}

function sentMail(m: MailMessage, via: SentMail["via"], text: string): SentMail {
  const list = (name: string) => addresses(header(m, name));
  return {
    id: m.id,
    threadId: m.threadId,
    via,
    rfc822: text,
    from: header(m, "From"),
    to: list("To"),
    cc: list("Cc"),
    bcc: list("Bcc"),
    subject: header(m, "Subject"),
    text: textOf(m.root) || textOf(m.root, "text/html"),
  };
}

interface Submitted {
  text: string;
  threadId?: string;
  via: "json" | "media" | "multipart";
}

/**
 * The RFC 822 text of a send or draft: JSON `{raw}` (drafts: `{message:{raw}}`)
 * on the plain path, the media itself on `/upload/…`.
 */
function submitted(call: FakeCall, upload: boolean, draft: boolean): Submitted | Response {
  if (!upload) {
    const json = bodyJson(call) as Record<string, unknown> | undefined;
    const message = (draft ? json?.message : json) as Record<string, unknown> | undefined;
    if (typeof message?.raw !== "string") {
      return invalid(
        "'raw' RFC822 payload message string or uploading message via /upload/* URL required",
      );
    }
    const text = fromBase64urlText(message.raw);
    if (text === null) return invalid("Invalid value for ByteString: raw");
    const threadId = typeof message.threadId === "string" ? message.threadId : undefined;
    return { text, threadId, via: "json" };
  }
  const uploadType = call.query.get("uploadType");
  if (uploadType === "media") return { text: bodyText(call), via: "media" };
  if (uploadType === "multipart") {
    const parts = splitMultipart(call.body, call.headers.get("content-type"));
    if (!parts || parts.length < 2) return invalid("Invalid multipart request");
    const meta = JSON.parse(new TextDecoder().decode(parts[0].body) || "{}");
    const threadId = (draft ? meta?.message?.threadId : meta?.threadId) ?? undefined;
    return { text: new TextDecoder().decode(parts[1].body), threadId, via: "multipart" };
  }
  return invalid(
    `Invalid upload type: ${uploadType ?? "(none)"} (the fake takes media and multipart)`,
  );
}

function store(
  state: GmailState,
  input: Submitted,
  labelIds: string[],
): MailMessage {
  const ids = newIds(state);
  const threadId = input.threadId && threadMessages(state, input.threadId).length > 0
    ? input.threadId
    : ids.id;
  const m = messageFromRfc822(input.text, { ...ids, threadId, labelIds });
  state.messages.set(m.id, m);
  return m;
}

function hasRecipients(m: MailMessage): boolean {
  return ["To", "Cc", "Bcc"].some((n) => addresses(header(m, n)).length > 0);
}

function send(state: GmailState, call: FakeCall, upload: boolean): Response {
  const input = submitted(call, upload, false);
  if (input instanceof Response) return input;
  const m = store(state, input, ["SENT"]);
  if (!hasRecipients(m)) {
    state.messages.delete(m.id);
    return invalid("Recipient address required");
  }
  state.sent.push(sentMail(m, input.via, input.text));
  return googleJson({ id: m.id, threadId: m.threadId, labelIds: m.labelIds });
}

function draftJson(draftId: string, m: MailMessage, format?: string) {
  return {
    id: draftId,
    message: format
      ? messageJson(m, format)
      : { id: m.id, threadId: m.threadId, labelIds: m.labelIds },
  };
}

function createDraft(state: GmailState, call: FakeCall, upload: boolean): Response {
  const input = submitted(call, upload, true);
  if (input instanceof Response) return input;
  const m = store(state, input, ["DRAFT"]);
  const draftId = `r-58361963726481${String(5000 + state.nextId).padStart(5, "0")}`;
  state.drafts.set(draftId, m.id);
  return googleJson(draftJson(draftId, m));
}

function sendDraft(state: GmailState, call: FakeCall): Response {
  const json = bodyJson(call) as { id?: unknown } | undefined;
  const draftId = typeof json?.id === "string" ? json.id : "";
  const messageId = state.drafts.get(draftId);
  const m = messageId ? state.messages.get(messageId) : undefined;
  if (!m) return notFound();
  if (!hasRecipients(m)) return invalid("Recipient address required");
  state.drafts.delete(draftId);
  m.labelIds = ["SENT"];
  state.sent.push(sentMail(m, "draft", rfc822(m)));
  return googleJson({ id: m.id, threadId: m.threadId, labelIds: m.labelIds });
}

function labelJson(state: GmailState, label: GmailLabel, counts: boolean) {
  const visibility = label.type === "user"
    ? { messageListVisibility: "show", labelListVisibility: "labelShow" }
    : {};
  const base = { id: label.id, name: label.name, ...visibility, type: label.type };
  if (!counts) return base;
  const inLabel = [...state.messages.values()].filter((m) => m.labelIds.includes(label.id));
  const unread = inLabel.filter((m) => m.labelIds.includes("UNREAD"));
  return {
    ...base,
    messagesTotal: inLabel.length,
    messagesUnread: unread.length,
    threadsTotal: new Set(inLabel.map((m) => m.threadId)).size,
    threadsUnread: new Set(unread.map((m) => m.threadId)).size,
  };
}

function modify(state: GmailState, m: MailMessage, add: string[], remove: string[]): Response {
  const known = new Set(state.labels.map((l) => l.id));
  const bad = [...add, ...remove].find((id) => !known.has(id));
  if (bad) return invalid(`Invalid label: ${bad}`);
  m.labelIds = [...new Set([...m.labelIds.filter((l) => !remove.includes(l)), ...add])];
  return googleJson({ id: m.id, threadId: m.threadId, labelIds: m.labelIds });
}

function listMessages(state: GmailState, query: URLSearchParams): Response {
  const all = matching(state, query);
  const paged = page(all, query);
  if (paged instanceof Response) return paged;
  return googleJson({
    ...(paged.items.length
      ? { messages: paged.items.map((m) => ({ id: m.id, threadId: m.threadId })) }
      : {}),
    ...(paged.next ? { nextPageToken: paged.next } : {}),
    resultSizeEstimate: all.length,
  });
}

function listThreads(state: GmailState, query: URLSearchParams): Response {
  const seen = new Set<string>();
  const threads = matching(state, query).filter((m) =>
    !seen.has(m.threadId) && seen.add(m.threadId)
  );
  const paged = page(threads, query);
  if (paged instanceof Response) return paged;
  const json = paged.items.map((m) => {
    const latest = threadMessages(state, m.threadId).at(-1)!;
    return { id: m.threadId, snippet: snippet(latest), historyId: String(latest.historyId) };
  });
  return googleJson({
    ...(json.length ? { threads: json } : {}),
    ...(paged.next ? { nextPageToken: paged.next } : {}),
    resultSizeEstimate: threads.length,
  });
}

function route(state: GmailState, call: FakeCall): Response {
  const match = /^\/(upload\/)?gmail\/v1\/users\/([^/]+)(\/.*)?$/.exec(call.path);
  if (!match) return unknownUrl(call.path);
  const upload = match[1] !== undefined;
  const user = decodeURIComponent(match[2]);
  if (user !== "me" && user.toLowerCase() !== state.address) {
    return googleError(403, `Delegation denied for ${state.address}`, { reason: "forbidden" });
  }
  const rest = (match[3] ?? "").split("/").slice(1).map(decodeURIComponent);
  const method = call.method;
  const q = call.query;
  const at = (i: number) => rest[i];

  if (upload) {
    if (method === "POST" && rest.join("/") === "messages/send") return send(state, call, true);
    if (method === "POST" && rest.join("/") === "drafts") return createDraft(state, call, true);
    return unknownUrl(call.path);
  }

  if (at(0) === "profile" && rest.length === 1 && method === "GET") {
    const threads = new Set([...state.messages.values()].map((m) => m.threadId));
    return googleJson({
      emailAddress: state.address,
      messagesTotal: state.messages.size,
      threadsTotal: threads.size,
      historyId: String(Math.max(...[...state.messages.values()].map((m) => m.historyId))),
    });
  }

  if (at(0) === "labels") {
    if (rest.length === 1 && method === "GET") {
      return googleJson({ labels: state.labels.map((l) => labelJson(state, l, false)) });
    }
    const label = state.labels.find((l) => l.id === at(1));
    if (rest.length === 2 && method === "GET") {
      return label ? googleJson(labelJson(state, label, true)) : notFound();
    }
    return unknownUrl(call.path);
  }

  if (at(0) === "messages") {
    if (rest.length === 1 && method === "GET") return listMessages(state, q);
    if (rest.length === 2 && at(1) === "send" && method === "POST") return send(state, call, false);
    const m = state.messages.get(at(1) ?? "");
    if (rest.length === 2 && method === "GET") {
      const format = formatOf(q);
      if (format instanceof Response) return format;
      return m ? googleJson(messageJson(m, format, q.getAll("metadataHeaders"))) : notFound();
    }
    if (rest.length === 2 && method === "DELETE") {
      if (!m) return notFound();
      state.messages.delete(m.id);
      state.deleted.push(m.id);
      return googleEmpty();
    }
    if (rest.length === 3 && method === "POST" && ["trash", "untrash", "modify"].includes(at(2))) {
      if (!m) return notFound();
      if (at(2) === "trash") return modify(state, m, ["TRASH"], ["INBOX"]);
      if (at(2) === "untrash") return modify(state, m, [], ["TRASH"]);
      const body = (bodyJson(call) ?? {}) as { addLabelIds?: string[]; removeLabelIds?: string[] };
      return modify(state, m, body.addLabelIds ?? [], body.removeLabelIds ?? []);
    }
    if (rest.length === 4 && at(2) === "attachments" && method === "GET") {
      const part = m ? attachments(m.root).find((a) => a.attachmentId === at(3)) : undefined;
      if (!part) return notFound();
      return googleJson({
        attachmentId: part.attachmentId,
        size: part.bytes.length,
        data: base64url(part.bytes),
      });
    }
    return unknownUrl(call.path);
  }

  if (at(0) === "threads") {
    if (rest.length === 1 && method === "GET") return listThreads(state, q);
    const messages = threadMessages(state, at(1) ?? "");
    if (rest.length === 2 && method === "GET") {
      const format = formatOf(q);
      if (format instanceof Response) return format;
      if (!messages.length) return notFound();
      return googleJson({
        id: at(1),
        historyId: String(messages.at(-1)!.historyId),
        messages: messages.map((m) => messageJson(m, format, q.getAll("metadataHeaders"))),
      });
    }
    if (rest.length === 2 && method === "DELETE") {
      if (!messages.length) return notFound();
      for (const m of messages) {
        state.messages.delete(m.id);
        state.deleted.push(m.id);
      }
      return googleEmpty();
    }
    if (rest.length === 3 && method === "POST" && (at(2) === "trash" || at(2) === "untrash")) {
      if (!messages.length) return notFound();
      for (const m of messages) {
        if (at(2) === "trash") modify(state, m, ["TRASH"], ["INBOX"]);
        else modify(state, m, [], ["TRASH"]);
      }
      return googleJson({
        id: at(1),
        historyId: String(messages.at(-1)!.historyId),
        messages: messages.map((m) => ({ id: m.id, threadId: m.threadId, labelIds: m.labelIds })),
      });
    }
    return unknownUrl(call.path);
  }

  if (at(0) === "drafts") {
    if (rest.length === 1 && method === "POST") return createDraft(state, call, false);
    if (rest.length === 2 && at(1) === "send" && method === "POST") return sendDraft(state, call);
    if (rest.length === 1 && method === "GET") {
      const drafts = [...state.drafts].map(([id, mid]) => ({
        id,
        message: state.messages.get(mid)!,
      }));
      const paged = page(drafts, q);
      if (paged instanceof Response) return paged;
      return googleJson({
        ...(paged.items.length
          ? { drafts: paged.items.map((d) => draftJson(d.id, d.message)) }
          : {}),
        ...(paged.next ? { nextPageToken: paged.next } : {}),
        resultSizeEstimate: drafts.length,
      });
    }
    const messageId = state.drafts.get(at(1) ?? "");
    const m = messageId ? state.messages.get(messageId) : undefined;
    if (rest.length === 2 && method === "GET") {
      const format = formatOf(q);
      if (format instanceof Response) return format;
      return m ? googleJson(draftJson(at(1), m, format)) : notFound();
    }
    if (rest.length === 2 && method === "DELETE") {
      if (!m) return notFound();
      state.drafts.delete(at(1));
      state.messages.delete(m.id);
      state.deleted.push(m.id);
      return googleEmpty();
    }
    return unknownUrl(call.path);
  }
  return unknownUrl(call.path);
}

export function gmailFake(state: GmailState): FakeProvider {
  return {
    name: "gmail",
    serves: (path) => underAny(path, PREFIXES),
    tokenOf: (call) => bearerToken(call.headers),
    unauthorized: (_call, sent) => googleUnauthorized(sent),
    handle: (call) => route(state, call),
  };
}
