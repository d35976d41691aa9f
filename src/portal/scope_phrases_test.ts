import assert from "node:assert/strict";
import { scopePhrase, scopePhrases } from "./scope_phrases.ts";

Deno.test("scopePhrase: catalog scope ids in plain words, unknown ids as they are", () => {
  assert.deepEqual(
    scopePhrase("https://www.googleapis.com/auth/gmail.readonly"),
    "Read your email",
  );
  assert.deepEqual(scopePhrase("Mail.Send"), "Send email as you");
  assert.deepEqual(scopePhrase("custom:thing"), "custom:thing");
  assert.deepEqual(scopePhrases(["read:user", "User.Read", "openid"]), [
    "See your profile",
    "Confirm who you are",
  ]);
});
