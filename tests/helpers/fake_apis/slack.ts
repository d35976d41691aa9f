/**
 * A fake Slack Web API (`/api/<method>`): chat.postMessage, chat.delete,
 * conversations.list, conversations.history, conversations.info, auth.test.
 * Arguments come as query, form or JSON, like Slack takes them; every answer
 * is HTTP 200 with `ok` (and `error` when false), as Slack's are. The token is
 * read from `Authorization: Bearer` or, for form posts, a `token` field.
 */
import { bearerToken, bodyJson, bodyText, type FakeCall, type FakeProvider } from "./dispatcher.ts";

export interface SlackChannel {
  id: string;
  name: string;
  isPrivate: boolean;
  created: number;
  topic: string;
  purpose: string;
}

export interface SlackMessage {
  type: "message";
  user: string;
  text: string;
  ts: string;
  thread_ts?: string;
  blocks?: unknown[];
  [key: string]: unknown;
}

export interface SlackState {
  team: { id: string; name: string; domain: string };
  user: { id: string; name: string };
  channels: SlackChannel[];
  /** Channel id → messages, newest first. */
  history: Map<string, SlackMessage[]>;
  /** Messages chat.postMessage accepted, with their channel id. */
  posted: { channel: string; message: SlackMessage }[];
  /** chat.delete: channel id and ts. */
  deleted: { channel: string; ts: string }[];
  nextTs: number;
}

export const SLACK_CHANNELS = {
  /** #general: three messages; one with an email (as Slack links it) and a phone number. */
  GENERAL: "C01ACMEGEN1",
  /** #random. */
  RANDOM: "C01ACMERND2",
  /** #hr-private, a private channel (listed only with types=private_channel). */
  HR_PRIVATE: "C01ACMEHRP3",
};

export function createSlackState(): SlackState {
  const user = { id: "U01ALICE001", name: "alice" };
  const message = (ts: string, who: string, text: string, extra = {}): SlackMessage => ({
    type: "message",
    user: who,
    text,
    ts,
    team: "T01ACME0001",
    ...extra,
  });
  return {
    team: { id: "T01ACME0001", name: "Acme Corp", domain: "acme-corp" },
    user,
    channels: [
      {
        id: SLACK_CHANNELS.GENERAL,
        name: "general",
        isPrivate: false,
        created: 1609459200,
        topic: "Company-wide",
        purpose: "Announcements and work-based matters",
      },
      {
        id: SLACK_CHANNELS.RANDOM,
        name: "random",
        isPrivate: false,
        created: 1609459201,
        topic: "",
        purpose: "Non-work banter",
      },
      {
        id: SLACK_CHANNELS.HR_PRIVATE,
        name: "hr-private",
        isPrivate: true,
        created: 1609459202,
        topic: "",
        purpose: "People team only",
      },
    ],
    history: new Map([
      [SLACK_CHANNELS.GENERAL, [
        message(
          "1715000300.000300",
          "U01DANA0003",
          "Ping me at <mailto:dana.lee@contoso.com|dana.lee@contoso.com> or +1 (415) 555-0132 for the onsite badge",
          {
            client_msg_id: "5e2b1d8c-7a44-4a3e-9c11-2f3b7d9e8a10",
            blocks: [{
              type: "rich_text",
              block_id: "Xy7Q",
              elements: [{
                type: "rich_text_section",
                elements: [
                  { type: "text", text: "Ping me at " },
                  {
                    type: "link",
                    url: "mailto:dana.lee@contoso.com",
                    text: "dana.lee@contoso.com",
                  },
                  { type: "text", text: " or +1 (415) 555-0132 for the onsite badge" },
                ],
              }],
            }],
          },
        ),
        message("1715000200.000200", "U01CAROL002", "Planning review moved to Thursday 10:00"),
        message("1715000100.000100", user.id, "Welcome to #general!"),
      ]],
      [SLACK_CHANNELS.RANDOM, [message("1715000050.000050", "U01CAROL002", "Lunch anyone?")]],
      [SLACK_CHANNELS.HR_PRIVATE, [
        message(
          "1715000400.000400",
          "U01PEOPLE04",
          "Offer for Dana approved, SSN on file 987-65-4320",
        ),
      ]],
    ]),
    posted: [],
    deleted: [],
    nextTs: 0,
  };
}

