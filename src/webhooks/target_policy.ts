import { lookup } from "node:dns/promises";
import { SecurixError } from "../errors/securix_error.ts";
import { classifyAddress, isAddressLiteral } from "./address_class.ts";

export type Resolver = (host: string) => Promise<string[]>;

const RESOLVE_TIMEOUT_MS = 3_000;

/**
 * The system resolver (getaddrinfo: /etc/hosts, nsswitch, DNS), the one a
 * plain connect would have used, so an on-prem name in /etc/hosts still
 * works with `allow_private_targets`. Bounded: getaddrinfo has no timeout.
 */
export const dnsResolver: Resolver = async (host) => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`resolving ${host} timed out`)), RESOLVE_TIMEOUT_MS);
  });
  try {
    const found = await Promise.race([lookup(host, { all: true, verbatim: true }), timeout]);
    return found.map((a) => a.address);
  } catch {
    return [];
  } finally {
    clearTimeout(timer);
  }
};

/** What an app is told when its target is refused: the same words whatever the reason. */
export const TARGET_REFUSED_MESSAGE =
  "target refused: not a public address (an operator can allow private targets with [webhooks] allow_private_targets)";

/**
 * A refusal: the app sees one generic message; `reason` (which name, which
 * address, which range) is for the operator's log and CLI, because telling
 * "does not resolve" from "resolves to 10.0.0.5" would let an app map the
 * appliance's internal DNS.
 */
export class TargetRefused extends SecurixError {
  readonly reason: string;
  constructor(reason: string) {
    super("SX-WEBHOOK-TARGET-REFUSED", TARGET_REFUSED_MESSAGE, { status: 400 });
    this.reason = reason;
  }
}

function malformed(message: string): SecurixError {
  return new SecurixError("SX-WEBHOOK-TARGET-REFUSED", message, { status: 400 });
}

/** A target that passed the policy, and the addresses it was judged by: connect to these only. */
export interface CheckedTarget {
  url: URL;
  /** In resolver order; never empty. */
  addresses: string[];
  /** Every address is global unicast. False only when the operator allows private targets. */
  isPublic: boolean;
}

/**
 * Webhook targets must be public unless the operator allows private ones
 * (`[webhooks] allow_private_targets`): otherwise a webhook is a way to make
 * the appliance send requests into its own network. Checked when an endpoint
 * is added and again before every delivery (DNS may change); the delivery
 * then connects to the addresses returned here, never to a second lookup.
 */
export async function checkWebhookTarget(
  raw: string,
  options: { allowPrivate: boolean; resolve: Resolver },
): Promise<CheckedTarget> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw malformed(`"${raw}" is not a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw malformed("Webhook URLs must use https (or http)");
  }
  if (url.username || url.password) throw malformed("Webhook URLs must not contain credentials");
  // The URL parser has already rewritten 2130706433, 0x7f.1, 0177.0.0.1 and
  // 127.1 to 127.0.0.1, and IPv6 to its compressed form in brackets.
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const isLocalName = host === "localhost" || host.endsWith(".localhost");
  if (isLocalName && !options.allowPrivate) throw new TargetRefused(`${host} is a loopback name`);
  const addresses = isAddressLiteral(host)
    ? [host]
    : isLocalName
    ? ["127.0.0.1", "::1"]
    : await options.resolve(host);
  if (addresses.length === 0) throw new TargetRefused(`${host} does not resolve`);
  const verdicts = addresses.map((a) => ({ address: a, ...classifyAddress(a) }));
  const blocked = verdicts.find((v) => !v.public);
  if (blocked && !options.allowPrivate) {
    throw new TargetRefused(
      blocked.address === host
        ? `${host} is not a public address (${blocked.range})`
        : `${host} resolves to ${blocked.address}, not a public address (${blocked.range})`,
    );
  }
  return { url, addresses, isPublic: blocked === undefined };
}
