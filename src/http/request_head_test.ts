import assert from "node:assert/strict";
import { classifyHead } from "./request_head.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

Deno.test("request head: incomplete until the blank line", () => {
  assert.equal(classifyHead(bytes(""), false), "incomplete");
  assert.equal(classifyHead(bytes("GET / HTTP/1.1\r\nHost: x\r\n"), false), "incomplete");
  assert.equal(classifyHead(bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), false), "http");
  assert.equal(classifyHead(bytes("GET / HTTP/1.1\nHost: x\n\n"), false), "http");
});

Deno.test("request head: a WebSocket upgrade is recognised in any case and position", () => {
  const ws = "GET /x HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUPGRADE:  WebSocket\r\n\r\n";
  assert.equal(classifyHead(bytes(ws), false), "websocket");
  const other = "GET /x HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\nX-Upgrade: websocket\r\n\r\n";
  assert.equal(classifyHead(bytes(other), false), "http");
});

Deno.test("request head: a full buffer or a non-HTTP start goes to the HTTP server", () => {
  assert.equal(classifyHead(bytes("GET / HTTP/1.1\r\nX: " + "a".repeat(100)), true), "http");
  assert.equal(classifyHead(new Uint8Array([0x16, 0x03, 0x01]), false), "http");
});
