/**
 * A call whose answer a redact (or hide) rule reads goes out without the
 * caller's `Range`/`If-Range`: a provider that honours them (a Drive
 * `alt=media` download of a JSON file) answers a slice that is no longer
 * JSON, which redaction would skip and pass on unredacted.
 */
import assert from "node:assert/strict";
import { MESSAGE_IDS } from "./helpers/fake_apis/gmail_seed.ts";
import { rulesEnv } from "./helpers/rules_env.ts";

Deno.test({
  name: "rules attack: a Range request does not slip an answer past redaction",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const env = await rulesEnv({
      rules: [{ name: "pii", target: "gmail.*", effect: "redact", patterns: ["ssn"] }],
    });
    try {
      const url = `${env.proxy("gmail")}/gmail/v1/users/me/messages/${MESSAGE_IDS.HR_PAYROLL}`;
      const res = await fetch(url, {
        headers: { ...env.headers(), range: "bytes=10-200", "if-range": '"x"' },
      });
      await res.body?.cancel();
      const seen = env.fake.seen.at(-1)!;
      assert.equal(seen.path, `/gmail/v1/users/me/messages/${MESSAGE_IDS.HR_PAYROLL}`);
      assert.equal(seen.headers.get("range"), null);
      assert.equal(seen.headers.get("if-range"), null);
      // Without a rule reading the answer, Range passes as before.
      const drive = await fetch(`${env.proxy("drive")}/drive/v3/files`, {
        headers: { ...env.headers(), range: "bytes=0-10" },
      });
      await drive.body?.cancel();
      assert.equal(env.fake.seen.at(-1)!.headers.get("range"), "bytes=0-10");
    } finally {
      await env.close();
    }
  },
});
