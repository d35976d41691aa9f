import assert from "node:assert/strict";
import { newId } from "../db/ids.ts";
import { digestGrant, generateGrant, looksLikeGrant, verifiedGrantId } from "./mcp_grant_token.ts";

const KEY = new Uint8Array(32).fill(7);
const OTHER = new Uint8Array(32).fill(8);

Deno.test("mcp grant: signed, names its row, refused when tampered or signed with another key", () => {
  const id = newId("mcp");
  const grant = generateGrant(id, KEY);
  assert.ok(looksLikeGrant(grant));
  assert.equal(verifiedGrantId(grant, KEY), id);
  assert.equal(verifiedGrantId(grant, OTHER), null);
  const flip = (s: string, at: number) =>
    s.slice(0, at) + (s[at] === "a" ? "b" : "a") + s.slice(at + 1);
  for (const at of [8, grant.indexOf(".") + 3, grant.length - 2]) {
    assert.equal(verifiedGrantId(flip(grant, at), KEY), null, `tampered at ${at}`);
  }
  // Another row's id with this grant's secret and signature.
  const swapped = grant.replace(id, newId("mcp"));
  assert.equal(verifiedGrantId(swapped, KEY), null);
  assert.equal(verifiedGrantId("", KEY), null);
  assert.equal(verifiedGrantId(grant + "x", KEY), null);
  assert.match(digestGrant(grant), /^[0-9a-f]{64}$/);
  assert.notEqual(generateGrant(id, KEY), grant, "random part differs each time");
});