function slackHeaders(): Headers {
  return new Headers({
    "content-type": "application/json; charset=utf-8",
    "x-slack-req-id": crypto.randomUUID().replaceAll("-", ""),
    "x-oauth-scopes": "channels:history,channels:read,chat:write,groups:read",
    "x-accepted-oauth-scopes": "chat:write",
    "access-control-allow-origin": "*",
    "x-content-type-options": "nosniff",
    "x-xss-protection": "0",
  });
}

function ok(body: Record<string, unknown>, warnings: string[] = []): Response {
  const json = {
    ok: true,
    ...body,
    ...(warnings.length ? { warning: warnings.join(","), response_metadata: { warnings } } : {}),
  };
  return new Response(JSON.stringify(json), { headers: slackHeaders() });
}

function fail(error: string, extra: Record<string, unknown> = {}): Response {
  return new Response(JSON.stringify({ ok: false, error, ...extra }), { headers: slackHeaders() });
}

/** Slack's arguments: query string, then a form or JSON body. */
function args(call: FakeCall): Record<string, unknown> {
  const out: Record<string, unknown> = Object.fromEntries(call.query);
  const type = call.headers.get("content-type") ?? "";
  if (type.includes("application/json")) {
    const json = bodyJson(call);
    if (json && typeof json === "object") Object.assign(out, json);
  } else if (call.body.length > 0) {
    Object.assign(out, Object.fromEntries(new URLSearchParams(bodyText(call))));
  }
  return out;
}

function channelJson(state: SlackState, c: SlackChannel) {
  return {
    id: c.id,
    name: c.name,
    is_channel: !c.isPrivate,
    is_group: c.isPrivate,
    is_im: false,
    is_mpim: false,
    is_private: c.isPrivate,
    created: c.created,
    is_archived: false,
    is_general: c.name === "general",
    unlinked: 0,
    name_normalized: c.name,
    is_shared: false,
    is_org_shared: false,
    is_member: true,
    creator: state.user.id,
    topic: {
      value: c.topic,
      creator: c.topic ? state.user.id : "",
      last_set: c.topic ? c.created : 0,
    },
    purpose: { value: c.purpose, creator: state.user.id, last_set: c.created },
    previous_names: [],
    num_members: c.isPrivate ? 3 : 42,
  };
}

function findChannel(state: SlackState, value: unknown): SlackChannel | undefined {
  const wanted = String(value ?? "").replace(/^#/, "");
  return state.channels.find((c) => c.id === wanted || c.name === wanted);
}

/** Slack cursors are base64 of an opaque position. */
function cursorPage<T>(items: T[], a: Record<string, unknown>, fallback: number) {
  const start = a.cursor ? Number(atob(String(a.cursor)).replace(/^next:/, "")) || 0 : 0;
  const limit = Math.min(Math.max(Number(a.limit ?? fallback) || fallback, 1), 1000);
  const slice = items.slice(start, start + limit);
  const next = start + limit < items.length ? btoa(`next:${start + limit}`) : "";
  return { slice, next };
}

function textOfBlocks(blocks: unknown): string {
  return JSON.stringify(blocks ?? "").match(/"text":"([^"]*)"/g)?.map((t) => t.slice(8, -1)).join(
    " ",
  ) ?? "";
}

