/**
 * Non-OAuth credentials end to end against a real appliance: the credential
 * form tests what the user typed before storing it (a wrong key leaves no
 * trace), and the proxy injects each kind for unmodified clients.
 */
import assert from "node:assert/strict";
import http from "node:http";
import { encodeBase64urlNoPadding } from "@oslojs/encoding";
import { listRecords } from "../src/audit/read_records.ts";
import { CREDENTIAL_PURPOSE } from "../src/connections/connection_types.ts";
import {
  Browser,
  type CredentialEnv,
  csrfOf,
  deviceToCredentialForm,
  RIGHT,
  setupCredentialEnv,
  sxcHash,
} from "./helpers/credential_env.ts";
import { openerAnswer } from "./helpers/flow_env.ts";
import { vaultRecord } from "./helpers/seed.ts";
import { rawRequest, statusOf } from "./helpers/raw_http.ts";

async function activeConnection(env: CredentialEnv, entityId: string) {
  const list = await (await env.api(`/v1/connections?entityId=${entityId}`)).json();
  return list.connections as { id: string; provider: string; status: string; account: unknown }[];
}

async function credentialIdOf(env: CredentialEnv, entityId: string): Promise<string> {
  const { rows } = await env.appliance.database.client.execute({
    sql: "SELECT credential_id FROM connections WHERE entity_id = ? AND status = 'active'",
    args: [entityId],
  });
  assert.equal(rows.length, 1);
  return String(rows[0].credential_id);
}

/** node:http, as an unmodified client would call the proxy path. */
function nodeGet(url: string, headers: Record<string, string>) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    http.get(url, { headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => body += c);
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    }).on("error", reject);
  });
}

