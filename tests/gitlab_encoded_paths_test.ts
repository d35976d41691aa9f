/**
 * GitLab's REST API names a project by its path and a repository file by
 * its path only with the slashes percent-encoded
 * (`projects/group%2Fproject/repository/files/src%2Fmain.rb/raw`). The
 * proxy forwards such a path as sent, for GitLab only; the operation map
 * and `path_matches` read an encoded segment as GitLab does, so rules are
 * not escaped by it, and every other path guard stays in force.
 */
import assert from "node:assert/strict";
import { startFakeUpstream } from "./helpers/fake_upstream.ts";
import { rawRequest, statusOf } from "./helpers/raw_http.ts";
import { rulesEnv } from "./helpers/rules_env.ts";

Deno.test({
  name:
    "proxy: GitLab paths with encoded slashes are forwarded as sent and judged as GitLab reads them",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const upstream = startFakeUpstream();
    upstream.respond = () => ({
      status: 200,
      headers: [["content-type", "text/plain"]],
      body: "puts 1\n",
    });
    const env = await rulesEnv({
      upstreams: { gitlab: `http://127.0.0.1:${upstream.port}` },
      rules: [{
        name: "no_project_deletes",
        target: "gitlab.projects.delete",
        effect: "deny",
      }, {
        name: "no_payroll",
        target: "gitlab.*",
        effect: "deny",
        condition: { path_matches: "/api/v4/projects/group%2Fpayroll*" },
      }, {
        name: "no_secret_files",
        target: "gitlab.repository_files.*",
        effect: "deny",
        condition: { path_matches: "/api/v4/projects/*/repository/files/secrets/*" },
      }],
    });
    try {
      const auth = Object.entries(env.headers());
      const call = (method: string, path: string) =>
        rawRequest(env.port, { method, target: `/proxy/gitlab${path}`, headers: auth });
      const error = (body: string) => JSON.parse(body).error?.code;

      const file = "/api/v4/projects/group%2Fsub%2Fproject/repository/files/src%2Fmain.rb/raw";
      const ok = await call("GET", `${file}?ref=main`);
      assert.ok(ok);
      assert.equal(statusOf(ok), 200, ok.body);
      assert.equal(ok.body, "puts 1\n");
      assert.equal(upstream.requests.length, 1);
      // As sent: the slashes stay encoded, and the credential is GitLab's.
      assert.equal(upstream.requests[0].startLine, `GET ${file}?ref=main HTTP/1.1`);
      assert.equal(upstream.requests[0].headers.get("authorization"), "Bearer tok-gitlab-7f3a");

      const denied = [
        // By operation: a project named by path is the same `projects.delete`.
        ["DELETE", "/api/v4/projects/group%2Fproject"],
        ["DELETE", "/api/v4/projects/Group%2fProject.json"],
        // By path_matches, in any spelling GitLab reads as the same project or file.
        ["GET", "/api/v4/projects/group%2Fpayroll/issues"],
        ["GET", "/api/v4/projects/GROUP%2fPayroll/issues"],
        ["GET", "/api/v4/projects/group%2F%70ayroll/repository/tree"],
        ["GET", "/api/v4/projects/7/repository/files/secrets%2Fkey.pem/raw"],
        ["GET", "/api/v4/projects/g%2Fp/repository/files/Secrets%2fdeep%2Fkey.pem"],
      ];
      for (const [method, path] of denied) {
        const res = await call(method, path);
        assert.ok(res, path);
        assert.equal(statusOf(res), 403, `${method} ${path}: ${res.body}`);
        assert.equal(error(res.body), "SX-POLICY-DENIED", path);
      }

      const refused = [
        "/api/v4/projects/g%2F..%2Fpayroll/issues",
        "/api/v4/projects/g%2F.%2Fp",
        "/api/v4/projects/%2e%2e%2Fx",
        "/api/v4/projects/g%2F%2Fpayroll/issues",
        "/api/v4/projects/%2Fgroup%2Fpayroll/issues",
        "/api/v4/projects/7/repository/files/%2Fsecrets%2Fkey.pem/raw",
        "/api/v4/projects/g%252Fpayroll",
        "/api/v4/projects/g%5Cp",
        "/api/v4/projects/g%00",
        "/api/v4/projects/g\\..\\x",
      ];
      for (const path of refused) {
        const res = await call("GET", path);
        assert.ok(res, path);
        assert.equal(statusOf(res), 400, `${path}: ${res.body}`);
        assert.equal(error(res.body), "SX-BAD-REQUEST-TARGET", path);
      }
      assert.equal(upstream.requests.length, 1, "nothing refused or denied reached GitLab");

      // Other providers still refuse an encoded slash.
      const github = await rawRequest(env.port, {
        target: "/proxy/github/repos/octo-org%2Fhello-world",
        headers: auth,
      });
      assert.ok(github);
      assert.equal(statusOf(github), 400, github.body);
      assert.equal(error(github.body), "SX-BAD-REQUEST-TARGET");
    } finally {
      await env.close();
      await upstream.close();
    }
  },
});
