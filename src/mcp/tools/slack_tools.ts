import { z } from "zod";
import { type CallAnswer, type CuratedTool, pick, type ToolOutcome } from "./tool.ts";

const postInput = z.strictObject({
  channel: z.string().min(1).max(200).describe(
    "The channel id (e.g. C0123456789) or name (e.g. #general) to post in.",
  ),
  text: z.string().min(1).max(40_000).describe("The message text (Slack mrkdwn)."),
  threadTs: z.string().regex(/^\d+\.\d+$/).optional().describe(
    "Reply in this thread (the parent message's ts).",
  ),
});

const listInput = z.strictObject({
  limit: z.number().int().min(1).max(200).default(50).describe("How many (1-200, default 50)."),
});

/** Slack answers 200 with `ok: false` on failure: that is a tool error too. */
function slackOutcome(
  answer: CallAnswer,
  trim: (json: Record<string, unknown>) => unknown,
): ToolOutcome {
  const json = answer.json as Record<string, unknown> | undefined;
  if (answer.status !== 200 || !json || json.ok !== true) {
    return { ok: false, status: answer.status, value: json ?? answer.text };
  }
  return { ok: true, value: trim(json) };
}

export const SLACK_TOOLS: CuratedTool[] = [
  {
    name: "slack_post_message",
    provider: "slack",
    description:
      "Posts a message to a Slack channel as the user (optionally as a thread reply). Returns the channel id and the message's ts.",
    input: postInput,
    probe: { method: "POST", path: "/api/chat.postMessage" },
    async run(args: z.output<typeof postInput>, call) {
      const posted = await call({
        method: "POST",
        path: "/api/chat.postMessage",
        body: {
          channel: args.channel,
          text: args.text,
          ...(args.threadTs ? { thread_ts: args.threadTs } : {}),
        },
      });
      return slackOutcome(posted, (json) => pick(json, ["channel", "ts"]));
    },
  },
  {
    name: "slack_list_channels",
    provider: "slack",
    description:
      "Lists the Slack channels the user can see. Returns each channel's id, name, whether it is private, and its topic.",
    input: listInput,
    probe: { method: "GET", path: "/api/conversations.list" },
    async run(args: z.output<typeof listInput>, call) {
      const listed = await call({
        method: "GET",
        path: "/api/conversations.list",
        query: { limit: String(args.limit), exclude_archived: "true" },
      });
      return slackOutcome(listed, (json) => ({
        channels: ((json.channels as Record<string, unknown>[]) ?? []).map((c) => ({
          ...pick(c, ["id", "name", "is_private"]),
          topic: (c.topic as { value?: string } | undefined)?.value || undefined,
        })),
      }));
    },
  },
];
