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
