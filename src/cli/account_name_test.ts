import assert from "node:assert/strict";
import { accountName } from "./account_name.ts";

Deno.test("account name: this process's user and root by id, through the system's user databases", async () => {
  assert.equal(await accountName(0), "root");
  const passwd = await Deno.readTextFile("/etc/passwd");
  const own = passwd.split("\n").map((line) => line.split(":"))
    .find((fields) => fields[2] === String(Deno.uid()));
  if (own) assert.equal(await accountName(Deno.uid()!), own[0]);
});

Deno.test("account name: an id no account has is null", async () => {
  assert.equal(await accountName(3_999_999_999), null);
});
