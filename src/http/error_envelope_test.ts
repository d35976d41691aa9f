import assert from "node:assert/strict";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { SecurixError } from "../errors/securix_error.ts";
import { onError, toSecurixError } from "./error_envelope.ts";

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
