import assert from "node:assert/strict";
import { startServer } from "./serve.ts";

Deno.test("serve: shutdown lets an in-flight request finish and refuses new connections", async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => release = resolve);
  let entered!: () => void;
  const inside = new Promise<void>((resolve) => entered = resolve);
  const server = startServer({
    listen: { hostname: "127.0.0.1", port: 0 },
    signals: false,
    shutdownTimeoutMs: 5_000,
    handler: async () => {
      entered();
      await gate;
      return new Response("finished");
    },
  });
  const url = `http://127.0.0.1:${server.addr.port}/`;
  const inFlight = fetch(url).then((r) => r.text());
  await inside;
  const stopping = server.shutdown();
  setTimeout(release, 200);
  assert.equal(await inFlight, "finished");
  await stopping;
  await assert.rejects(fetch(url));
});

Deno.test("serve: shutdown gives up on a request that never ends after the timeout", async () => {
  const server = startServer({
    listen: { hostname: "127.0.0.1", port: 0 },
    signals: false,
    shutdownTimeoutMs: 300,
    handler: () => new Promise<Response>(() => {}),
  });
  const hanging = fetch(`http://127.0.0.1:${server.addr.port}/`).catch(() => null);
  await new Promise((r) => setTimeout(r, 50));
  const started = Date.now();
  await server.shutdown();
  const took = Date.now() - started;
  assert.ok(took < 2_000, `shutdown took ${took} ms`);
  void hanging;
});

Deno.test("serve: finished resolves after a shutdown that timed out", async () => {
  const server = startServer({
    listen: { hostname: "127.0.0.1", port: 0 },
    signals: false,
    shutdownTimeoutMs: 200,
    handler: () => new Promise<Response>(() => {}),
  });
  fetch(`http://127.0.0.1:${server.addr.port}/`).catch(() => null);
  await new Promise((r) => setTimeout(r, 50));
  void server.shutdown();
  const result = await Promise.race([
    server.finished.then(() => "finished"),
    new Promise((r) => setTimeout(() => r("stuck"), 3_000)),
  ]);
  assert.equal(result, "finished");
});
