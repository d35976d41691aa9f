import ipaddr from "ipaddr.js";

/** Whether a socket peer is a reverse proxy whose X-Forwarded-* headers are believed. */
export type TrustedProxies = (address: string) => boolean;

/** What `trust_proxy = true` has always meant: a proxy on this machine. */
export const LOOPBACK_PROXIES: readonly string[] = ["127.0.0.0/8", "::1/128"];

/**
 * A literal IP address: dotted-quad IPv4 (not the classful `1.2.3` forms
 * ipaddr.js also accepts) or IPv6, unwrapped from its IPv4-mapped form.
 */
export function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  const bare = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  if (!ipaddr.IPv4.isValidFourPartDecimal(bare) && !ipaddr.IPv6.isValid(bare)) return null;
  return ipaddr.process(bare);
}

/** The address written one way: IPv4 dotted, IPv6 compressed and without a zone id. */
export function canonicalAddress(address: ipaddr.IPv4 | ipaddr.IPv6): string {
  return address.kind() === "ipv4"
    ? address.toString()
    : ipaddr.fromByteArray(address.toByteArray()).toString();
}

/** One `trust_proxy` entry: an address (a /32 or /128) or a CIDR range; null if neither. */
export function parseProxyEntry(entry: string): [ipaddr.IPv4 | ipaddr.IPv6, number] | null {
  const [addressPart, bits, ...rest] = entry.trim().split("/");
  if (rest.length > 0) return null;
  const address = parseAddress(addressPart);
  if (!address) return null;
  // ::ffff:10.0.0.0/104 was unwrapped to IPv4 above: its prefix loses the 96 mapped bits.
  const offset = address.kind() === "ipv4" && addressPart.includes(":") ? 96 : 0;
  const max = address.kind() === "ipv4" ? 32 : 128;
  if (bits === undefined) return [address, max];
  if (!/^[0-9]{1,3}$/.test(bits)) return null;
  const prefix = Number(bits) - offset;
  return prefix >= 0 && prefix <= max ? [address, prefix] : null;
}

/** `trust_proxy` as configured (true, false, or a list of entries) → the entries it means. */
export function trustedProxyEntries(setting: boolean | readonly string[]): readonly string[] {
  if (setting === true) return LOOPBACK_PROXIES;
  if (setting === false) return [];
  return setting;
}

/** Entries (already validated by the config schema) → a matcher; an empty list trusts nobody. */
export function trustedProxies(entries: readonly string[]): TrustedProxies {
  const ranges = entries.map(parseProxyEntry).filter((r) => r !== null);
  if (ranges.length === 0) return () => false;
  return (address) => {
    const parsed = parseAddress(address);
    if (!parsed) return false;
    return ranges.some(([range, bits]) => inRange(parsed, range, bits));
  };
}

function inRange(
  address: ipaddr.IPv4 | ipaddr.IPv6,
  range: ipaddr.IPv4 | ipaddr.IPv6,
  bits: number,
): boolean {
  if (address.kind() !== range.kind()) return false;
  return address.kind() === "ipv4"
    ? (address as ipaddr.IPv4).match(range as ipaddr.IPv4, bits)
    : (address as ipaddr.IPv6).match(range as ipaddr.IPv6, bits);
}
