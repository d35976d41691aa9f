import assert from "node:assert/strict";
import { AuditWriter } from "../audit/audit_writer.ts";
import type { CredentialSource } from "../connections/credential_source.ts";
import type { Database } from "../db/client.ts";
import type { Caller, CallerResolver } from "./caller_identity.ts";
import { fetchTransport } from "./fetch_transport.ts";
import { httpTransport } from "./http_transport.ts";
import { handleProxy, matchProxy, type ProxyDeps, type ProxyTarget } from "./proxy_handler.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { operationMapFor } from "../providers/operation_maps.ts";
import type { ProxyRoute } from "./proxy_route.ts";
import { credentialInjector } from "../providers/credential_injection.ts";

const route: ProxyRoute = {
  host: "gmail",
  provider: "gmail",
  baseUrl: new URL("http://127.0.0.1:9/base"),
  inject: credentialInjector({ kind: "bearer" }),
  websocket: false,
};

/** `fetch` stands in for the provider (through the fetch transport). */
function deps(
  { fetch = () => Promise.reject(new TypeError("connection refused")), ...overrides }:
    & Partial<ProxyDeps>
    & { fetch?: typeof globalThis.fetch },
): ProxyDeps {
  const caller = { app: { id: "app_1" }, agentId: "a", entityId: "e", connection: {} } as Caller;
  return {
    routes: new Map([["gmail", route]]),
    baseDomain: "localhost",
    callers: {
      resolve: () => Promise.resolve(caller),
      forgetConnection() {},
    } as unknown as CallerResolver,
    credentials: {} as CredentialSource,
    audit: null,
    upstream: fetchTransport(fetch),
    now: Date.now,
    upstreamTimeoutMs: 1_000,
    maxRequestBytes: 1024,
    maxHeaderBytes: 8192,
    ...overrides,
  };
}

async function send(d: ProxyDeps) {
  const req = new Request("http://127.0.0.1:8080/proxy/gmail/x");
  const target = matchProxy(d, req);
  assert.ok(target && target !== "unknown");
  const res = await handleProxy(d, req, target);
  return { status: res.status, body: await res.json() };
}

Deno.test("proxy errors: our own failure is SX-UNAVAILABLE (503) and reported, not blamed on the provider", async () => {
  const reported: unknown[] = [];
  const d = deps({
    credentials: {
      get: () => Promise.reject(new Error("SQLITE_BUSY: database is locked")),
    } as unknown as CredentialSource,
    onInternalError: (e) => reported.push(e),
  });
  const { status, body } = await send(d);
  assert.equal(status, 503);
  assert.equal(body.error.code, "SX-UNAVAILABLE");
  assert.doesNotMatch(JSON.stringify(body), /SQLITE/, "no internal detail reaches the caller");
  assert.equal(reported.length, 1);
});

Deno.test("proxy errors: an unreachable provider is SX-UPSTREAM-UNREACHABLE (502)", async () => {
  const reported: unknown[] = [];
  const d = deps({
    credentials: {
      get: () => Promise.resolve({ accessToken: "t", refreshToken: null, expiresAt: null }),
    } as unknown as CredentialSource,
    onInternalError: (e) => reported.push(e),
  });
  const { status, body } = await send(d);
  assert.equal(status, 502);
  assert.equal(body.error.code, "SX-UPSTREAM-UNREACHABLE");
  assert.equal(reported.length, 0);
});

Deno.test("proxy errors: a refusal after a limit admitted the call carries the quota the call spent", async () => {
  const quota: [string, string][] = [
    ["ratelimit-policy", '"reads";q=10;w=60'],
    ["ratelimit", '"reads";r=4'],
  ];
  const d = deps({
    credentials: {
      get: () => Promise.resolve({ accessToken: "t", refreshToken: null, expiresAt: null }),
    } as unknown as CredentialSource,
    filters: () => [{
      name: "limit",
      request: (ex) => {
        ex.answerHeaders = quota;
        return { action: "continue" };
      },
    }],
  });
  const req = new Request("http://127.0.0.1:8080/proxy/gmail/x");
  const target = matchProxy(d, req);
  assert.ok(target && target !== "unknown");
  const res = await handleProxy(d, req, target);
  assert.equal(res.status, 502, "the provider cannot be reached: refused after the limit");
  assert.equal((await res.json()).error.code, "SX-UPSTREAM-UNREACHABLE");
  assert.equal(res.headers.get("ratelimit-policy"), quota[0][1]);
  assert.equal(res.headers.get("ratelimit"), quota[1][1]);
  assert.equal(res.headers.get("content-type"), "application/json; charset=utf-8");
});

