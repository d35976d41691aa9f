import assert from "node:assert/strict";
import { operationMapFor } from "../operation_maps.ts";
import { assertCases } from "./test_cases.ts";

Deno.test("gitlab: projects, issues, merge requests, files", () => {
  assertCases("gitlab", [
    ["GET", "/api/v4/projects", "gitlab.projects.list", "read"],
    ["GET", "/api/v4/projects/42", "gitlab.projects.get", "read"],
    ["DELETE", "/api/v4/projects/42", "gitlab.projects.delete", "delete"],
    ["POST", "/api/v4/projects/42/issues", "gitlab.issues.create", "write"],
    ["PUT", "/api/v4/projects/42/merge_requests/7/merge", "gitlab.merge_requests.merge", "write"],
    [
      "GET",
      "/api/v4/projects/42/repository/files/src%2Fa.ts/raw",
      "gitlab.repository_files.raw",
      "read",
    ],
    [
      "DELETE",
      "/api/v4/projects/42/repository/files/a.ts",
      "gitlab.repository_files.delete",
      "delete",
    ],
    ["GET", "/api/v4/user", "gitlab.user.get", "read"],
    ["POST", "/api/v4/projects/42/unknown", "gitlab.unknown", "write"],
  ]);
});

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

Deno.test("dropbox: RPC and content routes on one map, both hosts", () => {
  const cases = [
    ["POST", "/2/files/list_folder", "dropbox.files.list_folder", "read"],
    ["POST", "/2/files/list_folder/continue", "dropbox.files.list_folder.continue", "read"],
    ["POST", "/2/files/delete_v2", "dropbox.files.delete_v2", "delete"],
    ["POST", "/2/files/DELETE_V2/", "dropbox.files.delete_v2", "delete"],
    ["POST", "/2/files/delete_batch", "dropbox.files.delete_batch", "delete"],
    ["POST", "/2/files/download", "dropbox.files.download", "read"],
    ["POST", "/2/files/upload", "dropbox.files.upload", "write"],
    [
      "POST",
      "/2/sharing/create_shared_link_with_settings",
      "dropbox.sharing.create_shared_link_with_settings",
      "send",
    ],
    ["POST", "/2/files/delete_batch_v3", "dropbox.unknown", "delete"],
    ["POST", "/2/team/remove_thing", "dropbox.unknown", "delete"],
    ["POST", "/2/files/undeleted", "dropbox.unknown", "write"],
  ] as const;
  assertCases("dropbox", cases);
  assertCases("dropbox-content", cases);
  assert.equal(operationMapFor("dropbox-content"), operationMapFor("dropbox"));
});

Deno.test("linear: the operation comes from the body", () => {
  const map = operationMapFor("linear");
  const call = { method: "POST", path: "/graphql", query: "" };
  assert.equal(map.peekBytes, 64 * 1024);
  assert.equal(map.wantsBody?.(call), true);
  const body = (query: string) => new TextEncoder().encode(JSON.stringify({ query }));
  assert.deepEqual(
    map.resolveBody?.(
      call,
      body('mutation { issueCreate(input: {title: "t"}) { success } }'),
      "application/json",
    ),
    { id: "linear.mutation.issueCreate", class: "write" },
  );
  assert.deepEqual(
    map.resolveBody?.(call, body("mutation { issueDelete(id: 1) { success } }"), null),
    { id: "linear.mutation.issueDelete", class: "delete" },
  );
  assert.deepEqual(map.resolveBody?.(call, new Uint8Array(0), null), {
    id: "linear.graphql",
    class: "write",
    multiplexed: true,
  });
  assertCases("linear", [
    ["POST", "/graphql", "linear.graphql", "write", true],
    ["POST", "/rest/issues", "linear.unknown", "write"],
  ]);
});

Deno.test("atlassian: Jira v3 and v2, Confluence v2 and v1", () => {
  assertCases("atlassian", [
    ["POST", "/ex/jira/c1/rest/api/3/issue", "atlassian.jira.issues.createIssue", "write"],
    ["GET", "/ex/jira/c1/rest/api/3/issue/PRJ-1", "atlassian.jira.issues.getIssue", "read"],
    ["DELETE", "/ex/jira/c1/rest/api/2/issue/PRJ-1", "atlassian.jira.issues.deleteIssue", "delete"],
    ["POST", "/ex/jira/c1/rest/api/3/issue/PRJ-1/notify", "atlassian.jira.issues.notify", "send"],
    [
      "GET",
      "/ex/jira/c1/rest/api/3/search/jql",
      "atlassian.jira.issueSearch.searchForIssuesUsingJqlEnhancedSearch",
      "read",
    ],
    [
      "POST",
      "/ex/jira/c1/rest/api/3/issue/PRJ-1/comment",
      "atlassian.jira.issueComments.addComment",
      "write",
    ],
    [
      "GET",
      "/ex/confluence/c1/wiki/api/v2/pages/9",
      "atlassian.confluence.page.getPageById",
      "read",
    ],
    [
      "DELETE",
      "/ex/confluence/c1/wiki/api/v2/pages/9",
      "atlassian.confluence.page.deletePage",
      "delete",
    ],
    [
      "PUT",
      "/ex/confluence/c1/wiki/rest/api/content/9",
      "atlassian.confluence.content.updateContent",
      "write",
    ],
    ["GET", "/ex/jira/c1/rest/agile/1.0/board", "atlassian.unknown", "read"],
  ]);
});
