import assert from "node:assert/strict";
import { classifyAddress } from "./address_class.ts";

/** Every form from issue #10 that reached a loopback receiver, and the IANA blocks around them. */
const NOT_PUBLIC: string[] = [
  // IPv4 special-purpose blocks
  "0.0.0.0",
  "0.1.2.3",
  "10.1.2.3",
  "100.64.0.1",
  "127.0.0.1",
  "127.255.255.254",
  "169.254.169.254",
  "172.16.0.1",
  "172.31.255.255",
  "192.0.0.8",
  "192.0.2.1",
  "192.31.196.1",
  "192.52.193.1",
  "192.88.99.1",
  "192.168.1.1",
  "192.175.48.1",
  "198.18.0.1",
  "198.19.255.254",
  "198.51.100.7",
  "203.0.113.9",
  "224.0.0.1",
  "240.0.0.1",
  "255.255.255.255",
  // IPv6 special-purpose blocks
  "::",
  "::1",
  "[::1]",
  "fe80::1",
  "fec0::1",
  "fc00::1",
  "fd00::1",
  "ff02::1",
  "100::1",
  "100:0:0:1::1",
  "2001:db8::1",
  "2001:2::1",
  "2001:10::1",
  "2001:20::1",
  "2001:4:112::1",
  "2620:4f:8000::1",
  "3fff::1",
  "5f00::1",
  "64:ff9b:1::1",
  "4000::1",
  // IPv6 forms that carry a private IPv4 address
  "::ffff:127.0.0.1",
  "::ffff:7f00:1",
  "[::ffff:7f00:1]",
  "0:0:0:0:0:ffff:127.0.0.1",
  "::ffff:169.254.169.254",
  "::ffff:a9fe:a9fe",
  "::7f00:1",
  "::127.0.0.1",
  "::a00:1",
  "::ffff:0:7f00:1",
  "::ffff:0:127.0.0.1",
  "64:ff9b::7f00:1",
  "64:ff9b::127.0.0.1",
  "64:ff9b::a9fe:a9fe",
  "2002:7f00:1::1",
  "2002:a00:1::",
  "2001:0:4136:e378:8000:63bf:80ff:fffe", // Teredo, client 127.0.0.1
  "2001:0:a00:1:8000:63bf:a247:28f1", // Teredo, server 10.0.0.1, client public
  // Not canonical addresses: never judged public
  "2130706433",
  "0x7f.1",
  "017700000001",
  "127.1",
  "fe80::1%eth0",
  "example.com",
  "",
];

const PUBLIC: string[] = [
  "93.184.215.14",
  "8.8.8.8",
  "1.1.1.1",
  "172.32.0.1",
  "192.0.3.1",
  "2606:4700::1111",
  "[2606:4700::1111]",
  "2a00:1450:4001:80b::200e",
  "::ffff:93.184.215.14",
  "64:ff9b::5db8:d70e", // NAT64 of 93.184.215.14
  "2002:5db8:d70e::1", // 6to4 of 93.184.215.14
];

Deno.test("address class: loopback, private, special-purpose and IPv4-carrying forms are not public", () => {
  for (const address of NOT_PUBLIC) {
    const verdict = classifyAddress(address);
    assert.equal(verdict.public, false, `${address} judged public (${verdict.range})`);
  }
});

Deno.test("address class: global unicast addresses are public", () => {
  for (const address of PUBLIC) {
    const verdict = classifyAddress(address);
    assert.equal(verdict.public, true, `${address} refused (${verdict.range})`);
  }
});

Deno.test("address class: the range names the block, through the IPv6 wrapper", () => {
  assert.equal(classifyAddress("::ffff:7f00:1").range, "ipv4Mapped→loopback");
  assert.equal(classifyAddress("::7f00:1").range, "ipv4Compatible→loopback");
  assert.equal(classifyAddress("64:ff9b::a9fe:a9fe").range, "rfc6052→linkLocal");
  assert.equal(classifyAddress("198.18.0.1").range, "reserved");
  assert.equal(classifyAddress("2001:db8::1").range, "reserved");
  assert.equal(classifyAddress("fec0::1").range, "deprecatedSiteLocal");
});