Deno.test("proxy 401: a GET is replayed once with a refreshed token; a POST body is not replayed", async () => {
  const asked: (string | null)[] = [];
  const sent: string[] = [];
  const d = deps({
    credentials: {
      get: (_c: unknown, rejected: string | null = null) => {
        asked.push(rejected);
        const token = rejected ? "new" : "old";
        return Promise.resolve({ accessToken: token, refreshToken: "r", expiresAt: null });
      },
    } as unknown as CredentialSource,
    fetch: ((_u: URL, init: RequestInit) => {
      const auth = new Headers(init.headers).get("authorization")!;
      sent.push(`${init.method} ${auth}`);
      return Promise.resolve(new Response("{}", { status: auth === "Bearer new" ? 200 : 401 }));
    }) as typeof fetch,
  });
  const get = new Request("http://127.0.0.1:8080/proxy/gmail/x");
  const getTarget = matchProxy(d, get);
  assert.ok(getTarget && getTarget !== "unknown");
  assert.equal((await handleProxy(d, get, getTarget)).status, 200);
  assert.deepEqual(sent, ["GET Bearer old", "GET Bearer new"]);
  assert.deepEqual(asked, [null, "old"]);

  sent.length = 0;
  asked.length = 0;
  const post = new Request("http://127.0.0.1:8080/proxy/gmail/x", { method: "POST", body: "{}" });
  const postTarget = matchProxy(d, post);
  assert.ok(postTarget && postTarget !== "unknown");
  assert.equal((await handleProxy(d, post, postTarget)).status, 401);
  assert.deepEqual(sent, ["POST Bearer old"], "a streamed body cannot be sent twice");
  assert.deepEqual(asked, [null]);
});

Deno.test("proxy HEAD: the resource's Content-Encoding and Content-Length reach the caller", async () => {
  const d = deps({
    credentials: {
      get: () => Promise.resolve({ accessToken: "t", refreshToken: null, expiresAt: null }),
    } as unknown as CredentialSource,
    fetch: (() =>
      Promise.resolve(
        new Response(null, {
          headers: { "content-encoding": "gzip", "content-length": "5120" },
        }),
      )) as typeof fetch,
  });
  const head = new Request("http://127.0.0.1:8080/proxy/gmail/file", { method: "HEAD" });
  const target = matchProxy(d, head);
  assert.ok(target && target !== "unknown");
  const res = await handleProxy(d, head, target);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-encoding"), "gzip");
  assert.equal(res.headers.get("content-length"), "5120");
});

Deno.test("proxy audit backlog: past the limit no request is served or queued; served ones are all recorded", async () => {
  const recorded: string[] = [];
  const contacted: string[] = [];
  const writer = new AuditWriter({
    database: null as unknown as Database,
    intervalMs: 60_000,
    maxBatch: 1_000,
    backlogLimit: 3,
    onError: () => {},
    write: (events) => {
      recorded.push(...events.map((e) => String(e.data.decision)));
      return Promise.reject(new Error("disk full"));
    },
  });
  const d = deps({
    audit: writer,
    credentials: {
      get: () => Promise.resolve({ accessToken: "t", refreshToken: null, expiresAt: null }),
    } as unknown as CredentialSource,
    fetch: ((url: URL) => {
      contacted.push(url.pathname);
      return Promise.resolve(new Response("{}"));
    }) as typeof fetch,
  });
  const statuses: number[] = [];
  const codes: (string | undefined)[] = [];
  for (let i = 0; i < 5; i++) {
    const { status, body } = await send(d);
    statuses.push(status);
    codes.push(body.error?.code);
  }
  assert.deepEqual(statuses, [200, 200, 200, 503, 503]);
  assert.deepEqual(codes.slice(3), ["SX-AUDIT-BACKLOG", "SX-AUDIT-BACKLOG"]);
  assert.equal(contacted.length, 3, "the provider is not contacted once backlogged");
  assert.equal(writer.pending, 3, "every served request is waiting to be written; no refusal");
  await writer.flush();
  assert.deepEqual(recorded, ["allowed", "allowed", "allowed"]);
});

