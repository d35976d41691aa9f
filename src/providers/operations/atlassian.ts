import type { OperationEntry } from "../operation.ts";
import { entriesUnder, type EntryRow } from "../operation_map.ts";

/**
 * Atlassian Cloud through api.atlassian.com: Jira at
 * `/ex/jira/{cloudid}/rest/api/3/…` (v2 gets the same ids) and Confluence at
 * `/ex/confluence/{cloudid}/wiki/api/v2/…` and `…/wiki/rest/api/…` (v1).
 * Ids are the REST reference's operationIds grouped as in jira.js and
 * confluence.js (`atlassian.jira.issues.createIssue`).
 */

const JIRA: EntryRow[] = [
  ["GET", "/myself", "myself.getCurrentUser", "read"],
  ["GET", "/serverInfo", "serverInfo.getServerInfo", "read"],
  ["GET", "/search", "issueSearch.searchForIssuesUsingJql", "read"],
  ["POST", "/search", "issueSearch.searchForIssuesUsingJqlPost", "read"],
  ["GET", "/search/jql", "issueSearch.searchForIssuesUsingJqlEnhancedSearch", "read"],
  ["POST", "/search/jql", "issueSearch.searchForIssuesUsingJqlEnhancedSearchPost", "read"],
  ["POST", "/issue", "issues.createIssue", "write"],
  ["POST", "/issue/bulk", "issues.createIssues", "write"],
  ["GET", "/issue/{issueIdOrKey}", "issues.getIssue", "read"],
  ["PUT", "/issue/{issueIdOrKey}", "issues.editIssue", "write"],
  ["DELETE", "/issue/{issueIdOrKey}", "issues.deleteIssue", "delete"],
  ["PUT", "/issue/{issueIdOrKey}/assignee", "issues.assignIssue", "write"],
  ["GET", "/issue/{issueIdOrKey}/transitions", "issues.getTransitions", "read"],
  ["POST", "/issue/{issueIdOrKey}/transitions", "issues.doTransition", "write"],
  ["GET", "/issue/{issueIdOrKey}/changelog", "issues.getChangeLogs", "read"],
  // Emails the people the body names.
  ["POST", "/issue/{issueIdOrKey}/notify", "issues.notify", "send"],
  ["GET", "/issue/{issueIdOrKey}/comment", "issueComments.getComments", "read"],
  ["POST", "/issue/{issueIdOrKey}/comment", "issueComments.addComment", "write"],
  ["GET", "/issue/{issueIdOrKey}/comment/{id}", "issueComments.getComment", "read"],
  ["PUT", "/issue/{issueIdOrKey}/comment/{id}", "issueComments.updateComment", "write"],
  ["DELETE", "/issue/{issueIdOrKey}/comment/{id}", "issueComments.deleteComment", "delete"],
  ["POST", "/issue/{issueIdOrKey}/attachments", "issueAttachments.addAttachment", "write"],
  ["GET", "/attachment/content/{id}", "issueAttachments.getAttachmentContent", "read"],
  ["DELETE", "/attachment/{id}", "issueAttachments.removeAttachment", "delete"],
  ["GET", "/issue/{issueIdOrKey}/worklog", "issueWorklogs.getIssueWorklog", "read"],
  ["POST", "/issue/{issueIdOrKey}/worklog", "issueWorklogs.addWorklog", "write"],
  ["GET", "/project/search", "projects.searchProjects", "read"],
  ["GET", "/project", "projects.getAllProjects", "read"],
  ["POST", "/project", "projects.createProject", "write"],
  ["GET", "/project/{projectIdOrKey}", "projects.getProject", "read"],
  ["PUT", "/project/{projectIdOrKey}", "projects.updateProject", "write"],
  ["DELETE", "/project/{projectIdOrKey}", "projects.deleteProject", "delete"],
  ["GET", "/user/search", "userSearch.findUsers", "read"],
  ["GET", "/field", "issueFields.getFields", "read"],
];

const CONFLUENCE_V2: EntryRow[] = [
  ["GET", "/pages", "page.getPages", "read"],
  ["POST", "/pages", "page.createPage", "write"],
  ["GET", "/pages/{id}", "page.getPageById", "read"],
  ["PUT", "/pages/{id}", "page.updatePage", "write"],
  ["DELETE", "/pages/{id}", "page.deletePage", "delete"],
  ["GET", "/pages/{id}/children", "children.getChildPages", "read"],
  ["GET", "/pages/{id}/footer-comments", "comment.getPageFooterComments", "read"],
  ["POST", "/footer-comments", "comment.createFooterComment", "write"],
  ["GET", "/spaces", "space.getSpaces", "read"],
  ["GET", "/spaces/{id}", "space.getSpaceById", "read"],
  ["GET", "/spaces/{id}/pages", "page.getPagesInSpace", "read"],
  ["GET", "/blogposts", "blogPost.getBlogPosts", "read"],
  ["POST", "/blogposts", "blogPost.createBlogPost", "write"],
  ["GET", "/blogposts/{id}", "blogPost.getBlogPostById", "read"],
  ["PUT", "/blogposts/{id}", "blogPost.updateBlogPost", "write"],
  ["DELETE", "/blogposts/{id}", "blogPost.deleteBlogPost", "delete"],
  ["GET", "/attachments/{id}", "attachment.getAttachmentById", "read"],
  ["DELETE", "/attachments/{id}", "attachment.deleteAttachment", "delete"],
];

const CONFLUENCE_V1: EntryRow[] = [
  ["GET", "/content", "content.getContent", "read"],
  ["POST", "/content", "content.createContent", "write"],
  ["GET", "/content/search", "content.searchContentByCQL", "read"],
  ["GET", "/content/{id}", "content.getContentById", "read"],
  ["PUT", "/content/{id}", "content.updateContent", "write"],
  ["DELETE", "/content/{id}", "content.deleteContent", "delete"],
  ["GET", "/content/{id}/child/attachment", "contentAttachments.getAttachments", "read"],
  ["POST", "/content/{id}/child/attachment", "contentAttachments.createAttachments", "write"],
  ["GET", "/search", "search.searchByCQL", "read"],
  ["GET", "/space", "space.getSpaces", "read"],
  ["GET", "/user/current", "users.getCurrentUser", "read"],
];

export const ATLASSIAN_OPERATIONS: readonly OperationEntry[] = [
  ...entriesUnder("/ex/jira/{cloudid}/rest/api/3", "atlassian.jira", JIRA),
  ...entriesUnder("/ex/jira/{cloudid}/rest/api/2", "atlassian.jira", JIRA),
  ...entriesUnder("/ex/confluence/{cloudid}/wiki/api/v2", "atlassian.confluence", CONFLUENCE_V2),
  ...entriesUnder("/ex/confluence/{cloudid}/wiki/rest/api", "atlassian.confluence", CONFLUENCE_V1),
  {
    method: "GET",
    path: "/oauth/token/accessible-resources",
    id: "atlassian.accessibleResources.get",
    class: "read",
  },
  { method: "GET", path: "/me", id: "atlassian.me.get", class: "read" },
];
