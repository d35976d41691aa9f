import ipaddr from "ipaddr.js";

/** How one address was judged: `range` names the special-purpose block it fell in. */
export interface AddressVerdict {
  public: boolean;
  range: string;
}

/** Global unicast (RFC 4291 §2.4): everything outside 2000::/3 is IETF-reserved or special. */
const GLOBAL_UNICAST = ipaddr.IPv6.parseCIDR("2000::/3");
/** IPv4-compatible addresses (RFC 4291 §2.5.5.1, deprecated): Linux may route them to IPv4. */
const IPV4_COMPATIBLE = ipaddr.IPv6.parseCIDR("::/96");
/** RFC 9780 dummy prefix; not (yet) in ipaddr.js's table. */
const DUMMY_PREFIX = ipaddr.IPv6.parseCIDR("100:0:0:1::/64");

function v4(parts: number[]): ipaddr.IPv4 {
  return new ipaddr.IPv4(parts);
}

function fromWords(high: number, low: number, xor = 0): ipaddr.IPv4 {
  const value = (((high << 16) | low) ^ xor) >>> 0;
  return v4([value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff]);
}

/**
 * The IPv4 addresses an IPv6 address carries and would be delivered to by a
 * dual-stack host or a translator: mapped (::ffff:a.b.c.d), SIIT
 * (::ffff:0:a.b.c.d), compatible (::a.b.c.d), NAT64 (64:ff9b::a.b.c.d), 6to4
 * (2002:AABB:CCDD::) and Teredo (server and obfuscated client). Null when none.
 */
function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4[] | null {
  const w = address.parts;
  switch (address.range()) {
    case "ipv4Mapped":
    case "rfc6145":
      return [fromWords(w[6], w[7])];
    case "rfc6052":
      // Only the well-known /96 embeds at the end; the local-use /48 is refused as is.
      return w[2] === 0 && w[3] === 0 && w[4] === 0 && w[5] === 0 ? [fromWords(w[6], w[7])] : null;
    case "6to4":
      return [fromWords(w[1], w[2])];
    case "teredo":
      return [fromWords(w[2], w[3]), fromWords(w[6], w[7], 0xffffffff)];
  }
  if (address.match(IPV4_COMPATIBLE) && (w[6] !== 0 || w[7] > 1)) return [fromWords(w[6], w[7])];
  return null;
}

function classifyIPv4(address: ipaddr.IPv4): AddressVerdict {
  const range = address.range();
  return { public: range === "unicast", range };
}

function classifyIPv6(address: ipaddr.IPv6): AddressVerdict {
  const embedded = embeddedIPv4(address);
  if (embedded) {
    const blocked = embedded.map(classifyIPv4).find((v) => !v.public);
    const via = address.match(IPV4_COMPATIBLE) ? "ipv4Compatible" : address.range();
    return blocked
      ? { public: false, range: `${via}→${blocked.range}` }
      : { public: true, range: `${via}→unicast` };
  }
  if (address.match(DUMMY_PREFIX)) return { public: false, range: "dummyPrefix" };
  const range = address.range();
  if (range !== "unicast") return { public: false, range };
  return address.match(GLOBAL_UNICAST)
    ? { public: true, range }
    : { public: false, range: "notGlobalUnicast" };
}

/**
 * Whether an address is one the appliance may send a webhook to without the
 * operator's leave: only global unicast, after unwrapping every IPv6 form
 * that carries an IPv4 address. ipaddr.js holds the IANA special-purpose
 * registries (loopback, private, CGNAT, benchmarking, documentation,
 * reserved, multicast, ORCHID, AS112 …); a hand-written list went stale.
 * Only canonical spellings are addresses here: dotted quads (the URL parser
 * already rewrites 2130706433, 0x7f.1 and 0177.1 to them) and IPv6 text.
 * Anything else, and zone ids, is not public.
 */
export function classifyAddress(text: string): AddressVerdict {
  const bare = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  if (ipaddr.IPv4.isValidFourPartDecimal(bare)) return classifyIPv4(ipaddr.IPv4.parse(bare));
  if (!bare.includes("%") && ipaddr.IPv6.isValid(bare)) {
    return classifyIPv6(ipaddr.IPv6.parse(bare));
  }
  return { public: false, range: "notAnAddress" };
}

/** True when the text is an IP literal (after URL normalisation), not a name to resolve. */
export function isAddressLiteral(host: string): boolean {
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  return ipaddr.IPv4.isValidFourPartDecimal(bare) || ipaddr.IPv6.isValid(bare);
}
