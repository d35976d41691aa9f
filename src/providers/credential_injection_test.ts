import assert from "node:assert/strict";
import { SecurixError } from "../errors/securix_error.ts";
import type { OAuthCredential } from "../connections/connection_types.ts";
import { pairValue } from "../proxy/header_pairs.ts";
import { credentialInjector } from "./credential_injection.ts";
import { proxyRoutes, wireProviders } from "./provider_registry.ts";
import { resolveTables } from "./test_util.ts";

/** An OAuth token set whose access token is `token`. */
function oauth(token: string): OAuthCredential {
  return {
    accessToken: token,
    refreshToken: null,
    tokenType: "bearer",
    expiresAt: null,
    scopes: [],
  };
}

const credential = oauth("tok$&en");

type Pairs = [string, string][];

/** The injector's pairs, read as `Headers`, and the URL it returned. */
function run(injector: ReturnType<typeof credentialInjector>, pairs: Pairs = []) {
  const given = new URL("https://api.example.com/v1/x?key=callers-own");
  const url = injector(credential, pairs, given);
  assert.equal(given.href, "https://api.example.com/v1/x?key=callers-own", "given URL untouched");
  return { headers: new Headers(pairs), url, pairs };
}

Deno.test("injection: bearer replaces whatever Authorization the caller had", () => {
  const { headers } = run(
    credentialInjector({ kind: "bearer" }),
    [["authorization", "Bearer callers"]],
  );
  assert.equal(headers.get("authorization"), "Bearer tok$&en");
  assert.equal([...headers].length, 1, "one Authorization field, the caller's is gone");
});

Deno.test("injection: header and query templates keep the token literal", () => {
  const header = run(
    credentialInjector({ kind: "header", name: "X-Api-Key", template: "key {token}" }),
  );
  assert.equal(header.headers.get("x-api-key"), "key tok$&en");
  const replaced = run(
    credentialInjector({ kind: "header", name: "X-Api-Key", template: "{token}" }),
    [["x-api-key", "callers"]],
  );
  assert.deepEqual(replaced.pairs, [["x-api-key", "tok$&en"]]);
  const query = run(credentialInjector({ kind: "query", name: "key", template: "{token}" }));
  assert.equal(query.url.searchParams.get("key"), "tok$&en", "the caller's own key is replaced");
  assert.equal(query.url.searchParams.getAll("key").length, 1);
  assert.equal(query.headers.get("authorization"), null);
});

Deno.test("injection: basic encodes user:secret", () => {
  const injector = credentialInjector({ kind: "basic" });
  const headers: Pairs = [];
  injector(oauth("ann@example.com:api-token"), headers, new URL("https://x.example"));
  assert.equal(pairValue(headers, "authorization"), `Basic ${btoa("ann@example.com:api-token")}`);
});

Deno.test("injection: a template without {token} is refused when built", () => {
  assert.throws(
    () => credentialInjector({ kind: "header", name: "X-Key", template: "static" }),
    /no \{token\} placeholder/,
  );
});

Deno.test("injection: default headers are added only when the caller sent none", () => {
  const injector = credentialInjector({ kind: "bearer" }, { "Notion-Version": "2022-06-28" });
  assert.equal(run(injector).headers.get("notion-version"), "2022-06-28");
  const pinned = run(injector, [["notion-version", "2025-09-03"]]);
  assert.equal(pinned.headers.get("notion-version"), "2025-09-03");
});