Deno.test("proxy body limit: a streamed body past the limit ends the upstream request with 413", async () => {
  const upstream = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    await req.arrayBuffer().catch(() => {});
    return new Response("{}");
  });
  const transport = httpTransport();
  const d = deps({
    routes: new Map([["gmail", {
      ...route,
      baseUrl: new URL(`http://127.0.0.1:${upstream.addr.port}/base`),
    }]]),
    credentials: {
      get: () => Promise.resolve({ accessToken: "t", refreshToken: null, expiresAt: null }),
    } as unknown as CredentialSource,
    upstream: transport,
  });
  try {
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ === 8) return controller.close();
        controller.enqueue(new Uint8Array(512));
      },
    });
    const req = new Request("http://127.0.0.1:8080/proxy/gmail/x", {
      method: "POST",
      body,
      // @ts-ignore: Deno needs duplex for a streamed request body
      duplex: "half",
    });
    const target = matchProxy(d, req);
    assert.ok(target && target !== "unknown");
    const res = await handleProxy(d, req, target);
    assert.equal(res.status, 413);
    assert.equal((await res.json()).error.code, "SX-BODY-TOO-LARGE");
  } finally {
    transport.close?.();
    await upstream.shutdown();
  }
});

function recordingAudit(records: Record<string, unknown>[]): AuditWriter {
  return {
    backlogged: false,
    record: (e: { data: Record<string, unknown> }) => records.push(e.data),
  } as unknown as AuditWriter;
}

Deno.test("pipeline: a request filter's deny never loads a credential and is recorded with its rule", async () => {
  let loads = 0;
  const records: Record<string, unknown>[] = [];
  const d = deps({
    audit: recordingAudit(records),
    credentials: {
      get: () => {
        loads++;
        return Promise.resolve({ accessToken: "t", refreshToken: null, expiresAt: null });
      },
    } as unknown as CredentialSource,
    fetch: (() => Promise.resolve(new Response("{}"))) as typeof fetch,
    filters: () => [{
      name: "no",
      request: () => ({
        action: "deny",
        error: new SecurixError("SX-POLICY-DENIED", "denied", { status: 403, llmError: "no" }),
        rule: "nope",
      }),
    }],
  });
  const { status, body } = await send(d);
  assert.equal(status, 403);
  assert.equal(body.error.code, "SX-POLICY-DENIED");
  assert.equal(loads, 0, "no credential for a denied call");
  assert.equal(records.length, 1);
  assert.equal(records[0].decision, "denied");
  assert.equal(records[0].error, "SX-POLICY-DENIED");
  assert.deepEqual(records[0].rules, ["nope"]);
  assert.equal(records[0].operation, "gmail.unknown");
  assert.equal(records[0].class, "read");
});

Deno.test("pipeline: a filter that reads the request body and narrows the query; upstream gets both intact", async () => {
  const seen: { url: string; body: string }[] = [];
  const d = deps({
    credentials: {
      get: () => Promise.resolve({ accessToken: "t", refreshToken: null, expiresAt: null }),
    } as unknown as CredentialSource,
    fetch: (async (url: URL, init: RequestInit) => {
      seen.push({ url: String(url), body: await new Response(init.body).text() });
      return new Response("{}");
    }) as typeof fetch,
    maxRequestBytes: 1 << 20,
    filters: () => [{
      name: "peek",
      async request(ex, readBody) {
        const head = await readBody(4);
        assert.equal(head, "too_large");
        ex.query = "?q=narrowed";
        return { action: "continue" };
      },
    }],
  });
  const payload = "x".repeat(5000);
  const req = new Request("http://127.0.0.1:8080/proxy/gmail/x?q=wide", {
    method: "POST",
    body: payload,
  });
  const target = matchProxy(d, req);
  assert.ok(target && target !== "unknown");
  assert.equal((await handleProxy(d, req, target)).status, 200);
  assert.equal(seen[0].url, "http://127.0.0.1:9/base/x?q=narrowed");
  assert.equal(seen[0].body, payload);
});

