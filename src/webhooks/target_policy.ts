import { SecurixError } from "../errors/securix_error.ts";

function ipv4Private(ip: string): boolean {
  const [a, b] = ip.split(".").map(Number);
  return a === 10 || a === 127 || a === 0 || (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) ||
    (a === 100 && b >= 64 && b <= 127) || a >= 224;
}

function ipv6Private(ip: string): boolean {
  const v = ip.toLowerCase().replace(/^\[|\]$/g, "");
  if (v === "::1" || v === "::") return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(v);
  if (mapped) return ipv4Private(mapped[1]);
  return /^(fc|fd|fe8|fe9|fea|feb|ff)/.test(v);
}

export function isPrivateAddress(ip: string): boolean {
  return /^\d+\.\d+\.\d+\.\d+$/.test(ip) ? ipv4Private(ip) : ipv6Private(ip);
}

export type Resolver = (host: string) => Promise<string[]>;

export const dnsResolver: Resolver = async (host) => {
  const found: string[] = [];
  for (const type of ["A", "AAAA"] as const) {
    try {
      found.push(...await Deno.resolveDns(host, type, { signal: AbortSignal.timeout(3_000) }));
    } catch { /* no records of this type */ }
  }
  return found;
};

function refused(message: string): SecurixError {
  return new SecurixError("SX-WEBHOOK-TARGET-REFUSED", message, { status: 400 });
}

/**
 * Webhook targets must be public unless the operator allows private ones
 * (`[webhooks] allow_private_targets`): otherwise a webhook is a way to make
 * the appliance send requests into its own network. Checked when an endpoint
 * is added and again before every delivery (DNS may change).
 */
export async function checkWebhookTarget(
  raw: string,
  options: { allowPrivate: boolean; resolve: Resolver },
): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refused(`"${raw}" is not a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw refused("Webhook URLs must use https (or http)");
  }
  if (url.username || url.password) throw refused("Webhook URLs must not contain credentials");
  if (options.allowPrivate) return url;
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (host === "localhost" || host.endsWith(".localhost")) {
    throw refused(
      `${host} is a loopback address; set [webhooks] allow_private_targets = true for on-prem receivers`,
    );
  }
  const literal = /^[\d.]+$/.test(host) || host.includes(":");
  const addresses = literal ? [host] : await options.resolve(host);
  if (addresses.length === 0) throw refused(`${host} does not resolve`);
  const blocked = addresses.find(isPrivateAddress);
  if (blocked) {
    throw refused(
      `${host} resolves to the private address ${blocked}; set [webhooks] allow_private_targets = true for on-prem receivers`,
    );
  }
  return url;
}
