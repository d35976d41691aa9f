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

Deno.test("gitlab: a `.json` or `.txt` format suffix (Grape's `(.:format)`) does not hide an operation", () => {
  assertCases("gitlab", [
    ["POST", "/api/v4/projects/7/fork.json", "gitlab.projects.fork", "write"],
    ["POST", "/api/v4/projects/7/hooks.json", "gitlab.project_hooks.create", "write"],
    [
      "PUT",
      "/api/v4/projects/7/merge_requests/3/merge.txt",
      "gitlab.merge_requests.merge",
      "write",
    ],
    ["DELETE", "/api/v4/projects/7.json", "gitlab.projects.delete", "delete"],
    ["GET", "/api/v4/version.JSON", "gitlab.version.get", "read"],
  ]);
});

Deno.test("gitlab: an encoded slash stays inside its segment (a project by path, a file path), as GitLab reads it", () => {
  assertCases("gitlab", [
    [
      "GET",
      "/api/v4/projects/group%2Fproject/repository/files/a%2Fb.rb/raw",
      "gitlab.repository_files.raw",
      "read",
    ],
    ["GET", "/api/v4/projects/123/repository/files/x/raw", "gitlab.repository_files.raw", "read"],
    ["GET", "/api/v4/projects/group%2Fsub%2Fproject", "gitlab.projects.get", "read"],
    ["DELETE", "/api/v4/projects/Group%2fProject", "gitlab.projects.delete", "delete"],
    [
      "PUT",
      "/api/v4/projects/group%2Fproject/merge_requests/3/merge",
      "gitlab.merge_requests.merge",
      "write",
    ],
    [
      "DELETE",
      "/api/v4/projects/g%2Fp/repository/files/src%2Fdeep%2Fa.rb",
      "gitlab.repository_files.delete",
      "delete",
    ],
    ["GET", "/api/v4/groups/parent%2Fchild/projects", "gitlab.groups.projects", "read"],
    // An encoded slash is never a separator: `projects%2F7` is no `projects/7`.
    ["DELETE", "/api/v4/projects%2F7", "gitlab.unknown", "delete"],
    ["GET", "/api/v4/projects/7/repository%2Ffiles/a/raw", "gitlab.unknown", "read"],
  ]);
});
