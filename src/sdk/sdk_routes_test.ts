import assert from "node:assert/strict";
import { CLIENT_JS, CLIENT_JS_ETAG } from "./browser/client_asset.ts";
import { etagMatches, sdkRoutes } from "./sdk_routes.ts";
import { SDK_DTS, SDK_DTS_ETAG, SDK_JS, SDK_JS_ETAG } from "./sdk_asset.ts";
import { SDK_BUNDLE_PATH, SDK_DECLARATIONS_PATH } from "./sdk_bundle.ts";

Deno.test("GET /sdk/client.js serves the embedded module to any origin", async () => {
  const res = await sdkRoutes().request("/sdk/client.js", {
    headers: { origin: "https://customer.test" },
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/javascript; charset=utf-8");
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  assert.equal(res.headers.get("cross-origin-resource-policy"), "cross-origin");
  assert.match(res.headers.get("cache-control") ?? "", /^public, max-age=\d+/);
  assert.equal(res.headers.get("etag"), CLIENT_JS_ETAG);
  const body = await res.text();
  assert.equal(body, CLIENT_JS);
  assert.equal(body, await Deno.readTextFile(new URL("./browser/client.js", import.meta.url)));
  assert.match(body, /export function connect\(/);
  assert.match(body, /export class SecurixButton /);
  assert.match(body, /customElements\.define\("securix-button"/);
  assert.doesNotMatch(body, /^\s*import\s/m, "one self-contained file");
});

Deno.test("client.js revalidates with its ETag and answers HEAD", async () => {
  const app = sdkRoutes();
  const cached = await app.request("/sdk/client.js", {
    headers: { "if-none-match": `"other", W/${CLIENT_JS_ETAG}` },
  });
  assert.equal(cached.status, 304);
  assert.equal(cached.headers.get("access-control-allow-origin"), "*");
  const head = await app.request("/sdk/client.js", { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(await head.text(), "");
  assert.ok(etagMatches("*", CLIENT_JS_ETAG));
  assert.ok(!etagMatches(undefined, CLIENT_JS_ETAG));
  assert.ok(!etagMatches(`"nope"`, CLIENT_JS_ETAG));
});

Deno.test("GET /sdk/securix.js serves the embedded server SDK bundle, cached like client.js", async () => {
  const app = sdkRoutes();
  const res = await app.request("/sdk/securix.js", {
    headers: { origin: "https://customer.test" },
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/javascript; charset=utf-8");
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  assert.equal(res.headers.get("cross-origin-resource-policy"), "cross-origin");
  assert.equal(res.headers.get("x-content-type-options"), "nosniff");
  assert.match(res.headers.get("cache-control") ?? "", /^public, max-age=\d+/);
  assert.equal(res.headers.get("etag"), SDK_JS_ETAG);
  assert.notEqual(SDK_JS_ETAG, CLIENT_JS_ETAG);
  const body = await res.text();
  assert.equal(body, SDK_JS);
  assert.equal(body, await Deno.readTextFile(SDK_BUNDLE_PATH));
  assert.match(body, /^export \{[^}]*\bSecurix,/m);
  assert.doesNotMatch(body, /^\s*import\s/m, "one self-contained file");
  assert.doesNotMatch(body, /prom-client/, "the bridge's metrics are injected, not bundled");
  const cached = await app.request("/sdk/securix.js", {
    headers: { "if-none-match": `W/${SDK_JS_ETAG}` },
  });
  assert.equal(cached.status, 304);
  assert.equal(cached.headers.get("access-control-allow-origin"), "*");
});

Deno.test("GET /sdk/securix.d.ts serves the bundle's declarations as TypeScript; securix.js names them", async () => {
  const app = sdkRoutes();
  const js = await app.request("/sdk/securix.js");
  assert.equal(js.headers.get("x-typescript-types"), "./securix.d.ts");
  assert.equal(
    new URL("./securix.d.ts", "https://sx.test/sdk/securix.js").pathname,
    "/sdk/securix.d.ts",
  );
  const res = await app.request("/sdk/securix.d.ts", {
    headers: { origin: "https://customer.test" },
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/typescript; charset=utf-8");
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  assert.equal(res.headers.get("x-content-type-options"), "nosniff");
  assert.equal(res.headers.get("etag"), SDK_DTS_ETAG);
  assert.equal(res.headers.get("x-typescript-types"), null);
  const body = await res.text();
  assert.equal(body, SDK_DTS);
  assert.equal(body, await Deno.readTextFile(SDK_DECLARATIONS_PATH));
  assert.match(body, /^export declare class Securix \{/m);
  assert.doesNotMatch(body, /^import\s/m, "no dependency, as the bundle has none");
  const cached = await app.request("/sdk/securix.d.ts", {
    headers: { "if-none-match": SDK_DTS_ETAG },
  });
  assert.equal(cached.status, 304);
});