Deno.test("routes: one per proxy host of each enabled provider, with its injector", async () => {
  const creds = { client_id: "c", client_secret: "s" };
  const providers = await resolveTables({
    dropbox: creds,
    notion: creds,
    slack: { enabled: false },
  });
  const routes = proxyRoutes(providers);
  assert.deepEqual([...routes.keys()].toSorted(), ["dropbox", "dropbox-content", "notion"]);
  const content = routes.get("dropbox-content")!;
  assert.equal(content.provider, "dropbox");
  assert.equal(content.baseUrl.href, "https://content.dropboxapi.com/");
  assert.equal(content.websocket, false);
  const headers: Pairs = [];
  const stored = {
    accessToken: "t",
    refreshToken: null,
    tokenType: "Bearer",
    expiresAt: null,
    scopes: [],
  };
  routes.get("notion")!.inject(stored, headers, new URL("https://api.notion.com/v1/search"));
  assert.equal(pairValue(headers, "authorization"), "Bearer t");
  assert.equal(pairValue(headers, "notion-version"), "2022-06-28");

  const wiring = wireProviders(providers);
  assert.deepEqual([...wiring.registry.enabled.keys()], ["dropbox", "notion"]);
  assert.ok(wiring.registry.known.has("slack"));
  assert.ok(wiring.refresherFor("dropbox"));
  assert.equal(wiring.refresherFor("slack"), null, "not enabled");
  assert.equal(
    wiring.registry.enabled.get("dropbox")!.authorizationOrigin,
    "https://www.dropbox.com",
  );
  assert.equal(typeof wiring.registry.enabled.get("notion")!.revoke, "function");
});

Deno.test("injection: an api_key credential sends its configured field; other kinds do not fit", () => {
  const injector = credentialInjector(
    { kind: "header", name: "X-Key", template: "Token {token}" },
    {},
    { provider: "keyed", credentialField: "user_key" },
  );
  const pairs: Pairs = [["x-key", "callers"]];
  injector(
    { kind: "api_key", fields: { user_key: "uk", other: "o" } },
    pairs,
    new URL("https://x"),
  );
  assert.deepEqual(pairs, [["x-key", "Token uk"]]);
  assert.throws(
    () => injector({ kind: "basic", username: "u", password: "p" }, [], new URL("https://x")),
    (e: unknown) => (e as { code?: string }).code === "SX-TOKEN-EXPIRED",
  );
  const basic = credentialInjector({ kind: "basic" });
  const headers: Pairs = [];
  basic({ kind: "basic", username: "ann", password: "p:w$&" }, headers, new URL("https://x"));
  assert.equal(pairValue(headers, "authorization"), `Basic ${btoa("ann:p:w$&")}`);
});

const SIGV4_OURS_FOR_TEST = [
  "authorization",
  "x-amz-date",
  "x-amz-content-sha256",
  "x-amz-security-token",
];

