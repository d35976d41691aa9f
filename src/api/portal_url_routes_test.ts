import assert from "node:assert/strict";
import { onOrigins } from "./portal_url_routes.ts";

Deno.test("portal returnUrl: only on one of the app's origins, no credentials, http(s) only", () => {
  const origins = ["https://app.example", "http://localhost:3000"];
  assert.equal(onOrigins("https://app.example/settings?x=1", origins), true);
  assert.equal(onOrigins("http://localhost:3000/", origins), true);
  assert.equal(onOrigins("https://app.example.evil.com/", origins), false);
  assert.equal(onOrigins("http://app.example/", origins), false);
  assert.equal(onOrigins("https://user:pw@app.example/", origins), false);
  assert.equal(onOrigins("javascript:alert(1)", origins), false);
  assert.equal(onOrigins("/relative", origins), false);
  assert.equal(onOrigins("https://app.example/", []), false);
});
