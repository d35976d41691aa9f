import assert from "node:assert/strict";
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