Deno.test("injection: aws_sigv4 signs with the injected clock, replaces the caller's auth headers, keeps and signs its other x-amz-*", () => {
  const at = Date.UTC(2026, 11, 2, 10, 40, 0);
  const injector = credentialInjector(
    { kind: "aws_sigv4", region: "eu-west-1", service: "s3" },
    {},
    { provider: "objects", now: () => at },
  );
  const credential = {
    kind: "aws_sigv4" as const,
    accessKeyId: "AKIDEXAMPLE",
    secretAccessKey: "secret",
    sessionToken: "session-token",
  };
  const pairs: Pairs = [
    ["authorization", "AWS4-HMAC-SHA256 Credential=CALLER"],
    ["x-amz-security-token", "callers"],
    ["X-Amz-Date", "19990101T000000Z"],
    ["x-amz-content-sha256", "UNSIGNED-PAYLOAD"],
    ["x-amz-meta-x", "1"],
    ["X-Amz-Acl", "private"],
    ["x-amz-meta-tags", "a"],
    ["x-amz-meta-tags", "b"],
    ["content-type", "text/plain"],
    ["accept", "*/*"],
  ];
  const url = new URL("https://s3.example.com:8443/bucket/a%20b.txt?x-id=PutObject");
  const hash = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
  const target = injector(credential, pairs, url, { method: "PUT", payloadHash: hash });
  assert.equal(target, url, "signing does not move the request");
  const h = new Headers(pairs);
  // Ours replace the caller's, one field each.
  assert.equal(h.get("x-amz-date"), "20261202T104000Z");
  assert.equal(h.get("x-amz-content-sha256"), hash);
  assert.equal(h.get("x-amz-security-token"), "session-token");
  for (const name of SIGV4_OURS_FOR_TEST) {
    assert.equal(pairs.filter(([n]) => n.toLowerCase() === name).length, 1, name);
  }
  // The caller's own x-amz-* go on, repeated fields as one (the value that was signed).
  assert.equal(h.get("x-amz-meta-x"), "1");
  assert.equal(h.get("x-amz-acl"), "private");
  assert.equal(pairs.filter(([n]) => n === "x-amz-meta-tags").length, 1);
  assert.equal(h.get("x-amz-meta-tags"), "a, b");
  assert.equal(h.get("accept"), "*/*");
  assert.match(
    h.get("authorization")!,
    /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20261202\/eu-west-1\/s3\/aws4_request, SignedHeaders=content-type;host;x-amz-acl;x-amz-content-sha256;x-amz-date;x-amz-meta-tags;x-amz-meta-x;x-amz-security-token, Signature=[0-9a-f]{64}$/,
  );
  // Same input, same clock: the same signature; another body hash or metadata value: another one.
  const sign = (extra: Pairs, payloadHash = hash) => {
    const p: Pairs = [
      ["content-type", "text/plain"],
      ["x-amz-acl", "private"],
      ["x-amz-meta-tags", "a, b"],
      ...extra,
    ];
    injector(credential, p, url, { method: "PUT", payloadHash });
    return pairValue(p, "authorization");
  };
  assert.equal(sign([["x-amz-meta-x", "1"]]), h.get("authorization"));
  assert.notEqual(sign([["x-amz-meta-x", "2"]]), h.get("authorization"));
  assert.notEqual(sign([["x-amz-meta-x", "1"]], "UNSIGNED-PAYLOAD"), h.get("authorization"));
  assert.throws(
    () => injector(oauth("t"), [], url),
    (e: unknown) => (e as { code?: string }).code === "SX-TOKEN-EXPIRED",
  );
});

Deno.test("injection: aws_sigv4 keeps an unsigned aws-chunked upload's payload marker and refuses a signed streaming one", () => {
  const injector = credentialInjector(
    { kind: "aws_sigv4", region: "eu-west-1", service: "s3" },
    {},
    { provider: "objects", now: () => Date.UTC(2026, 11, 2, 10, 40, 0) },
  );
  const credential = {
    kind: "aws_sigv4" as const,
    accessKeyId: "AKIDEXAMPLE",
    secretAccessKey: "secret",
    sessionToken: null,
  };
  const url = new URL("https://s3.example.com/bucket/big.bin?x-id=PutObject");
  // What an AWS SDK sends for a streamed body with a CRC32 trailer.
  const chunked: Pairs = [
    ["content-encoding", "aws-chunked"],
    ["x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"],
    ["x-amz-decoded-content-length", "1048576"],
    ["x-amz-trailer", "x-amz-checksum-crc32"],
  ];
  injector(credential, chunked, url, { method: "PUT", payloadHash: "f".repeat(64) });
  const h = new Headers(chunked);
  assert.equal(h.get("x-amz-content-sha256"), "STREAMING-UNSIGNED-PAYLOAD-TRAILER");
  assert.equal(h.get("content-encoding"), "aws-chunked");
  assert.match(
    h.get("authorization")!,
    /SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-trailer,/,
  );
  // Signed chunks chain from the caller's signature, which ours replaces: refused, with what to do.
  for (
    const marker of [
      "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
      "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
    ]
  ) {
    assert.throws(
      () =>
        injector(
          credential,
          [["x-amz-content-sha256", marker], ["content-encoding", "aws-chunked"]],
          url,
          { method: "PUT" },
        ),
      (error: unknown) =>
        error instanceof SecurixError && error.code === "SX-SIGV4-SIGNED-STREAMING" &&
        error.status === 400 && /unsigned payload/.test(error.llmError ?? ""),
    );
  }
});
