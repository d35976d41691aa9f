import assert from "node:assert/strict";
import { ConnectionPool } from "./connection_pool.ts";
import { SocketReader } from "./socket_reader.ts";

/** A connected TCP pair on localhost: the pool's socket and the provider's end. */
async function pair(listener: Deno.Listener): Promise<[SocketReader, Deno.Conn]> {
  const accepting = listener.accept();
  const client = await Deno.connect({ port: (listener.addr as Deno.NetAddr).port });
  return [new SocketReader(client), await accepting];
}

async function sawEnd(server: Deno.Conn): Promise<boolean> {
  const n = await server.read(new Uint8Array(8)).catch(() => null);
  return n === null;
}

Deno.test("connection pool: take returns the latest parked connection of its origin, once", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const pool = new ConnectionPool();
  const [a, aServer] = await pair(listener);
  const [b, bServer] = await pair(listener);
  try {
    pool.release("http://x", a);
    pool.release("http://x", b);
    assert.equal(pool.take("http://y"), null);
    assert.equal(pool.take("http://x"), b);
    assert.equal(pool.take("http://x"), a);
    assert.equal(pool.take("http://x"), null);
  } finally {
    pool.close();
    a.close();
    b.close();
    aServer.close();
    bServer.close();
    listener.close();
  }
});

Deno.test("connection pool: limits, idle timeout, the provider closing and close() end parked connections", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const pool = new ConnectionPool({ maxIdlePerOrigin: 2, maxIdle: 3, idleTimeoutMs: 100 });
  const made: [SocketReader, Deno.Conn][] = [];
  for (let i = 0; i < 5; i++) made.push(await pair(listener));
  try {
    pool.release("http://a", made[0][0]);
    pool.release("http://a", made[1][0]);
    pool.release("http://a", made[2][0]); // Over the per-origin limit: the oldest goes.
    assert.ok(await sawEnd(made[0][1]));
    pool.release("http://b", made[3][0]);
    pool.release("http://b", made[4][0]); // Over the total: the longest idle (made[1]) goes.
    assert.ok(await sawEnd(made[1][1]));
    assert.equal(pool.idleCount, 3);
    made[3][1].close(); // The provider closes an idle connection: it leaves the pool.
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(pool.idleCount, 2);
    assert.ok(made[3][0].closed);
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(pool.idleCount, 0, "idle timeout");
    assert.ok(await sawEnd(made[2][1]));
    const [late, lateServer] = await pair(listener);
    pool.close();
    pool.release("http://a", late);
    assert.ok(await sawEnd(lateServer), "a closed pool takes nothing back");
    lateServer.close();
  } finally {
    pool.close();
    for (const [socket, server] of made) {
      socket.close();
      try {
        server.close();
      } catch {
        // Closed by the test.
      }
    }
    listener.close();
  }
});

Deno.test("connection pool: a parked connection's pending read carries the next answer", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const pool = new ConnectionPool();
  const [socket, server] = await pair(listener);
  try {
    pool.release("http://a", socket);
    const taken = pool.take("http://a")!;
    await server.write(new TextEncoder().encode("answer"));
    assert.equal(new TextDecoder().decode((await taken.read())!), "answer");
    assert.equal(taken.closed, false);
  } finally {
    pool.close();
    socket.close();
    server.close();
    listener.close();
  }
});
