/**
 * A `query_param` key with characters that encode (`/ + = ~`), echoed by a
 * real provider on 127.0.0.1 in every form it may take, through the proxy's
 * own HTTP/1.1 transport: in a small answer read whole (length recomputed)
 * and in a large one that streams (sent chunked). An answer without the key
 * keeps its bytes and its length.
 */
import assert from "node:assert/strict";
import type { CredentialSource } from "../src/connections/credential_source.ts";
import type { StoredCredential } from "../src/connections/connection_types.ts";
import type { Caller, CallerResolver } from "../src/proxy/caller_identity.ts";
import { h1Transport } from "../src/proxy/h1/h1_transport.ts";
import { handleProxy, matchProxy, type ProxyDeps } from "../src/proxy/proxy_handler.ts";
import { credentialInjector } from "../src/providers/credential_injection.ts";

const KEY = "sk/live+Ab=9~x";
const MARKER = "[securix:redacted]";

async function withProxy(run: (call: (path: string) => Promise<Response>) => Promise<void>) {
  const upstream = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const url = new URL(req.url);
    if (url.pathname === "/clean") return Response.json({ items: [1, 2, 3] });
    const key = url.searchParams.get("api_key") ?? "";
    // The request URL as it arrived (the key form-encoded), and the key every other way.
    const forms = [
      `http://${url.host}${url.pathname}${url.search}`,
      key,
      encodeURIComponent(key),
      encodeURIComponent(key).replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()),
    ];
    const pad = "x".repeat(Number(url.searchParams.get("pad") ?? "0"));
    // Written by hand: a PHP-style encoder escapes "/" as "\/".
    const body = `{"forms":${JSON.stringify(forms)},"escaped":"${
      key.replaceAll("/", "\\/")
    }","pad":"${pad}"}`;
    return new Response(body, { headers: { "content-type": "application/json" } });
  });
  const caller = { app: { id: "app_1" }, agentId: "a", entityId: "e", connection: {} } as Caller;
  const credential: StoredCredential = { kind: "api_key", fields: { api_key: KEY } };
  const deps: ProxyDeps = {
    routes: new Map([["keyq", {
      host: "keyq",
      provider: "keyq",
      baseUrl: new URL(`http://127.0.0.1:${upstream.addr.port}/`),
      inject: credentialInjector({ kind: "query", name: "api_key", template: "{token}" }),
      credentialParam: "api_key",
      websocket: false,
    }]]),
    baseDomain: "localhost",
    callers: {
      resolve: () => Promise.resolve(caller),
      forgetConnection() {},
    } as unknown as CallerResolver,
    credentials: { get: () => Promise.resolve(credential) } as unknown as CredentialSource,
    audit: null,
    upstream: h1Transport(),
    now: Date.now,
    upstreamTimeoutMs: 5_000,
    maxRequestBytes: 1024,
    maxHeaderBytes: 8192,
  };
  try {
    await run(async (path) => {
      const req = new Request(`http://127.0.0.1:8080/proxy/keyq/${path}`);
      const target = matchProxy(deps, req);
      assert.ok(target && target !== "unknown");
      return await handleProxy(deps, req, target);
    });
  } finally {
    deps.upstream.close?.();
    await upstream.shutdown();
  }
}

function assertScrubbed(text: string) {
  for (const form of [KEY, "sk%2Flive%2BAb%3D9%7Ex", "sk%2flive", "sk\\/live", "live+Ab"]) {
    assert.equal(text.includes(form), false, `${form} in ${text.slice(0, 400)}`);
  }
  const json = JSON.parse(text);
  assert.equal(json.forms[0].endsWith(`&api_key=${MARKER}`), true, json.forms[0]);
  assert.deepEqual(json.forms.slice(1), [MARKER, MARKER, MARKER]);
  assert.equal(json.escaped, MARKER);
}

Deno.test("query key echo: every encoded form is replaced in a small answer, its length recomputed", async () => {
  await withProxy(async (call) => {
    const res = await call("echo?q=1");
    assert.equal(res.status, 200);
    const bytes = new Uint8Array(await res.arrayBuffer());
    assert.equal(res.headers.get("content-length"), String(bytes.length));
    assertScrubbed(new TextDecoder().decode(bytes));
  });
});

Deno.test("query key echo: a large answer is scanned as it streams, sent without a length", async () => {
  await withProxy(async (call) => {
    const res = await call("echo?q=1&pad=300000");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-length"), null);
    const text = await res.text();
    assertScrubbed(text);
    assert.equal(JSON.parse(text).pad.length, 300_000);
  });
});

Deno.test("query key echo: an answer without the key keeps its bytes and length", async () => {
  await withProxy(async (call) => {
    const res = await call("clean");
    assert.equal(res.headers.get("content-length"), "17");
    assert.equal(await res.text(), '{"items":[1,2,3]}');
  });
});
