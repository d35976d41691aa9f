/**
 * The DNS records an install needs: the appliance host, and the wildcard
 * `*.api.<base_domain>` that carries every provider proxy host. Pure.
 */

export interface DnsRecord {
  name: string;
  type: "A" | "AAAA" | "CNAME";
  value: string;
  note: string;
}

export interface DnsPlan {
  records: DnsRecord[];
  /** Said instead of (or after) the records, e.g. why none are needed. */
  notes: string[];
}

const SERVER_IPV4 = "<server public IPv4>";
const SERVER_IPV6 = "<server public IPv6>";

function isIp(host: string): boolean {
  return host.startsWith("[") || /^[0-9.]+$/.test(host);
}

function isLocal(host: string): boolean {
  return host === "localhost" || host.endsWith(".localhost");
}

function withinDomain(host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`);
}

export function dnsRecords(options: { publicUrl: string; baseDomain: string }): DnsPlan {
  const host = new URL(options.publicUrl).hostname.toLowerCase();
  const base = options.baseDomain.toLowerCase();
  const wildcard = `*.api.${base}`;
  const records: DnsRecord[] = [];
  const notes: string[] = [];
  if (isLocal(host) || isIp(host)) {
    notes.push(`${host} needs no DNS record.`);
  } else {
    records.push(
      { name: host, type: "A", value: SERVER_IPV4, note: "the appliance host" },
      { name: host, type: "AAAA", value: SERVER_IPV6, note: "only if the server has IPv6" },
    );
  }
  if (isLocal(base)) {
    notes.push(
      `${wildcard} needs no DNS record: browsers and most resolvers send *.localhost to loopback.`,
    );
  } else if (!isLocal(host) && !isIp(host)) {
    records.push({
      name: wildcard,
      type: "CNAME",
      value: host,
      note: "provider proxy hosts",
    });
  } else {
    records.push({ name: wildcard, type: "A", value: SERVER_IPV4, note: "provider proxy hosts" });
  }
  if (records.some((r) => r.name === wildcard) && !withinDomain(host, base)) {
    notes.push(`${host} is outside ${base}: its certificate and the wildcard's are separate.`);
  }
  return { records, notes };
}

/** Zone-file lines, aligned, with each record's purpose as a trailing comment. */
export function formatDnsRecords(plan: DnsPlan): string {
  const rows = plan.records.map((r) => [`${r.name}.`, "300", "IN", r.type, fqdn(r)]);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((row) => row[i].length)));
  const lines = rows.map((row, i) =>
    `${row.map((cell, c) => (c < 4 ? cell.padEnd(widths[c]) : cell)).join("  ")}  ; ${
      plan.records[i].note
    }`
  );
  return [...lines, ...plan.notes].join("\n");
}

function fqdn(record: DnsRecord): string {
  return record.type === "CNAME" ? `${record.value}.` : record.value;
}
