import assert from "node:assert/strict";
import { dnsRecords, formatDnsRecords } from "./dns_records.ts";

Deno.test("dns records: the appliance host and the wildcard CNAME to it", () => {
  const plan = dnsRecords({
    publicUrl: "https://securix.example.com",
    baseDomain: "securix.example.com",
  });
  assert.deepEqual(
    plan.records.map((r) => [r.name, r.type, r.value]),
    [
      ["securix.example.com", "A", "<server public IPv4>"],
      ["securix.example.com", "AAAA", "<server public IPv6>"],
      ["*.api.securix.example.com", "CNAME", "securix.example.com"],
    ],
  );
  assert.deepEqual(plan.notes, []);
  const lines = formatDnsRecords(plan).split("\n");
  assert.equal(lines.length, 3);
  assert.match(
    lines[2],
    /^\*\.api\.securix\.example\.com\.\s+300\s+IN\s+CNAME\s+securix\.example\.com\.\s+;/,
  );
  assert.equal(new Set(lines.map((l) => l.indexOf(" IN "))).size, 1, "columns aligned");
});

Deno.test("dns records: a base domain apart from the host is noted", () => {
  const plan = dnsRecords({ publicUrl: "https://auth.acme.com", baseDomain: "acme-proxy.net" });
  assert.equal(plan.records[2].name, "*.api.acme-proxy.net");
  assert.equal(plan.records[2].value, "auth.acme.com");
  assert.match(plan.notes[0], /outside acme-proxy\.net/);
});

Deno.test("dns records: localhost needs none; an IP host gets a wildcard A record", () => {
  const local = dnsRecords({ publicUrl: "http://localhost:8080", baseDomain: "localhost" });
  assert.deepEqual(local.records, []);
  assert.equal(local.notes.length, 2);
  assert.match(local.notes[1], /\*\.localhost to loopback/);
  assert.equal(formatDnsRecords(local).split("\n").length, 2);
  const ip = dnsRecords({ publicUrl: "https://203.0.113.7", baseDomain: "example.net" });
  assert.deepEqual(ip.records.map((r) => [r.name, r.type]), [["*.api.example.net", "A"]]);
});
