import { assertCases } from "./test_cases.ts";

Deno.test("notion: pages, databases, blocks", () => {
  assertCases("notion", [
    ["POST", "/v1/pages", "notion.pages.create", "write"],
    ["GET", "/v1/pages/abc", "notion.pages.retrieve", "read"],
    ["PATCH", "/v1/pages/abc", "notion.pages.update", "write"],
    ["POST", "/v1/databases/abc/query", "notion.databases.query", "read"],
    ["GET", "/v1/blocks/abc/children", "notion.blocks.children.list", "read"],
    ["PATCH", "/v1/blocks/abc/children", "notion.blocks.children.append", "write"],
    ["DELETE", "/v1/blocks/abc", "notion.blocks.delete", "delete"],
    ["GET", "/v1/users/me", "notion.users.me", "read"],
    ["GET", "/v1/users/u1", "notion.users.retrieve", "read"],
    ["POST", "/v1/search", "notion.search", "read"],
    ["DELETE", "/v1/pages/abc", "notion.unknown", "delete"],
  ]);
});
