/**
 * Rails apps (GitLab, GitHub) run Rack::MethodOverride: a POST whose form
 * body (urlencoded, multipart, or with no Content-Type at all) has a
 * `_method` field is handled as that method. The rules judge the POST, so
 * `_method=DELETE` would delete what a read-only rule protects. Such a
 * call is refused and never forwarded; a form without the field passes.
 */
import assert from "node:assert/strict";
import { GITHUB_REPOS } from "./helpers/fake_apis/github.ts";
import { rawRequest, statusOf } from "./helpers/raw_http.ts";
import { rulesEnv } from "./helpers/rules_env.ts";

Deno.test({
  name: "proxy attack: a Rails `_method` form field cannot turn a judged POST into a DELETE",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const env = await rulesEnv({
      rules: [{ name: "no_deletes", target: "github.*", classes: ["delete"], effect: "deny" }],
    });
    try {
      const auth = Object.entries(env.headers());
      const target = `/proxy/github/repos/${GITHUB_REPOS.HELLO_WORLD}`;
      const multipart =
        '--b\r\nContent-Disposition: form-data; name="_method"\r\n\r\nDELETE\r\n--b--\r\n';
      const attacks: [string, [string, string][], string][] = [
        ["urlencoded", [["Content-Type", "application/x-www-form-urlencoded"]], "_method=DELETE"],
        [
          "encoded name",
          [["Content-Type", "application/x-www-form-urlencoded"]],
          "a=1&%5Fmethod=delete",
        ],
        ["no content type", [], "_method=DELETE"],
        // Rack's media type ends at `;` or `,`: each of these is an urlencoded form to it.
        ...["urlencoded, text/plain", "urlencoded,", "urlencoded ,x"].map((
          type,
        ): [string, [string, string][], string] => [
          `Content-Type: application/x-www-form-${type}`,
          [["Content-Type", `application/x-www-form-${type}`]],
          "_method=DELETE",
        ]),
        // Rack 2 (GitLab's) drops the brackets around a key: both are `_method`.
        [
          "bracketed name",
          [["Content-Type", "application/x-www-form-urlencoded"]],
          "a=1&%5B_method%5D=DELETE",
        ],
        ["trailing bracket", [], "_method]=DELETE"],
        ["multipart", [["Content-Type", "multipart/form-data; boundary=b"]], multipart],
        [
          "multipart, unquoted name",
          [["Content-Type", "multipart/form-data; boundary=b"]],
          "--b\r\ncontent-disposition: form-data; name=_method\r\n\r\nDELETE\r\n--b--\r\n",
        ],
        // Rack's Content-Disposition parser keeps the last `name`.
        [
          "multipart, second name",
          [["Content-Type", "multipart/form-data; boundary=b"]],
          '--b\r\nContent-Disposition: form-data; name="x"; name="_method"\r\n\r\nDELETE\r\n--b--\r\n',
        ],
        // Rack names a part without Content-Disposition by its Content-ID.
        [
          "multipart, Content-ID",
          [["Content-Type", "multipart/form-data; boundary=b"]],
          "--b\r\nContent-ID: _method\r\n\r\nDELETE\r\n--b--\r\n",
        ],
        // Rack skips a line that only starts like the delimiter; the next one starts a part
        // whose header block (`\r\nContent-ID: _method\r\n`) names the field.
        [
          "multipart, fake delimiter line",
          [["Content-Type", "multipart/form-data; boundary=b"]],
          "--bx\r\n--b\r\n\r\nContent-ID: _method\r\n\r\nDELETE\r\n--b--\r\n",
        ],
        [
          "multipart, fake delimiter line, X-Content-Disposition",
          [["Content-Type", "multipart/form-data; boundary=b"]],
          '--bx\r\n--b\r\nX-Content-Disposition: form-data; name="_method"\r\n\r\nDELETE\r\n--b--\r\n',
        ],
        [
          "multipart, delimiter mid-line in a file",
          [["Content-Type", "multipart/form-data; boundary=b"]],
          '--b\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\n\r\nabc --b\r\n' +
          "--b\r\n\r\nContent-ID: _method\r\n\r\nDELETE\r\n--b--\r\n",
        ],
        // Rack finds no boundary, so it reads the body as an urlencoded form.
        ["multipart, no boundary", [["Content-Type", "multipart/form-data"]], "_method=DELETE"],
        [
          "multipart, two boundaries",
          [["Content-Type", "multipart/form-data; boundary=b; boundary=c"]],
          "--c\r\nContent-Disposition: form-data; name=_method\r\n\r\nDELETE\r\n--c--\r\n",
        ],
      ];
      const reached = env.fake.seen.length;
      for (const [what, headers, body] of attacks) {
        const res = await rawRequest(env.port, {
          method: "POST",
          target,
          headers: [...auth, ...headers],
          body,
        });
        assert.ok(res, what);
        assert.equal(statusOf(res), 400, `${what}: ${res.body}`);
        assert.equal(JSON.parse(res.body).error.code, "SX-INVALID-INPUT", `${what}: ${res.body}`);
      }
      assert.deepEqual(
        env.fake.seen.slice(reached).map((s) => `${s.method} ${s.path}`),
        [],
        "no override reached the provider",
      );
      assert.deepEqual(env.fake.state.github.deletedRepos, []);
      // A JSON POST naming `_method` in its data is no form: it passes to the provider.
      const json = await rawRequest(env.port, {
        method: "POST",
        target: `/proxy/github/repos/${GITHUB_REPOS.HELLO_WORLD}/issues`,
        headers: [...auth, ["Content-Type", "application/json"]],
        body: JSON.stringify({ title: "x", body: "_method=DELETE" }),
      });
      assert.ok(json);
      assert.notEqual(statusOf(json), 400, json.body);
      // A multipart upload whose file merely contains the word is no override either.
      const upload = await rawRequest(env.port, {
        method: "POST",
        target: `/proxy/github/repos/${GITHUB_REPOS.HELLO_WORLD}/issues`,
        headers: [...auth, ["Content-Type", "multipart/form-data; boundary=b"]],
        body: '--b\r\nContent-Disposition: form-data; name="file"; filename="a.rb"\r\n\r\n' +
          'define_method(:x) { _method = "DELETE" }\r\n--b--\r\n',
      });
      assert.ok(upload);
      assert.notEqual(statusOf(upload), 400, upload.body);
    } finally {
      await env.close();
    }
  },
});
