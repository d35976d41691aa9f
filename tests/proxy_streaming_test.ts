/**
 * Streaming through the proxy, measured on a real `securix serve` process:
 * 200 MB up and 200 MB down must not grow the appliance's memory by more than
 * a few MB, and server-sent events and chunked answers reach the caller as
 * the provider sends them. The fake provider API runs in this test process;
 * the appliance runs in its own, so /proc/<pid>/status shows its memory alone.
 *
 * Known gap, outside our code: Deno 2.9's HTTP/1.1 server reads a *chunked*
 * request body ahead of a reader slower than the client, without bound. The
 * test "KNOWN GAP" below shows it; it runs with SECURIX_KNOWN_GAPS=1.
 */
import assert from "node:assert/strict";
import type { CredentialSource } from "../src/connections/credential_source.ts";
import type { StoredCredential } from "../src/connections/connection_types.ts";
import type { Caller, CallerResolver } from "../src/proxy/caller_identity.ts";
import { h1Transport } from "../src/proxy/h1/h1_transport.ts";
import { handleProxy, matchProxy, type ProxyDeps } from "../src/proxy/proxy_handler.ts";
import { credentialInjector } from "../src/providers/credential_injection.ts";
import { startDeviceConsent } from "./helpers/flow_env.ts";
import { applianceClient, providerAt, startOidcServer } from "./helpers/oidc_server.ts";
import { freePort, type ServerProcess, startServeProcess } from "./helpers/process.ts";
import { seedApp, storedCredential } from "./helpers/seed.ts";
import { openTempAppliance, type TempAppliance } from "./helpers/temp_appliance.ts";
import { listRecords } from "../src/audit/read_records.ts";

const MB = 1024 * 1024;
const TRANSFER = 200 * MB;
const WARM_UP = 32 * MB;
/** Chunked uploads run at 6–20 MB/s here (see the known gap): a smaller warm-up. */
const CHUNKED_WARM_UP = 16 * MB;
const CHUNK = 64 * 1024;
/**
 * Largest allowed growth of the appliance's resident memory during one 200 MB
 * transfer. Buffering the body would need +200 MB. Measured: 0–4 MB; bodies
 * that pass through a counting stream in JS leave garbage until V8 collects
 * it, which on a busy machine has reached ~20 MB.
 */
const GROWTH_LIMIT_MB = 32;
const ENTITY = "streamer";
/** Gap between the provider's server-sent events. */
const EVENT_GAP_MS = 300;
const EVENTS = 3;

/** Adler-32 over a byte stream, whatever the chunk boundaries: catches lost, doubled or reordered bytes. */
class Checksum {
  bytes = 0;
  #a = 1;
  #b = 0;
  update(chunk: Uint8Array): void {
    let a = this.#a;
    let b = this.#b;
    let i = 0;
    while (i < chunk.length) {
      const end = Math.min(i + 5552, chunk.length);
      for (; i < end; i++) {
        a += chunk[i];
        b += a;
      }
      a %= 65521;
      b %= 65521;
    }
    this.#a = a;
    this.#b = b;
    this.bytes += chunk.length;
  }
  get value(): number {
    return this.#b * 65536 + this.#a;
  }
}

/** Pseudo-random bytes to cut chunks from, so chunks differ without a per-byte generator. */
const PATTERN = (() => {
  const bytes = new Uint8Array(CHUNK + 256);
  let x = 2463534242;
  for (let i = 0; i < bytes.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
})();

/**
 * `total` bytes made chunk by chunk as the reader asks for them: never more
 * than one chunk exists at a time on the producing side.
 */
function generated(total: number, sum: Checksum): ReadableStream<Uint8Array> {
  let sent = 0;
  let index = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) {
        controller.close();
        return;
      }
      const length = Math.min(CHUNK, total - sent);
      const offset = (index++ * 37) % 256;
      const chunk = PATTERN.slice(offset, offset + length);
      sum.update(chunk);
      sent += length;
      controller.enqueue(chunk);
    },
  }, { highWaterMark: 0 });
}

