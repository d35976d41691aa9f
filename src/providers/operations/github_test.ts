import assert from "node:assert/strict";
import { operationMapFor } from "../operation_maps.ts";
import { assertCases } from "./test_cases.ts";

Deno.test("github: repos, contents, issues, pulls, git", () => {
  assertCases("github", [
    ["GET", "/repos/o/r", "github.repos.get", "read"],
    ["PATCH", "/repos/o/r", "github.repos.update", "write"],
    ["DELETE", "/repos/o/r", "github.repos.delete", "delete"],
    ["DELETE", "/REPOS/o/r/", "github.repos.delete", "delete"],
    ["POST", "/user/repos", "github.repos.createForAuthenticatedUser", "write"],
    ["GET", "/repos/o/r/contents/src/deep/file.ts", "github.repos.getContent", "read"],
    ["PUT", "/repos/o/r/contents/a.md", "github.repos.createOrUpdateFileContents", "write"],
    ["DELETE", "/repos/o/r/contents/dir/a.md", "github.repos.deleteFile", "delete"],
    ["POST", "/repos/o/r/issues", "github.issues.create", "write"],
    ["GET", "/repos/o/r/issues", "github.issues.listForRepo", "read"],
    ["GET", "/repos/o/r/issues/12", "github.issues.get", "read"],
    ["PATCH", "/repos/o/r/issues/12", "github.issues.update", "write"],
    ["GET", "/repos/o/r/issues/comments", "github.issues.listCommentsForRepo", "read"],
    ["PUT", "/repos/o/r/pulls/3/merge", "github.pulls.merge", "write"],
    ["POST", "/repos/o/r/pulls", "github.pulls.create", "write"],
    ["DELETE", "/repos/o/r/git/refs/heads/feature/x", "github.git.deleteRef", "delete"],
    ["POST", "/repos/o/r/git/commits", "github.git.createCommit", "write"],
    ["GET", "/repos/o/r/git/trees/abc", "github.git.getTree", "read"],
    ["GET", "/user", "github.users.getAuthenticated", "read"],
    ["DELETE", "/repos/o/r/nothing", "github.unknown", "delete"],
  ]);
});

Deno.test("github: /graphql is read from the body, only for POST /graphql", () => {
  const map = operationMapFor("github");
  const call = { method: "POST", path: "/graphql", query: "" };
  assert.equal(map.peekBytes, 64 * 1024);
  assert.equal(map.wantsBody?.(call), true);
  assert.equal(map.wantsBody?.({ ...call, path: "/GraphQL/" }), true);
  assert.equal(map.wantsBody?.({ ...call, path: "/repos/o/r/issues" }), false);
  assert.equal(map.wantsBody?.({ ...call, method: "GET" }), false);
  const body = new TextEncoder().encode(
    JSON.stringify({
      query: 'mutation { deleteIssue(input: {issueId: "1"}) { clientMutationId } }',
    }),
  );
  assert.deepEqual(map.resolveBody?.(call, body, "application/json"), {
    id: "github.graphql.mutation.deleteIssue",
    class: "delete",
  });
  assert.deepEqual(map.resolve(call), { id: "github.graphql", class: "write", multiplexed: true });
  assert.deepEqual(
    map.resolveBody?.({ ...call, path: "/repos/o/r", method: "DELETE" }, null, null),
    { id: "github.repos.delete", class: "delete" },
    "resolveBody on a REST call answers like resolve",
  );
});