function postMessage(state: SlackState, call: FakeCall, a: Record<string, unknown>): Response {
  const channel = findChannel(state, a.channel);
  if (!channel) return fail("channel_not_found");
  let blocks = a.blocks;
  if (typeof blocks === "string") {
    try {
      blocks = JSON.parse(blocks);
    } catch {
      return fail("invalid_blocks_format");
    }
  }
  const text = typeof a.text === "string" ? a.text : "";
  if (!text && !Array.isArray(blocks)) return fail("no_text");
  state.nextTs++;
  const ts = `${1715001000 + state.nextTs}.${String(state.nextTs * 100).padStart(6, "0")}`;
  const message: SlackMessage = {
    user: state.user.id,
    type: "message",
    ts,
    app_id: "A01SECURIX1",
    text: text || textOfBlocks(blocks),
    team: state.team.id,
    ...(a.thread_ts ? { thread_ts: String(a.thread_ts) } : {}),
    blocks: Array.isArray(blocks) ? blocks : [{
      type: "rich_text",
      block_id: `b${state.nextTs}`,
      elements: [{ type: "rich_text_section", elements: [{ type: "text", text }] }],
    }],
  };
  state.history.set(channel.id, [message, ...(state.history.get(channel.id) ?? [])]);
  state.posted.push({ channel: channel.id, message });
  // Slack warns about JSON posted without a charset.
  const type = call.headers.get("content-type") ?? "";
  const warnings = type.includes("application/json") && !/charset/i.test(type)
    ? ["missing_charset"]
    : [];
  return ok({ channel: channel.id, ts, message }, warnings);
}

function route(state: SlackState, call: FakeCall): Response {
  const method = call.path.slice("/api/".length);
  const a = args(call);
  switch (method) {
    case "api.test":
      return ok({ args: a });
    case "auth.test":
      return ok({
        url: `https://${state.team.domain}.slack.com/`,
        team: state.team.name,
        user: state.user.name,
        team_id: state.team.id,
        user_id: state.user.id,
        is_enterprise_install: false,
      });
    case "chat.postMessage":
      return postMessage(state, call, a);
    case "chat.delete": {
      const channel = findChannel(state, a.channel);
      if (!channel) return fail("channel_not_found");
      const messages = state.history.get(channel.id) ?? [];
      const index = messages.findIndex((m) => m.ts === String(a.ts ?? ""));
      if (index < 0) return fail("message_not_found");
      messages.splice(index, 1);
      state.deleted.push({ channel: channel.id, ts: String(a.ts) });
      return ok({ channel: channel.id, ts: String(a.ts) });
    }
    case "conversations.list": {
      const types = String(a.types ?? "public_channel").split(",");
      const chosen = state.channels.filter((c) =>
        types.includes(c.isPrivate ? "private_channel" : "public_channel")
      );
      const { slice, next } = cursorPage(chosen, a, 100);
      return ok({
        channels: slice.map((c) => channelJson(state, c)),
        response_metadata: { next_cursor: next },
      });
    }
    case "conversations.info": {
      const channel = findChannel(state, a.channel);
      return channel ? ok({ channel: channelJson(state, channel) }) : fail("channel_not_found");
    }
    case "conversations.history": {
      const channel = findChannel(state, a.channel);
      if (!channel) return fail("channel_not_found");
      const { slice, next } = cursorPage(state.history.get(channel.id) ?? [], a, 100);
      return ok({
        messages: slice,
        has_more: next !== "",
        pin_count: 0,
        channel_actions_ts: null,
        channel_actions_count: 0,
        ...(next ? { response_metadata: { next_cursor: next } } : {}),
      });
    }
    default:
      return fail("unknown_method", { req_method: method });
  }
}

/** Header first; a form post may carry `token` instead, as Slack allows. */
function slackToken(call: FakeCall): string | null {
  const header = bearerToken(call.headers);
  if (header) return header;
  const type = call.headers.get("content-type") ?? "";
  if (type.includes("application/x-www-form-urlencoded")) {
    return new URLSearchParams(bodyText(call)).get("token");
  }
  return call.query.get("token");
}

export function slackFake(state: SlackState): FakeProvider {
  return {
    name: "slack",
    serves: (path) => path.startsWith("/api/"),
    tokenOf: slackToken,
    // Slack says `not_authed` when no token came and `invalid_auth` for a wrong one.
    unauthorized: (_call, sent) => fail(sent === null ? "not_authed" : "invalid_auth"),
    handle: (call) => route(state, call),
  };
}
