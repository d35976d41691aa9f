import assert from "node:assert/strict";
import { foreignPost } from "./same_origin.ts";

const URL_ = "http://127.0.0.1:8080/portal/start";
const post = (headers: Record<string, string>, publicOrigin?: string) =>
  foreignPost((name) => headers[name], URL_, publicOrigin);

Deno.test("foreignPost: Sec-Fetch-Site decides when sent; same-site is another origin", () => {
  assert.equal(post({ "sec-fetch-site": "same-origin", origin: "null" }), false);
  assert.equal(post({ "sec-fetch-site": "none" }), false);
  assert.equal(post({ "sec-fetch-site": "same-site" }), true);
  assert.equal(post({ "sec-fetch-site": "cross-site", origin: "http://127.0.0.1:8080" }), true);
});

Deno.test("foreignPost: without it, a foreign Origin is refused; ours, null or none is left to the token", () => {
  assert.equal(post({ origin: "https://evil.example" }), true);
  assert.equal(post({ origin: "not a url" }), true);
  assert.equal(post({ origin: "http://127.0.0.1:8080" }), false);
  assert.equal(post({ origin: "https://securix.example", host: "securix.example" }), false);
  assert.equal(post({ origin: "https://securix.example" }), true, "a proxy's own Host");
  assert.equal(post({ origin: "https://securix.example" }, "https://securix.example"), false);
  assert.equal(post({ origin: "null" }), false);
  assert.equal(post({}), false);
});
