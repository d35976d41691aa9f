/** GET /v1/approvals pages with the listings' opaque cursor: every held call once, newest first. */
import assert from "node:assert/strict";
import { rulesEnv, toBase64Url } from "./helpers/rules_env.ts";

Deno.test("GET /v1/approvals: cursor pages, newest first, no gap or repeat; a forged cursor is 400", async () => {
  const env = await rulesEnv({
    rules: [{ name: "send_needs_ok", target: "gmail.users.messages.send", effect: "approve" }],
  });
  try {
    const held: string[] = [];
    for (let i = 0; i < 5; i++) {
      // A different message each time: one approval per distinct call.
      const raw = toBase64Url(`To: bob@acme.com\r\nSubject: Plan ${i}\r\n\r\nSee you.\r\n`);
      const res = await fetch(`${env.proxy("gmail")}/gmail/v1/users/me/messages/send`, {
        method: "POST",
        headers: { ...env.headers(), "content-type": "application/json" },
        body: JSON.stringify({ raw }),
      });
      const body = await res.json();
      assert.equal(body.error.code, "SX-APPROVAL-REQUIRED");
      held.push(body.error.details.approvalId);
    }
    const list = (cursor?: string) =>
      fetch(`${env.base}/v1/approvals?limit=2${cursor ? `&cursor=${cursor}` : ""}`, {
        headers: { "securix-api-key": env.apiKey() },
      });
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const res = await list(cursor);
      assert.equal(res.status, 200);
      const body = await res.json();
      seen.push(...body.approvals.map((a: { id: string }) => a.id));
      if (body.nextCursor === null) break;
      cursor = body.nextCursor;
    }
    assert.deepEqual([...seen].sort(), [...held].sort(), "every held call exactly once");
    assert.equal(new Set(seen).size, 5);
    const forged = await list("bm90LWEtY3Vyc29y");
    assert.equal(forged.status, 400);
    assert.equal((await forged.json()).error.code, "SX-INVALID-INPUT");
  } finally {
    await env.close();
  }
});