Deno.test("credential form: a refused API key is not stored, the right one is, and works through the proxy", async () => {
  const env = await setupCredentialEnv();
  try {
    const { browser, formUrl, html } = await deviceToCredentialForm(env, "user-k", "keyed");
    assert.match(html, /type="password"/);
    assert.match(html, /Keyed API/);
    assert.match(html, /name="field_label"/);
    const before = await env.counts();

    const wrongKey = "key-WRONG-do-not-echo";
    const refused = await browser.form(formUrl, {
      csrf: csrfOf(html),
      field_user_key: wrongKey,
      field_label: "work",
    });
    assert.equal(refused.status, 400);
    const refusedHtml = await refused.text();
    assert.match(refusedHtml, /data-credential-refusal/);
    assert.match(refusedHtml, /refused this credential \(401 Unauthorized\)/);
    assert.equal(refusedHtml.includes(wrongKey), false, "the typed key never comes back");
    assert.match(refusedHtml, /value="work"/, "non-secret fields are kept");
    assert.deepEqual(await env.counts(), before, "nothing stored: no connection, no vault record");

    // Server-side schema check: a missing required field is not even tested upstream.
    const calls = env.upstreamCalls.length;
    const empty = await browser.form(formUrl, { csrf: csrfOf(refusedHtml), field_user_key: "" });
    assert.equal(empty.status, 400);
    assert.match(await empty.text(), /API key is required/);
    assert.equal(env.upstreamCalls.length, calls, "an invalid form makes no upstream call");

    // CSRF: a post without this browser's token is refused before anything happens.
    const forged = await new Browser().form(formUrl, {
      csrf: csrfOf(refusedHtml),
      field_user_key: RIGHT.apiKey,
    });
    assert.equal(forged.status, 403);
    await forged.body?.cancel();

    const accepted = await browser.form(formUrl, {
      csrf: csrfOf(refusedHtml),
      field_user_key: RIGHT.apiKey,
      field_label: "work",
    });
    assert.equal(accepted.status, 200);
    const done = await accepted.text();
    assert.match(done, /You&#39;re connected/);
    assert.equal(done.includes(RIGHT.apiKey), false);

    const [connection] = await activeConnection(env, "user-k");
    assert.equal(connection.status, "active");
    assert.deepEqual(connection.account, { id: "user-k", email: null, name: null });
    const stored = await vaultRecord(env.appliance, await credentialIdOf(env, "user-k"));
    assert.deepEqual(stored, {
      kind: "api_key",
      fields: { user_key: RIGHT.apiKey, label: "work" },
    });
    const listed = JSON.stringify(await activeConnection(env, "user-k"));
    assert.equal(listed.includes(RIGHT.apiKey), false, "the API never shows the key");

    const proxied = await nodeGet(`${env.publicUrl}/proxy/keyed/projects?limit=5`, {
      ...env.proxyHeaders("user-k"),
      "x-api-key": "callers-own-guess",
    });
    assert.equal(proxied.status, 200, proxied.body);
    assert.deepEqual(JSON.parse(proxied.body), {
      ok: true,
      path: "/keyed/projects",
      user: "keyed-user",
    });

    // A 401 to an API key is the provider's answer: no refresh, no SX-TOKEN-EXPIRED, key kept.
    const denied = await fetch(`${env.publicUrl}/proxy/keyed/deny`, {
      headers: env.proxyHeaders("user-k"),
    });
    assert.equal(denied.status, 401);
    assert.deepEqual(await denied.json(), { error: "not allowed for this key" });
    assert.equal((await activeConnection(env, "user-k"))[0].status, "active");
    const again = await fetch(`${env.publicUrl}/proxy/keyed/me`, {
      headers: env.proxyHeaders("user-k"),
    });
    assert.equal(again.status, 200);
    await again.body?.cancel();

    await env.runtime.audit!.flush();
    const created = await listRecords(env.appliance.database.db, { kinds: "connection.created" });
    assert.equal(created.length, 1);
    const trail = JSON.stringify(await listRecords(env.appliance.database.db));
    assert.equal(trail.includes(RIGHT.apiKey), false, "no key in the audit trail");
    assert.equal(trail.includes(wrongKey), false);
  } finally {
    await env.close();
  }
});

Deno.test("credential form: basic auth refused then stored; a 403 from the provider is not refreshed", async () => {
  const env = await setupCredentialEnv();
  try {
    const { browser, formUrl, html } = await deviceToCredentialForm(env, "user-b", "basicapi");
    const before = await env.counts();
    const refused = await browser.form(formUrl, {
      csrf: csrfOf(html),
      field_username: RIGHT.user,
      field_password: "wrong-password",
    });
    assert.equal(refused.status, 400);
    const page = await refused.text();
    assert.match(page, /403 Forbidden/);
    assert.equal(page.includes("wrong-password"), false);
    assert.match(page, /value="alice"/);
    assert.deepEqual(await env.counts(), before);
    const colon = await browser.form(formUrl, {
      csrf: csrfOf(page),
      field_username: "al:ice",
      field_password: "x",
    });
    assert.equal(colon.status, 400);
    assert.match(await colon.text(), /cannot contain a colon/);

    const ok = await browser.form(formUrl, {
      csrf: csrfOf(page),
      field_username: RIGHT.user,
      field_password: RIGHT.password,
    });
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    const [connection] = await activeConnection(env, "user-b");
    assert.deepEqual(connection.account, { id: "alice", email: null, name: "alice" });

    const good = await fetch(`${env.publicUrl}/proxy/basicapi/items`, {
      headers: { ...env.proxyHeaders("user-b"), authorization: "Basic Y2FsbGVyOmd1ZXNz" },
    });
    assert.equal(good.status, 200, await good.clone().text());
    assert.equal((await good.json()).path, "/basic/items");
  } finally {
    await env.close();
  }
});

Deno.test("credential form: query_param key goes in the upstream URL, never in the audit trail", async () => {
  const env = await setupCredentialEnv();
  try {
    const { browser, formUrl, html } = await deviceToCredentialForm(env, "user-q", "querykey");
    const ok = await browser.form(formUrl, { csrf: csrfOf(html), field_api_key: RIGHT.queryKey });
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    // A vault record that does not parse (damaged, or from a newer appliance): a typed refusal.
    const credentialId = await credentialIdOf(env, "user-q");
    const good = await env.appliance.vault.get(credentialId, CREDENTIAL_PURPOSE);
    await env.appliance.vault.put(credentialId, CREDENTIAL_PURPOSE, '{"v":9,"kind":"hmac"}');
    const unreadable = await fetch(`${env.publicUrl}/proxy/querykey/search`, {
      headers: env.proxyHeaders("user-q"),
    });
    assert.equal(unreadable.status, 500);
    assert.equal((await unreadable.json()).error.code, "SX-CREDENTIAL-UNREADABLE");
    await env.appliance.vault.put(credentialId, CREDENTIAL_PURPOSE, good!.value);
    const res = await fetch(`${env.publicUrl}/proxy/querykey/search?q=hello&key=caller`, {
      headers: env.proxyHeaders("user-q"),
    });
    assert.equal(res.status, 200, await res.clone().text());
    assert.deepEqual(await res.json(), { ok: true, path: "/query/search", q: "hello" });
    assert.match(env.upstreamCalls.at(-1)!.search, /key=qk-right-value/);
    await env.runtime.audit!.flush();
    const trail = JSON.stringify(
      await listRecords(env.appliance.database.db, { kinds: "proxy.request" }),
    );
    assert.ok(trail.includes("/search"));
    assert.equal(trail.includes(RIGHT.queryKey), false, "the key is not in the audited path");
  } finally {
    await env.close();
  }
});

Deno.test("credential form: a query_param key never comes back in a redirect's or a page link's URL", async () => {
  const env = await setupCredentialEnv();
  try {
    const { browser, formUrl, html } = await deviceToCredentialForm(env, "user-r", "querykey");
    const ok = await browser.form(formUrl, { csrf: csrfOf(html), field_api_key: RIGHT.queryKey });
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    const res = await fetch(`${env.publicUrl}/proxy/querykey/moved?q=hello`, {
      headers: env.proxyHeaders("user-r"),
      redirect: "manual",
    });
    assert.equal(res.status, 301);
    await res.body?.cancel();
    assert.match(env.upstreamCalls.at(-1)!.search, /key=qk-right-value/, "the key went upstream");
    const answered = JSON.stringify([...res.headers]);
    assert.equal(answered.includes(RIGHT.queryKey), false, `key in the answer: ${answered}`);
    // The rest of each URL is kept: the caller still learns where to go.
    assert.match(res.headers.get("location")!, /\/query\/moved\/\?q=hello$/);
    assert.equal(res.headers.get("content-location"), "/query/moved?q=hello");
    assert.match(res.headers.get("link")!, /moved\?page=2&q=hello>; rel="next", <[^>]*\?page=9>/);
  } finally {
    await env.close();
  }
});

Deno.test("credential form: a query_param provider's WebSocket upgrade is refused, never bridged with its key", async () => {
  const env = await setupCredentialEnv();
  try {
    const { browser, formUrl, html } = await deviceToCredentialForm(env, "user-w", "querykey");
    const ok = await browser.form(formUrl, { csrf: csrfOf(html), field_api_key: RIGHT.queryKey });
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    const before = env.upstreamCalls.length;
    const res = await rawRequest(Number(new URL(env.publicUrl).port), {
      target: "/proxy/querykey/stream",
      headers: [
        ...Object.entries(env.proxyHeaders("user-w")),
        ["Connection", "Upgrade"],
        ["Upgrade", "websocket"],
        ["Sec-WebSocket-Version", "13"],
        ["Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="],
      ],
    });
    assert.ok(res);
    assert.equal(statusOf(res), 400, res.body);
    assert.match(res.body, /sends its key in the query/);
    assert.equal(env.upstreamCalls.length, before, "nothing went upstream");
  } finally {
    await env.close();
  }
});

/** Connects `entityId` to a credential-form provider with the right credential. */
async function connect(
  env: CredentialEnv,
  entityId: string,
  provider: string,
  fields: Record<string, string>,
) {
  const { browser, formUrl, html } = await deviceToCredentialForm(env, entityId, provider);
  const ok = await browser.form(formUrl, { csrf: csrfOf(html), ...fields });
  assert.equal(ok.status, 200);
  await ok.body?.cancel();
}

Deno.test("credential form: a query_param key the provider echoes in its answer body or fields never reaches the caller", async () => {
  const env = await setupCredentialEnv();
  const marker = "[securix:redacted]";
  try {
    await connect(env, "user-e", "querykey", { field_api_key: RIGHT.queryKey });
    const get = (path: string, headers: Record<string, string> = {}) =>
      fetch(`${env.publicUrl}/proxy/querykey/${path}`, {
        headers: { ...env.proxyHeaders("user-e"), "accept-encoding": "gzip, br", ...headers },
      });
    const keyless = (what: string, text: string) =>
      assert.equal(text.includes(RIGHT.queryKey), false, `key in the ${what}: ${text}`);

    // A JSON next URL, a percent-encoded self URL, and two custom fields.
    const page = await get("echo-page?q=1", { range: "bytes=0-20" });
    assert.equal(page.status, 200);
    const text = await page.text();
    keyless("page body", text);
    keyless("page fields", JSON.stringify([...page.headers]));
    const json = JSON.parse(text);
    assert.match(json.next, /\/query\/echo-page\?q=1&key=\[securix:redacted\]&page=2$/);
    assert.match(json.self, /%3Fq%3D1%26key%3D\[securix:redacted\]$/);
    assert.match(page.headers.get("x-request-url")!, /\?q=1&key=\[securix:redacted\]$/);
    assert.equal(page.headers.get("x-debug"), `key=${marker}`);
    assert.equal(page.headers.get("content-length"), String(new TextEncoder().encode(text).length));
    const seen = env.upstreamCalls.at(-1)!;
    assert.match(seen.search, /key=qk-right-value/, "the key went upstream");
    assert.equal(
      seen.acceptEncoding,
      "identity",
      "asked uncompressed, whatever the caller accepts",
    );
    assert.equal(seen.range, null, "no slices: a key could come out a part at a time");

    // Error bodies quoting the request or the key.
    const limited = await get("echo-error");
    assert.equal(limited.status, 429);
    assert.deepEqual(await limited.json(), {
      error: { message: `quota exceeded for key ${marker}` },
    });
    const bad = await get("echo-error?text=1");
    assert.equal(bad.status, 400);
    assert.equal(await bad.text(), `bad request: GET /query/echo-error?text=1&key=${marker}`);

    // Streamed, the key split across two chunks sent 50 ms apart.
    const chunked = await get("echo-chunks");
    assert.equal(chunked.headers.get("content-length"), null);
    assert.deepEqual(await chunked.json(), { next: `/query/echo-chunks?page=2&key=${marker}` });

    // Compressed although identity was asked: withheld, not passed on unsearched.
    const zipped = await get("gzip");
    assert.equal(zipped.status, 502);
    const refusal = await zipped.json();
    assert.equal(refusal.error.code, "SX-UNINSPECTABLE");
    keyless("refusal", JSON.stringify(refusal));
  } finally {
    await env.close();
  }
});

Deno.test("credential form: a header key's provider answers on the unchanged path (its coding, length and Range kept)", async () => {
  const env = await setupCredentialEnv();
  try {
    await connect(env, "user-h", "keyed", { field_user_key: RIGHT.apiKey });
    const res = await fetch(`${env.publicUrl}/proxy/keyed/gzip`, {
      headers: { ...env.proxyHeaders("user-h"), "accept-encoding": "gzip", range: "bytes=0-" },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-encoding"), "gzip");
    assert.match(res.headers.get("content-length") ?? "", /^\d+$/);
    // The provider's gzip bytes as sent (fetch does not undo a coding the caller asked for).
    const unzipped = res.body!.pipeThrough(new DecompressionStream("gzip"));
    assert.deepEqual(await new Response(unzipped).json(), { zipped: RIGHT.queryKey });
    const seen = env.upstreamCalls.at(-1)!;
    assert.equal(seen.acceptEncoding, "gzip");
    assert.equal(seen.range, "bytes=0-");
  } finally {
    await env.close();
  }
});

Deno.test("credential form: aws_sigv4 signs uploads with the payload hash, streams with UNSIGNED-PAYLOAD", async () => {
  const env = await setupCredentialEnv();
  try {
    const { browser, formUrl, html } = await deviceToCredentialForm(env, "user-s", "objects");
    const wrong = await browser.form(formUrl, {
      csrf: csrfOf(html),
      field_access_key_id: RIGHT.accessKeyId,
      field_secret_access_key: "not-the-secret",
    });
    assert.equal(wrong.status, 400);
    const wrongPage = await wrong.text();
    assert.match(wrongPage, /403 Forbidden/);
    assert.equal(wrongPage.includes("not-the-secret"), false);
    assert.equal(env.signed.at(-1)!.verified, false);
    const ok = await browser.form(formUrl, {
      csrf: csrfOf(wrongPage),
      field_access_key_id: RIGHT.accessKeyId,
      field_secret_access_key: RIGHT.secretAccessKey,
    });
    assert.equal(ok.status, 200, await ok.clone().text());
    await ok.body?.cancel();
    const stored = await vaultRecord(env.appliance, await credentialIdOf(env, "user-s"));
    assert.equal(stored?.kind, "aws_sigv4");

    const headers = {
      ...env.proxyHeaders("user-s"),
      authorization: "AWS4-HMAC-SHA256 Credential=CALLER/x",
      "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
      "x-amz-date": "19990101T000000Z",
      "x-amz-security-token": "caller-chosen-session",
      "x-amz-meta-owner": "alice",
      "x-amz-acl": "bucket-owner-full-control",
      "x-amz-server-side-encryption": "AES256",
      "x-amz-tagging": "team=ops&tier=cold",
      "x-amz-storage-class": "STANDARD_IA",
      "content-type": "application/octet-stream",
    };
    const body = new TextEncoder().encode("hello object storage ".repeat(1000));
    const put = await fetch(`${env.publicUrl}/proxy/objects/bucket/key%20one.txt?x-id=PutObject`, {
      method: "PUT",
      headers,
      body,
    });
    assert.equal(put.status, 200, await put.clone().text());
    await put.body?.cancel();
    const upload = env.signed.at(-1)!;
    assert.equal(upload.verified, true);
    assert.equal(upload.bodyBytes, body.byteLength);
    assert.equal(upload.payloadHash, upload.bodyHash, "a Content-Length body is hashed");
    assert.equal(upload.chunked, false);
    // The caller's own x-amz-* arrive, signed; date, payload hash and session token are ours.
    for (
      const [name, value] of Object.entries({
        "x-amz-meta-owner": "alice",
        "x-amz-acl": "bucket-owner-full-control",
        "x-amz-server-side-encryption": "AES256",
        "x-amz-tagging": "team=ops&tier=cold",
        "x-amz-storage-class": "STANDARD_IA",
      })
    ) {
      assert.equal(upload.amz[name], value, name);
      assert.ok(upload.signedHeaders.includes(name), `${name} is signed`);
    }
    assert.match(upload.amz["x-amz-date"], /^\d{8}T\d{6}Z$/);
    assert.notEqual(upload.amz["x-amz-date"], "19990101T000000Z", "the caller's date is replaced");
    assert.equal(upload.amz["x-amz-content-sha256"], upload.bodyHash, "our payload hash wins");
    assert.equal(
      upload.amz["x-amz-security-token"],
      undefined,
      "a caller's session token is dropped (the stored credential has none)",
    );
    assert.equal(upload.signedHeaders.includes("x-amz-security-token"), false);
    // A server-side copy: an empty PUT whose source is named by x-amz-copy-source.
    const copy = await fetch(`${env.publicUrl}/proxy/objects/bucket/copy.txt`, {
      method: "PUT",
      headers: {
        ...env.proxyHeaders("user-s"),
        "x-amz-copy-source": "/bucket/key%20one.txt",
        "x-amz-metadata-directive": "REPLACE",
        "x-amz-meta-owner": "bob",
      },
    });
    assert.equal(copy.status, 200, await copy.clone().text());
    await copy.body?.cancel();
    const copied = env.signed.at(-1)!;
    assert.equal(copied.verified, true);
    assert.equal(copied.amz["x-amz-copy-source"], "/bucket/key%20one.txt");
    assert.equal(copied.amz["x-amz-metadata-directive"], "REPLACE");
    assert.ok(copied.signedHeaders.includes("x-amz-copy-source"));

    const chunks = 20;
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < chunks; i++) controller.enqueue(new Uint8Array(1024).fill(65 + i));
        controller.close();
      },
    });
    const streamed = await fetch(`${env.publicUrl}/proxy/objects/bucket/streamed`, {
      method: "PUT",
      headers,
      body: stream,
    });
    assert.equal(streamed.status, 200, await streamed.clone().text());
    await streamed.body?.cancel();
    const last = env.signed.at(-1)!;
    assert.equal(last.verified, true);
    assert.equal(last.payloadHash, "UNSIGNED-PAYLOAD");
    assert.equal(last.bodyBytes, chunks * 1024);
    assert.equal(last.chunked, true);

    const get = await fetch(`${env.publicUrl}/proxy/objects/bucket/?list-type=2&prefix=a b`, {
      headers: env.proxyHeaders("user-s"),
    });
    assert.equal(get.status, 200, await get.clone().text());
    await get.body?.cancel();
    assert.equal(env.signed.at(-1)!.payloadHash, env.signed.at(-1)!.bodyHash, "empty-body hash");
  } finally {
    await env.close();
  }
});

