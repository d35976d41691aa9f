import assert from "node:assert/strict";
import { approvalLink, digestLinkToken, linkKind, newLinkToken } from "./approval_link.ts";

Deno.test("approval links: tokens are random, stored as digests, and tell which link they are", () => {
  const approve = newLinkToken();
  const deny = newLinkToken();
  assert.match(approve, /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(approve, deny);
  const digests = { approveDigest: digestLinkToken(approve), denyDigest: digestLinkToken(deny) };
  assert.ok(!digests.approveDigest.includes(approve));
  assert.equal(linkKind(digests, approve), "approve");
  assert.equal(linkKind(digests, deny), "deny");
  // A digest presented as a token, a changed character, or junk: neither.
  assert.equal(linkKind(digests, digests.approveDigest), null);
  assert.equal(linkKind(digests, approve.slice(0, -1) + (approve.endsWith("A") ? "B" : "A")), null);
  assert.equal(linkKind(digests, ""), null);
  assert.equal(linkKind(digests, "../../etc"), null);
  assert.equal(
    approvalLink("https://sx.example.com/", "apr_x", approve),
    `https://sx.example.com/approvals/apr_x?t=${approve}`,
  );
});
