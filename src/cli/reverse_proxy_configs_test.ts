import assert from "node:assert/strict";
import {
  caddyOnDemandConfig,
  caddyOwnCertConfig,
  nginxConfig,
  upstreamAddress,
} from "./reverse_proxy_configs.ts";

const TARGET = {
  publicUrl: "https://securix.example.com",
  baseDomain: "securix.example.com",
  listen: "127.0.0.1:8080",
};

Deno.test("proxy configs: the upstream is the listen address, wildcard binds become loopback", () => {
  assert.equal(upstreamAddress("127.0.0.1:8080"), "127.0.0.1:8080");
  assert.equal(upstreamAddress("0.0.0.0:9000"), "127.0.0.1:9000");
  assert.equal(upstreamAddress("[::]:9000"), "[::1]:9000");
});

Deno.test("proxy configs: Caddy On-Demand TLS asks the appliance and needs no DNS module", () => {
  const text = caddyOnDemandConfig(TARGET);
  assert.match(
    text,
    /^https:\/\/securix\.example\.com, https:\/\/\*\.api\.securix\.example\.com \{$/m,
  );
  assert.match(
    text,
    /^\ton_demand_tls \{\n\t\task http:\/\/127\.0\.0\.1:8080\/\.well-known\/securix\/tls-ask\n\t\}$/m,
  );
  assert.match(text, /^\ttls \{\n\t\ton_demand\n\t\}$/m);
  assert.doesNotMatch(text.replace(/#.*$/gm, ""), /\bdns\b/);
  assert.match(text, /^\treverse_proxy 127\.0\.0\.1:8080 \{$/m);
  for (const header of ["Host {host}", "X-Forwarded-Host {host}", "X-Forwarded-Proto {scheme}"]) {
    assert.match(text, new RegExp(`header_up ${header.replace(/[{}]/g, "\\$&")}`));
  }
  assert.match(text, /header_up X-Forwarded-For \{remote_host\}/);
  assert.match(text, /flush_interval -1/);
  assert.equal(countChar(text, "{"), countChar(text, "}"), "balanced braces");
});

Deno.test("proxy configs: Caddy with your own certificate names both files", () => {
  const text = caddyOwnCertConfig({ ...TARGET, certFile: "/c.pem", keyFile: "/k.pem" });
  assert.match(text, /^\ttls \/c\.pem \/k\.pem$/m);
  assert.doesNotMatch(text, /on_demand/);
  assert.match(
    caddyOwnCertConfig(TARGET),
    /tls \/etc\/letsencrypt\/live\/securix\.example\.com\/fullchain\.pem /,
  );
});

Deno.test("proxy configs: the port and scheme of public_url are where the proxy listens", () => {
  const port = { ...TARGET, publicUrl: "https://securix.example.com:8443" };
  assert.match(
    caddyOnDemandConfig(port),
    /^https:\/\/securix\.example\.com:8443, https:\/\/\*\.api\.securix\.example\.com:8443 \{$/m,
  );
  const nginx = nginxConfig(port);
  assert.ok(nginx.includes("listen 8443 ssl;"), nginx);
  assert.equal(nginx.includes("listen 443"), false);
  assert.ok(nginx.includes("return 301 https://$host:8443$request_uri;"));
  assert.ok(nginx.includes("proxy_set_header Host $host:8443;"));

  const plain = {
    ...TARGET,
    publicUrl: "http://securix.example.com:8080",
    listen: "127.0.0.1:9000",
  };
  const plainNginx = nginxConfig(plain);
  assert.ok(plainNginx.includes("listen 8080;"), plainNginx);
  for (const absent of ["ssl", "return 301", "listen 80;"]) {
    assert.equal(plainNginx.replace(/#.*$/gm, "").includes(absent), false, absent);
  }
  const plainCaddy = caddyOnDemandConfig(plain);
  assert.match(
    plainCaddy,
    /^http:\/\/securix\.example\.com:8080, http:\/\/\*\.api\.securix\.example\.com:8080 \{$/m,
  );
  assert.doesNotMatch(plainCaddy, /tls/);
});

Deno.test("proxy configs: nginx upgrades WebSockets, streams, and replaces X-Forwarded-For", () => {
  const text = nginxConfig({ ...TARGET, listen: "0.0.0.0:8443" });
  const names = "server_name securix.example.com *.api.securix.example.com;";
  assert.equal(text.split(names).length - 1, 2, "both servers name host and wildcard");
  for (
    const line of [
      "map $http_upgrade $connection_upgrade {",
      "listen 443 ssl;",
      "ssl_certificate     /etc/letsencrypt/live/securix.example.com/fullchain.pem;",
      "ssl_certificate_key /etc/letsencrypt/live/securix.example.com/privkey.pem;",
      "proxy_pass http://127.0.0.1:8443;",
      "proxy_http_version 1.1;",
      "proxy_set_header Upgrade $http_upgrade;",
      "proxy_set_header Connection $connection_upgrade;",
      "proxy_set_header Host $host;",
      "proxy_set_header X-Forwarded-For $remote_addr;",
      "proxy_set_header X-Forwarded-Proto $scheme;",
      "proxy_set_header X-Forwarded-Host $host;",
      "proxy_buffering off;",
      "proxy_request_buffering off;",
      "client_max_body_size 100m;",
      "return 301 https://$host$request_uri;",
    ]
  ) {
    assert.ok(text.includes(line), `missing: ${line}`);
  }
  assert.equal(text.includes("$proxy_add_x_forwarded_for"), false);
  assert.equal(countChar(text, "{"), countChar(text, "}"), "balanced braces");
  for (const line of text.split("\n")) {
    const code = line.replace(/#.*/, "").trim();
    if (code && !code.endsWith("{") && code !== "}") {
      assert.ok(code.endsWith(";"), `directive ends with ';': ${code}`);
    }
  }
});

Deno.test("proxy configs: a public host that is the wildcard itself is named once", () => {
  const text = caddyOwnCertConfig({ ...TARGET, publicUrl: "https://x.api.securix.example.com" });
  assert.match(text, /^https:\/\/x\.api\.securix\.example\.com, https:\/\/\*\.api/m);
  const wildcard = nginxConfig({
    ...TARGET,
    baseDomain: "b.example",
    publicUrl: "https://a.api.b.example",
  });
  assert.ok(wildcard.includes("server_name a.api.b.example *.api.b.example;"));
});

function countChar(text: string, char: string): number {
  return text.replace(/#.*$/gm, "").split(char).length - 1;
}
