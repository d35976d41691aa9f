import { assertCases } from "./test_cases.ts";

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

Deno.test("atlassian: `;` path parameters (JAX-RS matrix parameters) do not hide an operation", () => {
  // Jira and Confluence route on the path without them: `notify;x` is notify.
  assertCases("atlassian", [
    [
      "POST",
      "/ex/jira/c1/rest/api/3/issue/PRJ-1/notify;x=1",
      "atlassian.jira.issues.notify",
      "send",
    ],
    [
      "POST",
      "/ex/jira/c1/rest/api/3/issue/PRJ-1;a/notify;",
      "atlassian.jira.issues.notify",
      "send",
    ],
    [
      "DELETE",
      "/ex/jira/c1/rest/api;v=1/3/issue;x/PRJ-1",
      "atlassian.jira.issues.deleteIssue",
      "delete",
    ],
    [
      "DELETE",
      "/ex/confluence/c1/wiki/api/v2/pages;p/9",
      "atlassian.confluence.page.deletePage",
      "delete",
    ],
  ]);
});
