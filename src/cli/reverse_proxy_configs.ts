/**
 * Ready-to-paste reverse-proxy configs for Caddy and nginx: TLS for the
 * appliance host and the wildcard `*.api.<base_domain>`, WebSocket upgrades,
 * streaming, and forwarded headers the appliance believes with
 * `trust_proxy = true`. Pure text.
 */

export interface ProxyTarget {
  /** Host name of public_url, e.g. securix.example.com. */
  publicHost: string;
  baseDomain: string;
  /** `server.listen` of the appliance. */
  listen: string;
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

function siteNames(target: ProxyTarget): string[] {
  const wildcard = `*.api.${target.baseDomain}`;
  return target.publicHost === wildcard ? [wildcard] : [target.publicHost, wildcard];
}

export function caddyConfig(target: ProxyTarget): string {
  const upstream = upstreamAddress(target.listen);
  return [
    "# Securix: the appliance host and every provider proxy host.",
    "# The wildcard certificate needs the ACME DNS challenge: use a Caddy build with your DNS",
    "# provider's module (caddy add-package github.com/caddy-dns/<provider>) and set its token.",
    `${siteNames(target).join(", ")} {`,
    "\ttls {",
    "\t\tdns <provider> {env.DNS_API_TOKEN}",
    "\t}",
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
    "}",
    "",
  ].join("\n");
}

export function nginxConfig(target: ProxyTarget): string {
  const upstream = upstreamAddress(target.listen);
  const names = siteNames(target).join(" ");
  return `# Securix: the appliance host and every provider proxy host.
# The wildcard certificate needs the ACME DNS-01 challenge (e.g. certbot with a DNS plugin):
#   certbot certonly --dns-<provider> -d ${siteNames(target).join(" -d ")}
map $http_upgrade $connection_upgrade {
    default upgrade;
    ''      close;
}

server {
    listen 80;
    listen [::]:80;
    server_name ${names};
    return 301 https://$host$request_uri;
}

server {
    listen 443 ssl;
    listen [::]:443 ssl;
    server_name ${names};

    ssl_certificate     /etc/letsencrypt/live/${target.publicHost}/fullchain.pem;
    ssl_certificate_key /etc/letsencrypt/live/${target.publicHost}/privkey.pem;

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
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Forwarded-Host $host;
        # Stream both ways (server-sent events, large uploads and downloads).
        proxy_buffering off;
        proxy_request_buffering off;
        proxy_read_timeout 300s;
        proxy_send_timeout 300s;
    }
}
`;
}
