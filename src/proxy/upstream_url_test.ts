import assert from "node:assert/strict";
import { SecurixError } from "../errors/securix_error.ts";
import { upstreamUrl } from "./upstream_url.ts";

const base = new URL("https://graph.microsoft.com/v1.0");

Deno.test("upstream url: joins path and query under the base", () => {
  assert.equal(
    upstreamUrl(base, "/me/messages", "?$top=5").toString(),
    "https://graph.microsoft.com/v1.0/me/messages?$top=5",
  );
  assert.equal(
    upstreamUrl(new URL("https://api.github.com"), "/repos/o/r", "").toString(),
    "https://api.github.com/repos/o/r",
  );
  // `;` and dots inside a name are ordinary path characters.
  for (const path of ["/items;v=2", "/a/..b", "/a/b..", "/files/.well-known;x"]) {
    assert.equal(upstreamUrl(base, path, "").pathname, `/v1.0${path}`);
  }
});

Deno.test("upstream url: traversal and host tricks are refused", () => {
  for (
    const path of [
      "/../admin",
      "/me/../../x",
      "/%2e%2e/x",
      "/a/..",
      "/..;/admin",
      "/me/..;jsessionid=x/..;/x",
      "/a/.;/b",
      "/%2e%2e;/x",
      "/a%2f..%2fb",
      "/a\\..\\b",
      "/%5c%5cevil.com/x",
      "//evil.com/x",
      "@evil.com",
      "/%00",
    ]
  ) {
    assert.throws(
      () => {
        const url = upstreamUrl(base, path, "");
        if (url.host !== "graph.microsoft.com") throw new Error(`escaped to ${url.host}`);
        throw new SecurixError("SX-TEST", "not refused");
      },
      (e: unknown) => e instanceof SecurixError && e.code === "SX-BAD-REQUEST-TARGET",
      path,
    );
  }
});

Deno.test("upstream url: a base path is never escaped, encoded or not", () => {
  const prefixed = new URL("http://127.0.0.1:8080/base/");
  assert.equal(upstreamUrl(prefixed, "/v1/x", "").pathname, "/base/v1/x");
  assert.equal(upstreamUrl(prefixed, "/", "").pathname, "/base/");
  // Double encoding is data, not a separator: forwarded verbatim under the base.
  assert.equal(upstreamUrl(prefixed, "/%252e%252e/x", "").pathname, "/base/%252e%252e/x");
  for (
    const path of [
      "/..",
      "/../x",
      "/.%2e/x",
      "/%2E%2E/x",
      "/x/../../y",
      "/.",
      "/..%5cx",
      "/x\\..\\..\\y",
    ]
  ) {
    assert.throws(
      () => upstreamUrl(prefixed, path, ""),
      (e: unknown) => e instanceof SecurixError && e.code === "SX-BAD-REQUEST-TARGET",
      path,
    );
  }
});

Deno.test("upstream url: parsed from one string, it is the URL the setters build", () => {
  const setters = (b: URL, path: string, search: string) => {
    const url = new URL(b.origin);
    url.pathname = b.pathname.replace(/\/$/, "") + path;
    url.search = search;
    return url.href;
  };
  const paths = ["/a", "/a b", '/q"<>`{}|^[]', "/%zz%41", "/é", "/a#b", "/~!$&'()*+,;=:@", "/\t"];
  const queries = ["", "?", "?a=1&b", "?'\"<>`{}|^", "?a b", "?é", "?a#b", "??x", "?%zz"];
  for (const b of [base, new URL("http://127.0.0.1:8080/base/")]) {
    for (const path of paths) {
      for (const search of queries) {
        let expected: string;
        try {
          expected = setters(b, path, search);
          upstreamUrl(b, path, search);
        } catch {
          continue; // refused by the checks before joining: covered above
        }
        assert.equal(upstreamUrl(b, path, search).href, expected, `${path} ${search}`);
      }
    }
  }
});

Deno.test("upstream url: encoded slashes pass as sent only where the provider needs them", () => {
  const gitlab = new URL("https://gitlab.example");
  const allowed = { encodedSlashes: true };
  for (
    const path of [
      "/api/v4/projects/group%2Fsub%2Fproject/issues",
      "/api/v4/projects/7/repository/files/src%2fmain.rb/raw",
    ]
  ) {
    assert.equal(upstreamUrl(gitlab, path, "?ref=main", allowed).pathname, path);
    assert.throws(
      () => upstreamUrl(gitlab, path, ""),
      (e: unknown) => e instanceof SecurixError && e.code === "SX-BAD-REQUEST-TARGET",
      path,
    );
  }
  // Every other guard holds where slashes may be encoded.
  for (
    const path of [
      "/api/v4/projects/g%2F..%2Fx",
      "/api/v4/projects/g%2F.%2Fx",
      "/api/v4/projects/%2e%2e%2Fx",
      "/api/v4/projects/g/..",
      "/api/v4/projects/g%5Cx",
      "/api/v4/projects/g\\x",
      "/api/v4/projects/g%00",
      "/api/v4/projects/g%252Fx",
      "/api/v4/projects/g%252e%252e",
      "/api/v4/projects/%2Fg",
      "/api/v4/projects/g%2F",
      "/api/v4/projects/g%2F%2Fx",
      "//evil.example/x",
      "/%2F%2Fevil.example/x",
    ]
  ) {
    assert.throws(
      () => upstreamUrl(gitlab, path, "", allowed),
      (e: unknown) => e instanceof SecurixError && e.code === "SX-BAD-REQUEST-TARGET",
      path,
    );
  }
});
