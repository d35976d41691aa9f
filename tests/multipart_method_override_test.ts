/**
 * Rails reads `_method` from a multipart POST's parts wherever they are,
 * while the appliance reads only `proxy.max_inspect_bytes` (8 MiB) of a body
 * before forwarding it. A multipart body larger than that is scanned as it
 * is forwarded: a `_method=DELETE` part padded past the first 8 MiB errors
 * the forwarded body before that part is sent, so GitLab never gets a whole
 * request, and the caller gets 400 SX-INVALID-INPUT (audited). An upload
 * without the field still streams through byte for byte, in bounded memory.
 */
import assert from "node:assert/strict";
import { rulesEnv } from "./helpers/rules_env.ts";

const MiB = 1024 * 1024;
const BOUNDARY = "----sxBoundary7MA4YWxkTrZu0gW";
const MARK = 'name="_method"';
const latin1 = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

interface Received {
  bytes: number;
  complete: boolean;
  sawMark: boolean;
  checksum: number;
}

/** GitLab's stand-in: records what each request's body delivered, as it arrives. */
function recordingUpstream() {
  const received: Received[] = [];
  const decoder = new TextDecoder("latin1");
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const got: Received = { bytes: 0, complete: false, sawMark: false, checksum: 0 };
    received.push(got);
    let tail = "";
    try {
      for await (const chunk of req.body ?? ReadableStream.from([])) {
        got.bytes += chunk.byteLength;
        for (let i = 0; i < chunk.byteLength; i++) {
          got.checksum = (got.checksum * 31 + chunk[i]) | 0;
        }
        const text = tail + decoder.decode(chunk);
        got.sawMark ||= text.includes(MARK);
        tail = text.slice(-MARK.length);
      }
      got.complete = true;
    } catch {
      return new Response(null, { status: 499 });
    }
    return Response.json({ bytes: got.bytes });
  });
  return { received, url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

function checksum(pieces: Uint8Array[]): number {
  let sum = 0;
  for (const piece of pieces) {
    for (let i = 0; i < piece.byteLength; i++) sum = (sum * 31 + piece[i]) | 0;
  }
  return sum;
}

/** A multipart body: a `size`-byte file part, then the given extra parts, in 64 KiB chunks. */
function multipart(size: number, extra: string): Uint8Array[] {
  const pieces = [latin1(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="pad.bin"\r\n` +
      "Content-Type: application/octet-stream\r\n\r\n",
  )];
  for (let at = 0; at < size; at += 64 * 1024) {
    const chunk = new Uint8Array(Math.min(64 * 1024, size - at));
    for (let i = 0; i < chunk.length; i++) chunk[i] = (at + i * 7) & 0xff;
    pieces.push(chunk);
  }
  pieces.push(latin1(`\r\n${extra}--${BOUNDARY}--\r\n`));
  return pieces;
}

const methodPart = (value: string) =>
  `--${BOUNDARY}\r\nContent-Disposition: form-data; ${MARK}\r\n\r\n${value}\r\n`;

Deno.test({
  name:
    "multipart `_method`: a DELETE part past max_inspect_bytes never reaches GitLab whole; an upload without one streams through",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const gitlab = recordingUpstream();
    const env = await rulesEnv({
      rules: [{ name: "no_deletes", target: "gitlab.*", classes: ["delete"], effect: "deny" }],
      upstreams: { gitlab: gitlab.url },
    });
    const target = `${env.base}/proxy/gitlab/api/v4/projects/1`;
    const post = (pieces: Uint8Array[], streamed: boolean) =>
      fetch(target, {
        method: "POST",
        headers: { ...env.headers(), "content-type": `multipart/form-data; boundary=${BOUNDARY}` },
        body: streamed ? ReadableStream.from(pieces) : new Blob(pieces as BlobPart[]),
      });
    try {
      for (const streamed of [false, true]) {
        await t.step(
          `9 MiB, \`_method=DELETE\` last (${streamed ? "chunked" : "length"})`,
          async () => {
            const mark = await env.mark();
            const before = gitlab.received.length;
            const res = await post(multipart(9 * MiB, methodPart("DELETE")), streamed);
            const body = await res.json();
            assert.equal(res.status, 400, JSON.stringify(body));
            assert.equal(body.error.code, "SX-INVALID-INPUT");
            assert.match(body.error.message, /_method/);
            // The upstream may still be noticing the abort.
            await new Promise((r) => setTimeout(r, 200));
            assert.equal(gitlab.received.length, before + 1, "the upload had started");
            for (const got of gitlab.received.slice(before)) {
              assert.equal(got.complete, false, "no whole request reached GitLab");
              assert.equal(got.sawMark, false, "not one byte of the _method part did");
              assert.ok(got.bytes > 8 * MiB, `the padding streamed on (${got.bytes} bytes)`);
            }
            const records = await env.audit(mark, "proxy.request");
            assert.equal(records.length, 1);
            const data = records[0].data as Record<string, unknown>;
            assert.equal(data.error, "SX-INVALID-INPUT");
            assert.equal(data.status, 400);
          },
        );
      }
      await t.step(
        "`_method=DELETE` first, 9 MiB after: refused before GitLab is called",
        async () => {
          const before = gitlab.received.length;
          const pieces = multipart(9 * MiB, "");
          pieces.unshift(latin1(methodPart("DELETE")));
          const res = await post(pieces, true);
          assert.equal(res.status, 400);
          assert.equal((await res.json()).error.code, "SX-INVALID-INPUT");
          assert.equal(gitlab.received.length, before, "no request was started");
        },
      );
      await t.step(
        "9 MiB, then a `_method` part behind a fake delimiter line or in iso-8859-9: never whole at GitLab",
        async () => {
          // Rack 2.2 reads both as an override: it skips `--<boundary>x` and takes the next
          // delimiter; it upcases `opt\xFDons` in iso-8859-9 (ı) to OPTIONS.
          const turkish = `--${BOUNDARY}\r\nContent-Disposition: form-data; ${MARK}\r\n` +
            "Content-Type: text/plain; charset=iso-8859-9\r\n\r\nopt\xFDons\r\n";
          for (const extra of [`--${BOUNDARY}x\r\n${methodPart("DELETE")}`, turkish]) {
            const before = gitlab.received.length;
            const res = await post(multipart(9 * MiB, extra), true);
            const body = await res.json();
            assert.equal(res.status, 400, JSON.stringify(body));
            assert.equal(body.error.code, "SX-INVALID-INPUT");
            await new Promise((r) => setTimeout(r, 200));
            for (const got of gitlab.received.slice(before)) {
              assert.equal(got.complete, false, "no whole request reached GitLab");
              assert.equal(got.sawMark, false, "not one byte of the _method part did");
            }
          }
        },
      );
      await t.step(
        "9 MiB without `_method` (and `_method=post`) passes byte for byte",
        async () => {
          for (const extra of ["", methodPart("post")]) {
            const pieces = multipart(9 * MiB, extra);
            const res = await post(pieces, true);
            assert.equal(res.status, 200, await res.clone().text());
            const size = pieces.reduce((n, p) => n + p.byteLength, 0);
            assert.deepEqual(await res.json(), { bytes: size });
            const got = gitlab.received.at(-1)!;
            assert.equal(got.complete, true);
            assert.equal(got.checksum, checksum(pieces), "the same bytes in the same order");
          }
        },
      );
      await t.step("128 MiB upload streams through in bounded memory", async () => {
        const total = 128 * MiB;
        const chunk = new Uint8Array(64 * 1024).map((_, i) => (i * 13) & 0xff);
        let sent = 0;
        const head = latin1(
          `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big"\r\n\r\n`,
        );
        const tail = latin1(`\r\n--${BOUNDARY}--\r\n`);
        const generated = new ReadableStream<Uint8Array>({
          pull(controller) {
            if (sent === 0) controller.enqueue(head);
            if (sent >= total) {
              controller.enqueue(tail);
              return controller.close();
            }
            sent += chunk.byteLength;
            controller.enqueue(chunk.slice());
          },
        }, { highWaterMark: 0 });
        const baseline = Deno.memoryUsage().rss;
        let peak = baseline;
        const sampler = setInterval(() => peak = Math.max(peak, Deno.memoryUsage().rss), 10);
        try {
          const res = await fetch(target, {
            method: "POST",
            headers: {
              ...env.headers(),
              "content-type": `multipart/form-data; boundary=${BOUNDARY}`,
            },
            body: generated,
          });
          assert.equal(res.status, 200);
          assert.deepEqual(await res.json(), { bytes: head.byteLength + total + tail.byteLength });
        } finally {
          clearInterval(sampler);
        }
        const growth = (peak - baseline) / MiB;
        console.log(`128 MiB multipart upload: RSS growth ${growth.toFixed(1)} MiB`);
        assert.ok(growth < 64, `memory grew ${growth.toFixed(1)} MiB for a 128 MiB body`);
      });
    } finally {
      await env.close();
      await gitlab.close();
    }
  },
});
