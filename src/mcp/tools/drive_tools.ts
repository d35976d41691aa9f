import { z } from "zod";
import { type CuratedTool, outcomeOf } from "./tool.ts";

const searchInput = z.strictObject({
  query: z.string().min(1).max(500).describe(
    "Words to look for in file names and contents (plain words, not Drive query syntax).",
  ),
  pageSize: z.number().int().min(1).max(50).default(20).describe("How many (1-50, default 20)."),
});

/** A Drive query string literal: backslash and quote escaped, as the Drive API wants. */
export function driveLiteral(text: string): string {
  return `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

export const DRIVE_TOOLS: CuratedTool[] = [
  {
    name: "drive_search_files",
    provider: "drive",
    description:
      "Searches the user's Google Drive for files whose name or content contains the words (trashed files left out). Returns each file's id, name, type, last change and link.",
    input: searchInput,
    probe: { method: "GET", path: "/drive/v3/files" },
    async run(args: z.output<typeof searchInput>, call) {
      const found = await call({
        method: "GET",
        path: "/drive/v3/files",
        query: {
          q: `fullText contains ${driveLiteral(args.query)} and trashed = false`,
          pageSize: String(args.pageSize),
          fields: "files(id,name,mimeType,modifiedTime,webViewLink)",
        },
      });
      return outcomeOf(found, (json) => ({
        files: (json as { files?: unknown[] })?.files ?? [],
      }));
    },
  },
];
