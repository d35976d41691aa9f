/**
 * Paste-ready reverse-proxy configs for Caddy and nginx: the appliance host
 * and the wildcard `*.api.<base_domain>` on public_url's scheme and port,
 * WebSocket upgrades, streaming, and forwarded headers the appliance believes
 * with `trust_proxy = true`. Pure text; each one passes `caddy validate` or
 * `nginx -t` as printed (reverse_proxy_validate_test.ts).
 */
import { TLS_ASK_PATH } from "../http/tls_ask.ts";

export interface ProxyTarget {
  /** `server.public_url`: its scheme, host and port are where the proxy listens. */
  publicUrl: string;
  baseDomain: string;
  /** `server.listen` of the appliance. */
  listen: string;
  /** Certificate (chain) and key covering the host and the wildcard, for the own-certificate configs. */
  certFile?: string;
  keyFile?: string;
}

/** Where the proxy connects: the listen address, with a wildcard bind turned into loopback. */
export function upstreamAddress(listen: string): string {
  const at = listen.lastIndexOf(":");
  const host = listen.slice(0, at);
  const port = listen.slice(at + 1);
  if (host === "0.0.0.0") return `127.0.0.1:${port}`;
  if (host === "[::]") return `[::1]:${port}`;
  return listen;
}

interface Site {
  https: boolean;
  /** The port public_url names, or the scheme's default. */
  port: number;
  /** `:8443`, or empty for the scheme's default port. */
  portSuffix: string;
  names: string[];
  certFile: string;
  keyFile: string;
}

function site(target: ProxyTarget): Site {
  const url = new URL(target.publicUrl);
  const https = url.protocol === "https:";
  const wildcard = `*.api.${target.baseDomain}`;
  const names = url.hostname === wildcard ? [wildcard] : [url.hostname, wildcard];
  const live = `/etc/letsencrypt/live/${url.hostname}`;
  return {
    https,
    port: url.port ? Number(url.port) : https ? 443 : 80,
    portSuffix: url.port ? `:${url.port}` : "",
    names,
    certFile: target.certFile ?? `${live}/fullchain.pem`,
    keyFile: target.keyFile ?? `${live}/privkey.pem`,
  };
}

function caddySiteAddresses(s: Site): string {
  return s.names.map((n) => `${s.https ? "https" : "http"}://${n}${s.portSuffix}`).join(", ");
}

function caddyProxy(upstream: string): string[] {
  return [
    "\t# WebSocket upgrades are proxied automatically.",
    `\treverse_proxy ${upstream} {`,
    "\t\theader_up Host {host}",
    "\t\theader_up X-Forwarded-Host {host}",
    "\t\theader_up X-Forwarded-Proto {scheme}",
    "\t\t# Replace, not append: the appliance reads the last X-Forwarded-For entry.",
    "\t\theader_up X-Forwarded-For {remote_host}",
    "\t\t# Stream responses (server-sent events, downloads) without buffering.",
    "\t\tflush_interval -1",
    "\t}",
  ];
}

/**
 * Caddy with On-Demand TLS: a certificate per name, obtained at the first
 * handshake, only for names the appliance confirms (its host and the proxy
 * hosts of enabled providers). Works with a stock Caddy (no DNS module).
 */
export function caddyOnDemandConfig(target: ProxyTarget): string {
  const s = site(target);
  const upstream = upstreamAddress(target.listen);
  if (!s.https) return caddyPlainConfig(target);
  return [
    "# Securix behind Caddy, On-Demand TLS (works with Debian's caddy package).",
    "# Caddy gets a certificate per host name at its first visit (ACME HTTP-01 or TLS-ALPN:",
    "# ports 80 and 443 must be reachable from the internet), and only for names the",
    "# appliance confirms: its own host and <provider>.api.<base domain> of enabled providers.",
    "{",
    "\ton_demand_tls {",
    `\t\task http://${upstream}${TLS_ASK_PATH}`,
    "\t}",
    "}",
    "",
    `${caddySiteAddresses(s)} {`,
    "\ttls {",
    "\t\ton_demand",
    "\t}",
    ...caddyProxy(upstream),
    "}",
    "",
  ].join("\n");
}

/** Caddy with a certificate you bring (e.g. a wildcard from your CA or certbot). */
export function caddyOwnCertConfig(target: ProxyTarget): string {
  const s = site(target);
  const upstream = upstreamAddress(target.listen);
  if (!s.https) return caddyPlainConfig(target);
  return [
    "# Securix behind Caddy with your own certificate; it must cover",
    `# ${s.names.join(" and ")}. Caddy reads both files at start.`,
    `${caddySiteAddresses(s)} {`,
    `\ttls ${s.certFile} ${s.keyFile}`,
    ...caddyProxy(upstream),
    "}",
    "",
  ].join("\n");
}

/** public_url is plain http: no TLS at the proxy. */
function caddyPlainConfig(target: ProxyTarget): string {
  const s = site(target);
  return [
    "# Securix behind Caddy on plain HTTP (public_url is http://).",
    `${caddySiteAddresses(s)} {`,
    ...caddyProxy(upstreamAddress(target.listen)),
    "}",
    "",
  ].join("\n");
}

export function nginxConfig(target: ProxyTarget): string {
  const s = site(target);
  const upstream = upstreamAddress(target.listen);
  const names = s.names.join(" ");
  // $host drops the port; the appliance builds links from public_url, but keep what clients sent.
  const host = s.portSuffix ? `$host${s.portSuffix}` : "$host";
  const header = s.https
    ? `# Securix: the appliance host and every provider proxy host.
# The wildcard certificate needs the ACME DNS-01 challenge (e.g. certbot with a DNS plugin):
#   certbot certonly --dns-<provider> -d ${s.names.join(" -d ")}
# or use a certificate you have: point ssl_certificate and ssl_certificate_key at it.
`
    : `# Securix on plain HTTP (public_url is http://): the appliance host and every provider proxy host.
`;
  const redirect = s.https && s.port !== 80
    ? `
server {
    listen 80;
    listen [::]:80;
    server_name ${names};
    return 301 https://$host${s.portSuffix}$request_uri;
}
`
    : "";
  const listen = s.https
    ? `    listen ${s.port} ssl;
    listen [::]:${s.port} ssl;`
    : `    listen ${s.port};
    listen [::]:${s.port};`;
  const tls = s.https
    ? `
    ssl_certificate     ${s.certFile};
    ssl_certificate_key ${s.keyFile};
`
    : "";
  return `${header}map $http_upgrade $connection_upgrade {
    default upgrade;
    ''      close;
}
${redirect}
server {
${listen}
    server_name ${names};
${tls}
    # Proxied uploads to provider APIs; the appliance's own API has its own limit.
    client_max_body_size 100m;

    location / {
        proxy_pass http://${upstream};
        proxy_http_version 1.1;
        # WebSockets
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $connection_upgrade;
        # Forwarded headers, believed by the appliance with trust_proxy = true.
        # X-Forwarded-For is replaced, not appended: the appliance reads its last entry.
        proxy_set_header Host ${host};
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Forwarded-Host ${host};
        # Stream both ways (server-sent events, large uploads and downloads).
        proxy_buffering off;
        proxy_request_buffering off;
        proxy_read_timeout 300s;
        proxy_send_timeout 300s;
    }
}
`;
}
