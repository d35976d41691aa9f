import assert from "node:assert/strict";
import type { SecurixError } from "../errors/securix_error.ts";
import type { ProxyRoute } from "./proxy_route.ts";
import { checkMethodOverride, checkRequestShape, judgedMethod } from "./request_shape.ts";
import { readSentHeaders, type SentHeaders } from "./sent_headers.ts";

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

Deno.test("request shape: only the override the provider honours, on a POST, naming one method, is the method judged", () => {
  const honours = { provider: "gmail", methodOverride: "x-http-method-override" } as ProxyRoute;
  const honoursNone = { provider: "github" } as ProxyRoute;
  const sent = (pairs: [string, string][]) => readSentHeaders(new Headers(pairs));
  const override = (value: string) => sent([["x-http-method-override", value]]);

  assert.equal(judgedMethod(honours, "POST", override("delete")), "DELETE");
  assert.equal(judgedMethod(honours, "POST", sent([["x-http-method", "DELETE"]])), "POST");
  assert.equal(judgedMethod(honoursNone, "POST", override("DELETE")), "POST");
  assert.equal(judgedMethod(honoursNone, "DELETE", override("GET")), "DELETE");
  checkMethodOverride(honours, "POST", override("PATCH"));
  checkMethodOverride(honoursNone, "DELETE", override("GET"));

  const refused = (route: ProxyRoute, method: string, headers: SentHeaders) =>
    assert.throws(() => checkMethodOverride(route, method, headers), (e: SecurixError) => {
      assert.equal(e.code, "SX-INVALID-INPUT");
      return true;
    });
  refused(honours, "DELETE", override("GET"));
  refused(honours, "POST", override(""));
  refused(honours, "POST", override("FETCH"));
  refused(
    honoursNone,
    "POST",
    sent([["x-http-method-override", "GET"], ["connection", "x-http-method-override"]]),
  );
});
