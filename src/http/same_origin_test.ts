import assert from "node:assert/strict";
import { foreignPost, type OwnPosts } from "./same_origin.ts";

const URL_ = "http://127.0.0.1:8080/portal/start";
const post = (headers: Record<string, string>, publicOrigin?: string) =>
  foreignPost((name) => headers[name], URL_, { nullOrigin: "ours", publicOrigin });

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

/** What each page family's own posts look like (see portal_routes.tsx and console_csrf.ts). */
const PORTAL: OwnPosts = { nullOrigin: "ours", publicOrigin: "https://securix.example" };
const CONSOLE: OwnPosts = { nullOrigin: "foreign" };

Deno.test("foreignPost: both page families, every Sec-Fetch-Site and Origin", () => {
  const origins: Record<string, string | undefined> = {
    absent: undefined,
    null: "null",
    ours: "http://127.0.0.1:8080",
    "public_url's": "https://securix.example",
    foreign: "https://evil.example",
    malformed: "not a url",
  };
  // Without Sec-Fetch-Site: Origin → [foreign for the portal, for the console].
  const byOrigin: Record<string, [boolean, boolean]> = {
    absent: [false, false],
    null: [false, true],
    ours: [false, false],
    // The console has no public URL: only the Host it was sent to.
    "public_url's": [false, true],
    foreign: [true, true],
    malformed: [true, true],
  };
  // With it, the browser compared the page's origin itself: whatever Host a proxy set or
  // Origin (a no-referrer page's `null`) came along.
  const bySite: Record<string, boolean> = {
    "cross-site": true,
    "same-site": true,
    "same-origin": false,
    none: false,
  };
  for (const [origin, value] of Object.entries(origins)) {
    for (const site of [undefined, ...Object.keys(bySite)]) {
      const headers: Record<string, string | undefined> = { "sec-fetch-site": site, origin: value };
      const header = (name: string) => headers[name];
      const [portal, console] = site === undefined
        ? byOrigin[origin]
        : [bySite[site], bySite[site]];
      const what = `Sec-Fetch-Site ${site ?? "absent"}, Origin ${origin}`;
      assert.equal(foreignPost(header, URL_, PORTAL), portal, `portal: ${what}`);
      assert.equal(foreignPost(header, URL_, CONSOLE), console, `console: ${what}`);
    }
  }
});
