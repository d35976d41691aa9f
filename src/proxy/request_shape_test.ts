import assert from "node:assert/strict";
import type { SecurixError } from "../errors/securix_error.ts";
import { checkRequestShape } from "./request_shape.ts";
import { readSentHeaders } from "./sent_headers.ts";

const LIMITS = { maxHeaderBytes: 64 * 1024, maxRequestBytes: 1024 * 1024 };

function refusal(pairs: [string, string][]): SecurixError {
  const url = new URL("http://gmail.api.localhost/gmail/v1/users/me/messages");
  try {
    checkRequestShape(LIMITS, readSentHeaders(new Headers(pairs)), url);
  } catch (error) {
    return error as SecurixError;
  }
  throw new Error("not refused");
}

Deno.test("request shape: a method override conflict names the headers actually involved", () => {
  const others = refusal([["x-http-method", "DELETE"], ["x-method-override", "PUT"]]);
  assert.equal(others.code, "SX-INVALID-INPUT");
  assert.equal(others.status, 400);
  assert.match(others.message, /^x-http-method, x-method-override: /);
  assert.doesNotMatch(others.message, /x-http-method-override/);

  const listed = refusal([["x-method-override", "GET, DELETE"]]);
  assert.match(listed.message, /^x-method-override: .*several methods/);

  const all = refusal([["x-http-method-override", "DELETE"], ["x-http-method", "PUT"]]);
  assert.match(all.message, /^x-http-method, x-http-method-override: .*different methods/);
});
