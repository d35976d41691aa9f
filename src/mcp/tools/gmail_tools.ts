import { z } from "zod";
import { Refused } from "../mcp_provider_call.ts";
import { type CuratedTool, headerLine, outcomeOf, pick, segment } from "./tool.ts";

const USER = "/gmail/v1/users/me";
const HEADERS = ["From", "To", "Cc", "Subject", "Date"];
/** The most of a message's text a model gets. */
const BODY_CHARS = 8_000;

const listInput = z.strictObject({
  query: z.string().max(1000).optional().describe(
    'Gmail search, as typed in Gmail\'s search box (e.g. "from:bob is:unread newer_than:7d"). Empty: the newest messages.',
  ),
  maxResults: z.number().int().min(1).max(25).default(10).describe(
    "How many messages (1-25, default 10).",
  ),
});

const getInput = z.strictObject({
  id: z.string().min(1).max(256).describe("The message id (from gmail_list_messages)."),
});

const composeInput = z.strictObject({
  to: headerLine("to").describe('Recipients, comma-separated (e.g. "Bob <bob@example.com>").'),
  subject: headerLine("subject").describe("The subject line."),
  body: z.string().max(200_000).describe("The message text (plain text)."),
  cc: headerLine("cc").optional().describe("Cc recipients, comma-separated."),
});

function headersOf(message: unknown): Record<string, string> {
  const headers = (message as { payload?: { headers?: { name: string; value: string }[] } })
    ?.payload?.headers ?? [];
  const out: Record<string, string> = {};
  for (const h of headers) {
    const name = HEADERS.find((n) => n.toLowerCase() === String(h.name).toLowerCase());
    if (name && out[name] === undefined) out[name.toLowerCase()] = String(h.value);
  }
  return out;
}

interface Part {
  mimeType?: string;
  body?: { data?: string };
  parts?: Part[];
}

function fromBase64Url(data: string): string {
  const b64 = data.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

/** The message's text: its text/plain part, else its HTML without tags. */
export function messageText(payload: Part | undefined): string | null {
  const find = (part: Part | undefined, type: string): string | null => {
    if (!part) return null;
    if (part.mimeType?.toLowerCase().startsWith(type) && part.body?.data) {
      try {
        return fromBase64Url(part.body.data);
      } catch {
        return null;
      }
    }
    for (const child of part.parts ?? []) {
      const found = find(child, type);
      if (found !== null) return found;
    }
    return null;
  };
  const plain = find(payload, "text/plain");
  if (plain !== null) return plain;
  const html = find(payload, "text/html");
  return html === null ? null : html.replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim();
}

function cut(text: string | null, max: number): string | null {
  if (text === null || text.length <= max) return text;
  return `${text.slice(0, max)}… [cut: ${text.length - max} more characters]`;
}

/** An RFC 5322 message as Gmail's `raw` wants it (base64url). Header values are single lines. */
export function rawMessage(input: z.output<typeof composeInput>): string {
  const encodeWord = (v: string) =>
    /^[\x20-\x7e]*$/.test(v)
      ? v
      : `=?UTF-8?B?${btoa(String.fromCharCode(...new TextEncoder().encode(v)))}?=`;
  const lines = [
    `To: ${input.to}`,
    ...(input.cc ? [`Cc: ${input.cc}`] : []),
    `Subject: ${encodeWord(input.subject)}`,
    "MIME-Version: 1.0",
    'Content-Type: text/plain; charset="UTF-8"',
    "Content-Transfer-Encoding: base64",
    "",
    btoa(String.fromCharCode(...new TextEncoder().encode(input.body))).replace(/.{76}/g, "$&\r\n"),
  ];
  const bytes = new TextEncoder().encode(lines.join("\r\n"));
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export const GMAIL_TOOLS: CuratedTool[] = [
  {
    name: "gmail_list_messages",
    provider: "gmail",
    description:
      "Searches the user's Gmail mailbox. Returns up to maxResults messages, newest first, each with id, threadId, from, to, subject, date and a short snippet; use gmail_get_message with an id for the full text.",
    input: listInput,
    probe: { method: "GET", path: `${USER}/messages` },
    async run(args: z.output<typeof listInput>, call) {
      const list = await call({
        method: "GET",
        path: `${USER}/messages`,
        query: {
          maxResults: String(args.maxResults),
          ...(args.query ? { q: args.query } : {}),
        },
      });
      const outcome = outcomeOf(list, (json) => json);
      if (!outcome.ok) return outcome;
      const ids = ((list.json as { messages?: { id: string }[] })?.messages ?? []).map((m) => m.id);
      const messages = [];
      for (const id of ids) {
        // Each message is its own call through the pipeline: rules (hide, redact) see each.
        const got = await call({
          method: "GET",
          path: `${USER}/messages/${segment(id)}`,
          query: { format: "metadata", metadataHeaders: HEADERS },
        }).catch((error) => {
          // A message a hide rule keeps out is left out of the list, as the list call does.
          if (error instanceof Refused && error.error.code === "SX-FOLDER-HIDDEN") return null;
          throw error;
        });
        if (got === null || got.status !== 200) continue;
        const m = got.json as Record<string, unknown>;
        messages.push({ id: m.id, threadId: m.threadId, ...headersOf(m), snippet: m.snippet });
      }
      return {
        ok: true,
        value: {
          messages,
          ...(typeof (list.json as Record<string, unknown>)?.nextPageToken === "string"
            ? { more: true }
            : {}),
        },
      };
    },
  },
  {
    name: "gmail_get_message",
    provider: "gmail",
    description:
      "Reads one Gmail message. Returns its id, threadId, labels, from, to, cc, subject, date and its text (plain text, cut at 8000 characters).",
    input: getInput,
    probe: { method: "GET", path: `${USER}/messages/x` },
    async run(args: z.output<typeof getInput>, call) {
      const got = await call({
        method: "GET",
        path: `${USER}/messages/${segment(args.id)}`,
        query: { format: "full" },
      });
      return outcomeOf(got, (json) => {
        const m = json as Record<string, unknown> & { payload?: Part };
        return {
          id: m.id,
          threadId: m.threadId,
          labelIds: m.labelIds,
          ...headersOf(m),
          text: cut(messageText(m.payload), BODY_CHARS) ?? m.snippet ?? null,
        };
      });
    },
  },
  {
    name: "gmail_create_draft",
    provider: "gmail",
    description:
      "Saves a plain-text email as a draft in the user's Gmail (nothing is sent). Returns the draft id and its message id.",
    input: composeInput,
    probe: { method: "POST", path: `${USER}/drafts` },
    async run(args: z.output<typeof composeInput>, call) {
      const made = await call({
        method: "POST",
        path: `${USER}/drafts`,
        body: { message: { raw: rawMessage(args) } },
      });
      return outcomeOf(made, (json) => {
        const d = json as { id?: string; message?: { id?: string } };
        return { draftId: d.id, messageId: d.message?.id };
      });
    },
  },
  {
    name: "gmail_send_message",
    provider: "gmail",
    description:
      "Sends a plain-text email from the user's Gmail account. Returns the sent message's id and threadId.",
    input: composeInput,
    probe: { method: "POST", path: `${USER}/messages/send` },
    async run(args: z.output<typeof composeInput>, call) {
      const sent = await call({
        method: "POST",
        path: `${USER}/messages/send`,
        body: { raw: rawMessage(args) },
      });
      return outcomeOf(sent, (json) => pick(json, ["id", "threadId", "labelIds"]));
    },
  },
];