Deno.test("credential form: popup flow keeps the opener proof and the sxc reveal", async () => {
  const env = await setupCredentialEnv();
  try {
    const sxc = encodeBase64urlNoPadding(crypto.getRandomValues(new Uint8Array(32)));
    const created = await env.api("/v1/auth/sessions", {
      method: "POST",
      body: JSON.stringify({
        entityId: "user-p",
        flow: "popup",
        providers: { keyed: {} },
        sxcHash: sxcHash(sxc),
      }),
    });
    assert.equal(created.status, 201);
    const session = await created.json();
    const browser = new Browser();
    const connect = `${env.publicUrl}/connect/${session.sessionId}`;
    const consent = await (await browser.go(connect)).text();
    // The form cannot be reached before Continue with the opener's proof binds the browser.
    const early = await browser.go(`${connect}/credential`);
    assert.equal(early.status, 303);
    assert.equal(early.headers.get("location"), `/connect/${session.sessionId}`);
    const noProof = await browser.form(`${connect}/continue`, { csrf: csrfOf(consent) });
    assert.equal(noProof.status, 403);
    await noProof.body?.cancel();
    const continued = await browser.form(`${connect}/continue`, {
      csrf: csrfOf(consent),
      ...openerAnswer(consent, session.sessionId, sxc),
    });
    assert.equal(continued.status, 303);
    assert.equal(continued.headers.get("location"), `/connect/${session.sessionId}/credential`);
    const form = await (await browser.go(`${connect}/credential`)).text();
    // Another browser cannot use the form of a session bound to this one.
    const other = new Browser();
    const otherPage = await other.go(`${connect}/credential`);
    assert.equal(otherPage.status, 403);
    await otherPage.body?.cancel();

    const done = await browser.form(`${connect}/credential`, {
      csrf: csrfOf(form),
      field_user_key: RIGHT.apiKey,
    });
    assert.equal(done.status, 200);
    assert.match(await done.text(), /data-target-origin="http:\/\/127\.0\.0\.1:3000"/);
    const pending = await activeConnection(env, "user-p");
    assert.equal(pending[0].status, "pending", "unusable before the sxc reveal");
    const wrong = await env.api(`/v1/auth/sessions/${session.sessionId}/confirm`, {
      method: "POST",
      body: JSON.stringify({ sxc: sxc + "x" }),
    });
    assert.equal(wrong.status, 403);
    await wrong.body?.cancel();
    const right = await env.api(`/v1/auth/sessions/${session.sessionId}/confirm`, {
      method: "POST",
      body: JSON.stringify({ sxc }),
    });
    assert.equal((await right.json()).status, "AUTH_SUCCESS");
    const works = await fetch(`${env.publicUrl}/proxy/keyed/me`, {
      headers: env.proxyHeaders("user-p"),
    });
    assert.equal(works.status, 200, await works.clone().text());
    await works.body?.cancel();
  } finally {
    await env.close();
  }
});

Deno.test("credential form: tests per consent are capped, then the consent fails", async () => {
  const env = await setupCredentialEnv();
  try {
    const { browser, formUrl, html } = await deviceToCredentialForm(env, "user-x", "keyed");
    let csrf = csrfOf(html);
    for (let i = 0; i < 5; i++) {
      const res = await browser.form(formUrl, { csrf, field_user_key: `guess-${i}` });
      assert.equal(res.status, 400);
      const page = await res.text();
      assert.match(page, i === 4 ? /no attempts left/ : /attempts? left/);
      csrf = csrfOf(page);
    }
    const sixth = await browser.form(formUrl, { csrf, field_user_key: RIGHT.apiKey });
    assert.equal(sixth.status, 400);
    assert.match(await sixth.text(), /Too many credentials were refused/);
    assert.equal((await activeConnection(env, "user-x")).length, 0);
  } finally {
    await env.close();
  }
});
