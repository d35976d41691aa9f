/**
 * A provider API stand-in on raw TCP: records every request exactly as the
 * appliance sent it and answers with whatever the test scripts, including
 * headers a real HTTP server library would refuse to send, or nothing at all.
 * Plus a canary: a listener that must never be connected to.
 */
import { type RawMessage, RawReader } from "./raw_http.ts";

const encoder = new TextEncoder();

export interface ScriptedReply {
  status: number;
  /** Sent as written, in order; Content-Length is added. */
  headers?: [string, string][];
  body?: string;
}

/** "hang": read the request, then never answer (until the connection closes). */
export type Responder = (request: RawMessage) => ScriptedReply | "hang";

/** Every reply carries this header, so a test can tell upstream answers from appliance ones. */
export const UPSTREAM_MARK = "x-fake-upstream";

export interface FakeUpstream {
  port: number;
  requests: RawMessage[];
  /** Connections the appliance closed while a request was still unanswered. */
  abandoned: number;
  respond: Responder;
  close(): Promise<void>;
}

function serialise(reply: ScriptedReply): Uint8Array {
  const body = encoder.encode(reply.body ?? "");
  const lines = [`HTTP/1.1 ${reply.status} Scripted`, `${UPSTREAM_MARK}: 1`];
  for (const [name, value] of reply.headers ?? []) lines.push(`${name}: ${value}`);
  lines.push(`Content-Length: ${body.length}`);
  const head = encoder.encode(lines.join("\r\n") + "\r\n\r\n");
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

export function startFakeUpstream(): FakeUpstream {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const serving: Promise<void>[] = [];
  let closing = false;
  const upstream: FakeUpstream = {
    port: (listener.addr as Deno.NetAddr).port,
    requests: [],
    abandoned: 0,
    respond: () => ({
      status: 200,
      headers: [["content-type", "application/json"]],
      body: JSON.stringify({ messages: [{ id: "m1" }] }),
    }),
    async close() {
      closing = true;
      listener.close();
      for (const conn of conns) conn.close();
      await accepting;
      await Promise.all(serving);
    },
  };
  const serve = async (conn: Deno.Conn) => {
    // A test runs for seconds; the deadline only bounds a connection nobody closes.
    const reader = new RawReader(conn, Date.now() + 60_000);
    try {
      for (let i = 0; i < 10_000; i++) {
        const request = await reader.read("request");
        if (!request) break;
        upstream.requests.push(request);
        const reply = upstream.respond(request);
        if (reply === "hang") {
          await reader.read("request");
          if (reader.eof && !closing) upstream.abandoned++;
          break;
        }
        await conn.write(serialise(reply));
      }
    } catch {
      /* closed under us */
    } finally {
      conns.delete(conn);
      try {
        conn.close();
      } catch { /* already closed */ }
    }
  };
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        conns.add(conn);
        serving.push(serve(conn));
      }
    } catch { /* listener closed */ }
  })();
  return upstream;
}

export interface Canary {
  port: number;
  /** Connections accepted: any number above zero means something reached it. */
  connections: number;
  close(): Promise<void>;
}

export function startCanary(): Canary {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const canary: Canary = {
    port: (listener.addr as Deno.NetAddr).port,
    connections: 0,
    async close() {
      listener.close();
      await accepting;
    },
  };
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        canary.connections++;
        conn.close();
      }
    } catch { /* listener closed */ }
  })();
  return canary;
}