async function consume(body: ReadableStream<Uint8Array>, sum: Checksum): Promise<void> {
  for await (const chunk of body) sum.update(chunk);
}

interface Timed {
  label: string;
  at: number;
}

/** The fake provider API: accepts only the vault's bearer token. */
function startUpstream(token: () => string) {
  const uploads: Checksum[] = [];
  const downloads: Checksum[] = [];
  const sent: Timed[] = [];
  const encoder = new TextEncoder();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    if (req.headers.get("authorization") !== `Bearer ${token()}`) {
      return Response.json({ error: "bad token" }, { status: 401 });
    }
    const url = new URL(req.url);
    if (url.pathname === "/upload" && (req.method === "POST" || req.method === "PUT")) {
      const sum = new Checksum();
      await consume(req.body!, sum);
      uploads.push(sum);
      return Response.json({ bytes: sum.bytes, checksum: sum.value });
    }
    if (url.pathname === "/download") {
      const bytes = Number(url.searchParams.get("bytes"));
      const sum = new Checksum();
      downloads.push(sum);
      const headers = new Headers({ "content-type": "application/octet-stream" });
      if (url.searchParams.get("length") === "known") headers.set("content-length", String(bytes));
      return new Response(generated(bytes, sum), { headers });
    }
    if (url.pathname === "/events" || url.pathname === "/chunks") {
      // Pushed on a timer whatever the reader does, each send time recorded.
      const sse = url.pathname === "/events";
      const timers: ReturnType<typeof setTimeout>[] = [];
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < EVENTS; i++) {
            timers.push(setTimeout(() => {
              const label = `${url.pathname}#${i}`;
              sent.push({ label, at: performance.now() });
              controller.enqueue(
                encoder.encode(sse ? `id: ${i}\ndata: ${label}\n\n` : `${label};`),
              );
              if (i === EVENTS - 1) controller.close();
            }, i * EVENT_GAP_MS));
          }
        },
        cancel() {
          timers.forEach(clearTimeout);
        },
      });
      return new Response(body, {
        headers: {
          "content-type": sse ? "text/event-stream" : "application/octet-stream",
          "cache-control": "no-cache",
        },
      });
    }
    return Response.json({ error: "not found" }, { status: 404 });
  });
  return { server, uploads, downloads, sent, url: `http://127.0.0.1:${server.addr.port}` };
}

/**
 * POSTs `body` over HTTP/1.1 with TCP_NODELAY, as curl, browsers and Node do.
 * Deno's fetch leaves Nagle's algorithm on for its connections (no option in
 * Deno 2.9, see denoland/deno#35581); with a chunked upload into a server that
 * forwards as it reads, each chunk's short tail then waits for a delayed ACK and
 * uploads crawl at 5–20 MB/s. That is the client's stall, not the proxy's.
 */
async function rawPost(
  url: string,
  headers: Record<string, string>,
  body: ReadableStream<Uint8Array>,
  contentLength?: number,
): Promise<{ status: number; text: string }> {
  const target = new URL(url);
  const conn = await Deno.connect({ hostname: target.hostname, port: Number(target.port) });
  try {
    conn.setNoDelay(true);
    const encoder = new TextEncoder();
    const head = [
      `POST ${target.pathname}${target.search} HTTP/1.1`,
      `host: ${target.host}`,
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
      contentLength === undefined
        ? "transfer-encoding: chunked"
        : `content-length: ${contentLength}`,
      "connection: close",
      "",
      "",
    ].join("\r\n");
    const writer = conn.writable.getWriter();
    const reading = new Response(conn.readable).arrayBuffer();
    await writer.write(encoder.encode(head));
    for await (const chunk of body) {
      if (contentLength !== undefined) {
        await writer.write(chunk);
        continue;
      }
      await writer.write(encoder.encode(`${chunk.length.toString(16)}\r\n`));
      await writer.write(chunk);
      await writer.write(encoder.encode("\r\n"));
    }
    if (contentLength === undefined) await writer.write(encoder.encode("0\r\n\r\n"));
    writer.releaseLock();
    const raw = new TextDecoder().decode(await reading);
    const split = raw.indexOf("\r\n\r\n");
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1]);
    let text = raw.slice(split + 4);
    if (/^transfer-encoding:\s*chunked/im.test(raw.slice(0, split))) {
      let out = "";
      for (let at = 0;;) {
        const eol = text.indexOf("\r\n", at);
        const size = parseInt(text.slice(at, eol), 16);
        if (!size) break;
        out += text.slice(eol + 2, eol + 2 + size);
        at = eol + 2 + size + 2;
      }
      text = out;
    }
    return { status, text };
  } finally {
    try {
      conn.close();
    } catch { /* closed by the server */ }
  }
}

