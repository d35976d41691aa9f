/**
 * Under a Gmail hide rule, a single item is looked up (its labels) before the
 * call goes out. The operation map reads `users/me//messages/ID`,
 * `users/me/MESSAGES/ID` or `%6Dessages` as a messages.get too, and Google
 * may read them so: when the item id cannot be read from the path as sent,
 * the call is refused as a hidden item, never forwarded on the hope that
 * Google answers 404.
 */
import assert from "node:assert/strict";
import { MESSAGE_IDS, THREAD_IDS } from "./helpers/fake_apis/gmail_seed.ts";
import { rawRequest, statusOf } from "./helpers/raw_http.ts";
import { rulesEnv } from "./helpers/rules_env.ts";

Deno.test({
  name:
    "rules attack: a Gmail item call whose id the hide check cannot read is refused, not forwarded",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const env = await rulesEnv({
      rules: [{ name: "hide_hr", target: "gmail.*", effect: "hide", labels: ["HR"] }],
    });
    try {
      const auth = Object.entries(env.headers());
      const call = (method: string, path: string) =>
        rawRequest(env.port, {
          method,
          target: `/proxy/gmail/gmail/v1${path}`,
          headers: method === "POST" ? [...auth, ["Content-Length", "0"]] : auth,
        });
      const hr = MESSAGE_IDS.HR_PAYROLL;
      const visible = MESSAGE_IDS.PLANNING;
      const reached = env.fake.seenBy("gmail").length;
      const attacks: [string, string][] = [
        ["GET", `/users/me//messages/${hr}`],
        ["GET", `/users/me/MESSAGES/${hr}`],
        ["GET", `/users/me/%6Dessages/${hr}`],
        ["GET", `/users//me/messages/${hr}`],
        ["GET", `/users/me//messages/${hr}/attachments/x`],
        ["GET", `/users/me/Threads/${THREAD_IDS.LAUNCH}`],
        ["POST", `/users/me/messages//${hr}/trash`],
        // A visible message by such a path cannot be checked either.
        ["GET", `/users/me//messages/${visible}`],
      ];
      for (const [method, path] of attacks) {
        const res = await call(method, path);
        assert.ok(res, path);
        assert.equal(statusOf(res), 404, `${method} ${path}: ${res.body}`);
        assert.equal(JSON.parse(res.body).error?.code, "SX-FOLDER-HIDDEN", `${method} ${path}`);
      }
      const items = env.fake.seenBy("gmail").slice(reached).filter((s) =>
        !s.path.endsWith("/labels")
      );
      assert.deepEqual(items.map((s) => `${s.method} ${s.path}`), [], "no item call reached Gmail");
      // The path as Gmail documents it still reads a visible message.
      const ok = await call("GET", `/users/me/messages/${visible}`);
      assert.ok(ok);
      assert.equal(statusOf(ok), 200, ok.body);
      assert.equal(JSON.parse(ok.body).id, visible);
    } finally {
      await env.close();
    }
  },
});