Deno.test("pipeline: response filters replace (length fixed) or deny before the status goes out", async () => {
  const records: Record<string, unknown>[] = [];
  const make = (verdict: "replace" | "deny") =>
    deps({
      audit: recordingAudit(records),
      credentials: {
        get: () => Promise.resolve({ accessToken: "t", refreshToken: null, expiresAt: null }),
      } as unknown as CredentialSource,
      fetch: (() =>
        Promise.resolve(
          new Response('{"secret":"123-45-6789"}', {
            headers: { "content-type": "application/json", "content-length": "24" },
          }),
        )) as typeof fetch,
      filters: () => [{
        name: "rewrite",
        async response(ex, answer) {
          const body = await answer.readBody(1024);
          assert.ok(body instanceof Uint8Array);
          if (verdict === "deny") {
            return {
              action: "deny",
              error: new SecurixError("SX-FOLDER-HIDDEN", "hidden", { status: 404 }),
              rule: "hide_hr",
            };
          }
          ex.decision = "redacted";
          ex.notes.redactions = { ssn: 1 };
          return {
            action: "replace",
            body: new TextEncoder().encode('{"secret":"[REDACTED:ssn]"}'),
          };
        },
      }],
    });
  const replaced = await handleProxy(
    make("replace"),
    new Request("http://127.0.0.1:8080/proxy/gmail/x"),
    matchProxy(make("replace"), new Request("http://127.0.0.1:8080/proxy/gmail/x")) as ProxyTarget,
  );
  const text = await replaced.text();
  assert.equal(text, '{"secret":"[REDACTED:ssn]"}');
  assert.equal(replaced.headers.get("content-length"), String(text.length));
  assert.equal(records.at(-1)!.decision, "redacted");
  assert.deepEqual(records.at(-1)!.notes, { redactions: { ssn: 1 } });
  assert.equal(records.at(-1)!.bytesOut, text.length);

  const denied = await send(make("deny"));
  assert.equal(denied.status, 404);
  assert.equal(denied.body.error.code, "SX-FOLDER-HIDDEN");
  assert.deepEqual(records.at(-1)!.rules, ["hide_hr"]);
});

Deno.test("pipeline: the operation comes from the route's map; the override the provider honours counts as the method", async () => {
  const records: Record<string, unknown>[] = [];
  const gmail = {
    ...route,
    operations: operationMapFor("gmail"),
    methodOverride: "x-http-method-override",
  };
  const d = deps({
    routes: new Map([["gmail", gmail]]),
    audit: recordingAudit(records),
    credentials: {
      get: () => Promise.resolve({ accessToken: "t", refreshToken: null, expiresAt: null }),
    } as unknown as CredentialSource,
    fetch: (() => Promise.resolve(new Response("{}"))) as typeof fetch,
  });
  const call = async (path: string, init: RequestInit) => {
    const req = new Request(`http://127.0.0.1:8080/proxy/gmail${path}`, init);
    const target = matchProxy(d, req);
    assert.ok(target && target !== "unknown");
    await (await handleProxy(d, req, target)).body?.cancel();
    return records.at(-1)!;
  };
  const sent = await call("/gmail/v1/users/me/messages/%73end", { method: "POST", body: "{}" });
  assert.equal(sent.operation, "gmail.users.messages.send");
  assert.equal(sent.class, "send");
  const overridden = await call("/gmail/v1/users/me/messages/abc", {
    method: "POST",
    body: "{}",
    headers: { "x-http-method-override": "DELETE" },
  });
  assert.equal(overridden.operation, "gmail.users.messages.delete");
  assert.equal(overridden.class, "delete");
  // One the provider does not honour is not the method: it is stripped before forwarding.
  const ignored = await call("/gmail/v1/users/me/messages/abc", {
    method: "POST",
    body: "{}",
    headers: { "x-http-method": "DELETE" },
  });
  assert.equal(ignored.class, "write");
});

