import assert from "node:assert/strict";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { SecurixError } from "../errors/securix_error.ts";
import { notFound, onError, toSecurixError } from "./error_envelope.ts";
import { requestIdHeader } from "./request_id_header.ts";
import { requestIdSource } from "../identifiers/request_id.ts";

Deno.test("toSecurixError: a SecurixError passes through unchanged", () => {
  const error = new SecurixError("SX-PAUSED", "paused", { status: 403 });
  assert.equal(toSecurixError(error), error);
});

Deno.test("toSecurixError: Hono's 413 is SX-BODY-TOO-LARGE", () => {
  const sx = toSecurixError(new HTTPException(413));
  assert.equal(sx.code, "SX-BODY-TOO-LARGE");
  assert.equal(sx.status, 413);
});

Deno.test("toSecurixError: any other HTTPException is unexpected: SX-INTERNAL, no code built from its status", () => {
  for (const status of [400, 401, 403, 504] as const) {
    const sx = toSecurixError(new HTTPException(status, { message: "Invalid mounted path" }));
    assert.equal(sx.code, "SX-INTERNAL");
    assert.equal(sx.status, 500);
    assert.doesNotMatch(sx.message, /mounted/);
  }
});

Deno.test("onError: an unexpected HTTPException is logged and answered 500 SX-INTERNAL", async () => {
  const lines: string[] = [];
  const app = new Hono();
  app.get("/x", () => {
    throw new HTTPException(403, { message: "Forbidden by some middleware" });
  });
  app.onError(onError((line) => lines.push(line)));
  const res = await app.request("/x");
  assert.equal(res.status, 500);
  const body = await res.json();
  assert.equal(body.error.code, "SX-INTERNAL");
  assert.equal(lines.length, 1);
  assert.match(lines[0], /^error GET \/x: /);
});

Deno.test("onError: an internal error's answer and log line name the request id; so does a 404", async () => {
  const lines: string[] = [];
  const app = new Hono();
  app.use(requestIdHeader(requestIdSource((bytes) => bytes.fill(1))));
  app.get("/boom", () => {
    throw new TypeError("undefined is not a function");
  });
  app.onError(onError((line) => lines.push(line)));
  app.notFound(notFound);
  const res = await app.request("/boom");
  assert.equal(res.status, 500);
  const id = res.headers.get("securix-request-id");
  assert.match(id ?? "", /^req_[0-9a-v]{21}$/);
  const body = await res.json();
  assert.deepEqual([body.error.code, body.error.requestId], ["SX-INTERNAL", id]);
  assert.doesNotMatch(JSON.stringify(body), /undefined is not/);
  assert.equal(lines.length, 1);
  assert.ok(lines[0].startsWith(`error ${id} GET /boom: `), lines[0]);
  const missing = await app.request("/nothing");
  const other = missing.headers.get("securix-request-id");
  assert.notEqual(other, id);
  assert.equal((await missing.json()).error.requestId, other);
});