/** Resident memory of a process, from /proc/<pid>/status, in bytes. */
function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const field = (name: string) => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status);
    assert.ok(match, `${name} in /proc/${pid}/status`);
    return Number(match[1]) * 1024;
  };
  return { rss: field("VmRSS"), hwm: field("VmHWM") };
}

/** Resets VmHWM to the current RSS (Linux ≥ 4.0); false when not allowed. */
function resetPeak(pid: number): boolean {
  try {
    Deno.writeTextFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

interface MemoryReport {
  baseline: number;
  peak: number;
  samples: number;
  hwmReset: boolean;
}

/**
 * Runs `transfer` while sampling the appliance's RSS every 20 ms (at most
 * 30 000 samples); the peak also counts VmHWM, reset just before.
 */
async function measured(pid: number, transfer: () => Promise<void>): Promise<MemoryReport> {
  // The steady size the process already reached (its peak so far, warm-up included), not the
  // RSS of the moment: after a GC returns pages to the OS, merely growing back to the size earlier,
  // smaller transfers needed is not the transfer being buffered (seen once under CI load: RSS
  // 152.6 MB after warm-up, peak so far 201.4 MB, the 200 MB upload then peaked at 202.4 MB).
  const before = memoryOf(pid);
  const baseline = Math.max(before.rss, before.hwm);
  const hwmReset = resetPeak(pid);
  let peak = baseline;
  let samples = 0;
  let running = true;
  const sampler = (async () => {
    while (running && samples < 30_000) {
      peak = Math.max(peak, memoryOf(pid).rss);
      samples++;
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  try {
    await transfer();
  } finally {
    running = false;
    await sampler;
  }
  const after = memoryOf(pid);
  peak = Math.max(peak, after.rss, hwmReset ? after.hwm : 0);
  return { baseline, peak, samples, hwmReset };
}

const mb = (bytes: number) => (bytes / MB).toFixed(1);

async function storedToken(temp: TempAppliance): Promise<string> {
  const credential = await storedCredential(temp.appliance, ENTITY);
  assert.ok(credential, "one active connection");
  return credential.accessToken;
}

/** The proxy.request audit records' byte counts, newest first. */
async function auditedBytes(temp: TempAppliance): Promise<{ bytesIn: number; bytesOut: number }[]> {
  const records = await listRecords(temp.appliance.database.db, { kinds: "proxy.request" });
  return records.reverse().map((r) => r.data as { bytesIn: number; bytesOut: number });
}

/**
 * The appliance as its own `securix serve` process, gmail pointed at
 * oidc-provider and at the fake API in this process, one account connected
 * through the device consent over HTTP.
 */
async function startStreamingEnv() {
  const port = freePort();
  const oidc = await startOidcServer({
    clients: [applianceClient(`http://127.0.0.1:${port}`)],
    accessTokenTtl: 3600,
  });
  let token = "";
  const upstream = startUpstream(() => token);
  const temp = await openTempAppliance({
    raw: {
      server: { base_domain: "localhost" },
      providers: {
        gmail: providerAt(oidc, upstream.url),
      },
      // Rules in force: a redact rule on every gmail call meets bodies it cannot inspect
      // (octet streams, event streams) and must leave them on the zero-copy path.
      rules: [
        { name: "draft_only", target: "gmail.users.messages.send", effect: "deny" },
        {
          name: "redact_all",
          target: "gmail.*",
          effect: "redact",
          patterns: ["ssn"],
        },
        {
          name: "drive_read_only",
          target: "drive.*",
          classes: ["write", "delete"],
          effect: "deny",
        },
      ],
    },
  });
  let appliance: ServerProcess | null = null;
  const close = async () => {
    const code = await appliance?.stop();
    if (code !== undefined && code !== 0) console.error(appliance!.output());
    await upstream.server.shutdown();
    await oidc.close();
    await temp.cleanup();
  };
  try {
    const { apiKey } = await seedApp(temp.appliance, {
      name: "demo",
      origins: ["http://127.0.0.1:3000"],
    });
    appliance = await startServeProcess({
      cwd: temp.dir,
      port,
      timeoutMs: 60_000,
      // One serving isolate: the growth is measured against a warmed-up heap, and with several
      // the kernel may hand the measured transfer to an isolate the warm-up never reached (its
      // first large transfer grows its heap once, ~70 MB). Each isolate streams the same way.
      env: { SECURIX_SERVER_PUBLIC_URL: `http://127.0.0.1:${port}`, SECURIX_SERVER_WORKERS: "1" },
    });
    const { baseUrl, pid } = appliance;
    const api = (path: string, init: RequestInit = {}) =>
      fetch(`${baseUrl}${path}`, {
        ...init,
        headers: { "securix-api-key": apiKey, "content-type": "application/json" },
      });
    const { browser, providerUrl } = await startDeviceConsent({ api, publicUrl: baseUrl }, ENTITY);
    const callback = await oidc.loginAndConsent(providerUrl, { accountId: ENTITY });
    const done = await browser.go(callback);
    assert.equal(done.status, 200, await done.text());
    token = await storedToken(temp);
    const caller: Record<string, string> = {
      "securix-api-key": apiKey,
      "securix-entity-id": ENTITY,
      "securix-agent-id": "agent-1",
    };
    const upload = async (bytes: number, length: "known" | "chunked") => {
      const sent = new Checksum();
      const res = await rawPost(
        `${baseUrl}/proxy/gmail/upload`,
        { ...caller, "content-type": "application/octet-stream" },
        generated(bytes, sent),
        length === "known" ? bytes : undefined,
      );
      assert.equal(res.status, 200, res.text);
      const got = JSON.parse(res.text);
      assert.deepEqual(got, { bytes: sent.bytes, checksum: sent.value }, "upstream got every byte");
      assert.equal(sent.bytes, bytes);
    };
    const download = async (bytes: number, length: "known" | "chunked") => {
      const received = new Checksum();
      const res = await fetch(`${baseUrl}/proxy/gmail/download?bytes=${bytes}&length=${length}`, {
        headers: caller,
        signal: AbortSignal.timeout(300_000),
      });
      assert.equal(res.status, 200);
      assert.equal(
        res.headers.get("content-length"),
        length === "known" ? String(bytes) : null,
      );
      await consume(res.body!, received);
      const produced = upstream.downloads.at(-1)!;
      assert.equal(received.bytes, bytes, "caller got every byte");
      assert.equal(received.value, produced.value, "and the same bytes");
    };
    /** Runs `transfer` of `bytes`, logs time and memory, checks the growth. */
    const check = async (label: string, bytes: number, transfer: () => Promise<void>) => {
      const started = performance.now();
      const memory = await measured(pid, transfer);
      const seconds = (performance.now() - started) / 1000;
      const growth = memory.peak - memory.baseline;
      console.log(
        `${label}: ${mb(bytes)} MB in ${seconds.toFixed(2)} s = ` +
          `${(bytes / MB / seconds).toFixed(0)} MB/s; appliance RSS baseline ` +
          `${mb(memory.baseline)} MB, peak ${mb(memory.peak)} MB, growth ${mb(growth)} MB ` +
          `(${memory.samples} samples, VmHWM ${memory.hwmReset ? "reset" : "not reset"})`,
      );
      assert.ok(
        growth <= GROWTH_LIMIT_MB * MB,
        `${label}: appliance memory grew ${mb(growth)} MB (limit ${GROWTH_LIMIT_MB} MB)`,
      );
    };
    return { baseUrl, pid, caller, upstream, temp, upload, download, check, close };
  } catch (error) {
    await close();
    throw error;
  }
}

Deno.test("proxy streaming: 200 MB up and down through a serve process without growing its memory; events flow as sent", async (t) => {
  const env = await startStreamingEnv();
  try {
    const { baseUrl, pid, caller, upstream, upload, download, check } = env;
    // Warm-up: compile the hot path, fill allocator pools, reach V8's steady heap size.
    for (let i = 0; i < 2; i++) {
      await upload(WARM_UP, "known");
      await upload(CHUNKED_WARM_UP, "chunked");
      await download(WARM_UP, "chunked");
      await download(WARM_UP, "known");
    }
    const warm = memoryOf(pid);
    console.log(`appliance after warm-up: RSS ${mb(warm.rss)} MB, HWM ${mb(warm.hwm)} MB`);

    await t.step(
      "upload with Content-Length",
      () => check("upload (Content-Length)", TRANSFER, () => upload(TRANSFER, "known")),
    );
    await t.step(
      "chunked download (counted on the way)",
      () => check("download (chunked)", TRANSFER, () => download(TRANSFER, "chunked")),
    );
    await t.step(
      "download with Content-Length",
      () => check("download (Content-Length)", TRANSFER, () => download(TRANSFER, "known")),
    );

    await t.step("the audit log counts the streamed bytes", async () => {
      const deadline = Date.now() + 10_000;
      let records: { bytesIn: number; bytesOut: number }[] = [];
      while (Date.now() < deadline) {
        records = await auditedBytes(env.temp);
        if (records.length >= 3 && records[2].bytesIn === TRANSFER) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      const [known, chunked, up] = records;
      assert.equal(up?.bytesIn, TRANSFER, JSON.stringify(up));
      assert.equal(chunked?.bytesOut, TRANSFER, JSON.stringify(chunked));
      assert.equal(known?.bytesOut, TRANSFER, JSON.stringify(known));
    });

    for (const path of ["/events", "/chunks"]) {
      await t.step(`${path}: each piece reaches the caller as the provider sends it`, async () => {
        upstream.sent.length = 0;
        const res = await fetch(`${baseUrl}/proxy/gmail${path}`, {
          headers: caller,
          signal: AbortSignal.timeout(60_000),
        });
        assert.equal(res.status, 200);
        if (path === "/events") {
          assert.equal(res.headers.get("content-type"), "text/event-stream");
        }
        const arrived: Timed[] = [];
        const decoder = new TextDecoder();
        let text = "";
        for await (const chunk of res.body!) {
          text += decoder.decode(chunk, { stream: true });
          const pieces = path === "/events"
            ? [...text.matchAll(/^data: (.+)$/gm)].map((m) => m[1])
            : text.split(";").slice(0, -1);
          for (const label of pieces.slice(arrived.length)) {
            arrived.push({ label, at: performance.now() });
          }
        }
        const sent = upstream.sent;
        assert.equal(sent.length, EVENTS);
        assert.deepEqual(arrived.map((a) => a.label), sent.map((s) => s.label));
        const lags = arrived.map((a, i) => Math.round(a.at - sent[i].at));
        console.log(
          `${path}: sent at ${sent.map((s) => Math.round(s.at - sent[0].at)).join("/")} ms, ` +
            `lag at the caller ${lags.join("/")} ms`,
        );
        // Not buffered: the first piece is in the caller's hands before the last is sent.
        assert.ok(
          arrived[0].at < sent[EVENTS - 1].at,
          `the first piece arrived ${lags[0]} ms after it was sent, after the last was sent`,
        );
      });
    }
  } finally {
    await env.close();
  }
});

Deno.test({
  name: "KNOWN GAP (Deno 2.9 HTTP/1.1 server): a 200 MB chunked upload read slower than sent",
  ignore: !Deno.env.get("SECURIX_KNOWN_GAPS"),
}, async () => {
  // Deno.serve reads a Transfer-Encoding: chunked request body ahead of its
  // reader without bound; the proxy reads at the upstream's pace, so the
  // appliance holds what the upstream has not taken yet (measured: +57–85 MB
  // for 200 MB, +250 MB for 600 MB, at 6–20 MB/s). A bare Deno.serve that
  // reads its body with a 2 ms pause per read shows the same; Content-Length
  // bodies are backpressured. Nothing in src/proxy can bound this.
  const env = await startStreamingEnv();
  try {
    await env.upload(CHUNKED_WARM_UP, "chunked");
    await env.check("upload (chunked)", TRANSFER, () => env.upload(TRANSFER, "chunked"));
  } finally {
    await env.close();
  }
});

Deno.test("proxy: an upload that outlasts the upstream timeout is not cut off; the answer is still timed", async (t) => {
  const TIMEOUT_MS = 400;
  let hang = false;
  let release!: () => void;
  const released = new Promise<void>((resolve) => release = resolve);
  const received: number[] = [];
  const upstream = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const sum = new Checksum();
    await consume(req.body!, sum);
    received.push(sum.bytes);
    if (hang) await released;
    return Response.json({ bytes: sum.bytes });
  });
  const caller = { app: { id: "app_1" }, agentId: "a", entityId: "e", connection: {} } as Caller;
  const credential: StoredCredential = {
    accessToken: "t",
    refreshToken: null,
    tokenType: "bearer",
    expiresAt: null,
    scopes: [],
  };
  const deps: ProxyDeps = {
    routes: new Map([["gmail", {
      host: "gmail",
      provider: "gmail",
      baseUrl: new URL(`http://127.0.0.1:${upstream.addr.port}/`),
      inject: credentialInjector({ kind: "bearer" }),
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
    upstreamTimeoutMs: TIMEOUT_MS,
    maxRequestBytes: MB,
    maxHeaderBytes: 8192,
  };
  /** A body sent in 5 pieces 250 ms apart: over a second, longer than the timeout. */
  const slowUpload = async () => {
    let sent = 0;
    let bodyDone = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent === 5) {
          bodyDone = performance.now();
          controller.close();
          return;
        }
        if (sent > 0) await new Promise((r) => setTimeout(r, 250));
        sent++;
        controller.enqueue(new Uint8Array(1000).fill(sent));
      },
    });
    const req = new Request("http://127.0.0.1:8080/proxy/gmail/upload", {
      method: "POST",
      body,
      // @ts-ignore: Deno needs duplex for a streamed request body
      duplex: "half",
    });
    const target = matchProxy(deps, req);
    assert.ok(target && target !== "unknown");
    const started = performance.now();
    const res = await handleProxy(deps, req, target);
    const text = await res.text();
    return {
      res,
      text,
      total: performance.now() - started,
      afterBody: performance.now() - bodyDone,
    };
  };
  try {
    await t.step("a 1.25 s upload with a 400 ms timeout arrives whole", async () => {
      const { res, text, total } = await slowUpload();
      assert.equal(res.status, 200, text);
      assert.deepEqual(JSON.parse(text), { bytes: 5000 });
      assert.ok(total > TIMEOUT_MS * 2, `the upload took ${Math.round(total)} ms`);
    });
    await t.step(
      "an upstream that takes the body and never answers: 504 after the timeout",
      async () => {
        hang = true;
        const { res, text, afterBody } = await slowUpload();
        assert.equal(res.status, 504, text);
        assert.equal(JSON.parse(text).error.code, "SX-UPSTREAM-TIMEOUT");
        assert.ok(afterBody >= TIMEOUT_MS - 50, `504 ${Math.round(afterBody)} ms after the body`);
        assert.ok(afterBody < 10_000, `504 ${Math.round(afterBody)} ms after the body`);
        assert.deepEqual(received, [5000, 5000]);
      },
    );
  } finally {
    release();
    deps.upstream.close?.();
    await upstream.shutdown();
  }
});