Deno.test("pipeline: a deny from a filter that hid the item is recorded as hidden, not denied", async () => {
  const records: Record<string, unknown>[] = [];
  const d = deps({
    audit: recordingAudit(records),
    filters: () => [{
      name: "hide",
      request: (ex) => {
        ex.decision = "hidden";
        return {
          action: "deny",
          error: new SecurixError("SX-FOLDER-HIDDEN", "hidden", { status: 404 }),
          rule: "hide_hr",
        };
      },
    }],
  });
  const { status, body } = await send(d);
  assert.equal(status, 404);
  assert.equal(body.error.code, "SX-FOLDER-HIDDEN");
  assert.equal(records.length, 1);
  assert.equal(records[0].decision, "hidden");
  assert.equal(records[0].error, "SX-FOLDER-HIDDEN");
  assert.deepEqual(records[0].rules, ["hide_hr"]);
});

Deno.test("pipeline: when a filter will read the answer, the provider is asked for it uncompressed", async () => {
  const seen: (string | null)[] = [];
  const make = (filters: boolean) =>
    deps({
      credentials: {
        get: () => Promise.resolve({ accessToken: "t", refreshToken: null, expiresAt: null }),
      } as unknown as CredentialSource,
      fetch: ((_url: string, init: RequestInit) => {
        seen.push(new Headers(init.headers).get("accept-encoding"));
        return Promise.resolve(Response.json({}));
      }) as typeof fetch,
      filters: () =>
        filters
          ? [{
            name: "reads",
            request: (ex) => {
              ex.readsAnswer = true;
              return { action: "continue" };
            },
            response: () => ({ action: "continue" }),
          }]
          : [{ name: "passes", response: () => ({ action: "continue" }) }],
    });
  const call = async (d: ProxyDeps, init: RequestInit) => {
    const req = new Request("http://127.0.0.1:8080/proxy/gmail/x", {
      ...init,
      headers: { "accept-encoding": "zstd, gzip" },
    });
    const res = await handleProxy(d, req, matchProxy(d, req) as ProxyTarget);
    await res.body?.cancel();
  };
  await call(make(false), {});
  await call(make(true), {});
  await call(make(true), { method: "POST", body: "channel=C1" });
  assert.deepEqual(seen, ["zstd, gzip", "identity", "identity"]);
});

Deno.test("proxy form override: a scan that ends the forwarded body answers its refusal, whatever the transport makes of it", async () => {
  const rails: ProxyRoute = { ...route, host: "gitlab", provider: "gitlab" };
  rails.methodOverrideField = "_method";
  let delivered = 0;
  const d = deps({
    routes: new Map([["gitlab", rails]]),
    maxInspectBytes: 1024,
    maxRequestBytes: 1 << 20,
    credentials: {
      get: () => Promise.resolve({ accessToken: "t", refreshToken: null, expiresAt: null }),
    } as unknown as CredentialSource,
    // As Deno's fetch does: a request body that errors rejects with a TypeError of its own.
    fetch: async (_url, init) => {
      try {
        for await (const chunk of init!.body as ReadableStream<Uint8Array>) {
          delivered += chunk.byteLength;
        }
      } catch {
        throw new TypeError("error sending request");
      }
      return new Response("{}");
    },
  });
  const padding = "x".repeat(4096);
  const body =
    `--b\r\nContent-Disposition: form-data; name="f"; filename="a"\r\n\r\n${padding}\r\n` +
    `--b\r\nContent-Disposition: form-data; name="_method"\r\n\r\nDELETE\r\n--b--\r\n`;
  const req = new Request("http://127.0.0.1:8080/proxy/gitlab/api/v4/projects/1", {
    method: "POST",
    headers: { "content-type": "multipart/form-data; boundary=b" },
    // In small chunks: the `_method` part comes well after the 1 KiB read before forwarding.
    body: ReadableStream.from(
      body.match(/[^]{1,512}/g)!.map((piece) => new TextEncoder().encode(piece)),
    ),
  });
  const target = matchProxy(d, req);
  assert.ok(target && target !== "unknown");
  const res = await handleProxy(d, req, target);
  const answer = await res.json();
  assert.equal(res.status, 400, JSON.stringify(answer));
  assert.equal(answer.error.code, "SX-INVALID-INPUT");
  assert.ok(delivered < body.indexOf('--b\r\nContent-Disposition: form-data; name="_method"'));
});
