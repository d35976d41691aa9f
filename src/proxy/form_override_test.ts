import assert from "node:assert/strict";
import { SecurixError } from "../errors/securix_error.ts";
import { checkFormOverride } from "./form_override.ts";
import { PeekableBody } from "./peekable_body.ts";
import type { ProxyRoute } from "./proxy_route.ts";
import { readSentHeaders } from "./sent_headers.ts";

const GITLAB = { provider: "gitlab", methodOverrideField: "_method" } as ProxyRoute;

/** Whether the check refuses a POST with this Content-Type (null: none) and body. */
async function refused(contentType: string | null, body: string): Promise<boolean> {
  const headers = new Headers(contentType === null ? {} : { "content-type": contentType });
  const bytes = new TextEncoder().encode(body);
  try {
    await checkFormOverride(GITLAB, readSentHeaders(headers), new PeekableBody(bytes), 1024);
    return false;
  } catch (error) {
    assert.ok(error instanceof SecurixError);
    assert.equal(error.code, "SX-INVALID-INPUT");
    return true;
  }
}

Deno.test("form override: the media type as Rack reads it, ended by `;` or `,`", async () => {
  // Rack 2.2 (MockRequest + MethodOverride) reads each of these as DELETE.
  for (
    const type of [
      "application/x-www-form-urlencoded, text/plain",
      "application/x-www-form-urlencoded,",
      "application/x-www-form-urlencoded ,x",
      "Application/X-WWW-Form-Urlencoded;charset=utf-8",
    ]
  ) {
    assert.equal(await refused(type, "_method=DELETE"), true, type);
  }
  assert.equal(await refused(null, "_method=DELETE"), true);
  // Not a form to Rack: the body is the provider's to read.
  assert.equal(
    await refused("text/plain, application/x-www-form-urlencoded", "_method=DELETE"),
    false,
  );
  assert.equal(await refused("application/json", '{"_method":"DELETE"}'), false);
});

Deno.test("form override: a multipart type before a `,` is multipart, with the boundary Rack finds", async () => {
  const body = "--b\r\nContent-ID: _method\r\n\r\nDELETE\r\n--b--\r\n";
  assert.equal(await refused("multipart/form-data, x; boundary=b", body), true);
  const field = '--b\r\nContent-Disposition: form-data; name="merge_method"\r\n\r\nff\r\n--b--\r\n';
  assert.equal(await refused("multipart/form-data, x; boundary=b", field), false);
});
