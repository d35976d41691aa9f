import assert from "node:assert/strict";
import { parseEntity } from "./rfc822_message.ts";
import { messageSubject } from "./rfc822_subject.ts";

const entity = (head: string) => parseEntity(new TextEncoder().encode(`${head}\r\n\r\nBody\r\n`))!;

Deno.test("messageSubject: plain, encoded-word and missing subjects", () => {
  assert.equal(messageSubject(entity("To: a@b.com\r\nSubject: Planning")), "Planning");
  assert.equal(
    messageSubject(entity("Subject: =?UTF-8?B?UsOpdW5pb24=?= demain")),
    "Réunion demain",
  );
  assert.equal(messageSubject(entity("To: a@b.com")), null);
});
