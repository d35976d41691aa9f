import { formPairs } from "./form_pairs.ts";
import { rackParamNamed } from "./rack_param_name.ts";
import { MultipartOverrideScan, PART_HEAD_LIMIT, rackBoundary } from "./multipart_override_scan.ts";
import type { PeekableBody } from "./peekable_body.ts";
import { proxyErrors } from "./proxy_errors.ts";
import type { ProxyRoute } from "./proxy_route.ts";
import type { SentHeaders } from "./sent_headers.ts";

const LATIN1 = new TextDecoder("latin1");

/**
 * A POST whose form body names the method override field (Rails' `_method`)
 * is refused: the provider would act on that method, the rules judged a
 * POST. Rack reads a form from an urlencoded body, a multipart one, or one
 * with no Content-Type; an urlencoded form too large to read is refused. A
 * multipart body goes through one parser (MultipartOverrideScan): read
 * whole, it is refused when a part names the field; larger than `limit`, it
 * is scanned as it is forwarded (a refusal then errors the forwarded body
 * before that part is sent), so uploads keep working.
 */
export async function checkFormOverride(
  route: ProxyRoute,
  sent: SentHeaders,
  body: PeekableBody,
  limit: number,
): Promise<void> {
  const field = route.methodOverrideField!;
  const media = rackMediaType(sent.contentType);
  const multipart = media.startsWith("multipart/");
  if (media !== "" && media !== "application/x-www-form-urlencoded" && !multipart) return;
  const refuse = () =>
    proxyErrors.invalidHeader(
      "content-type",
      `${route.provider} reads a "${field}" form field as the method; send the method itself`,
    );
  // Without a boundary Rack reads even a multipart body as an urlencoded form.
  const boundary = multipart ? rackBoundary(sent.contentType!) : null;
  if (boundary === "ambiguous") {
    throw proxyErrors.invalidHeader("content-type", "names its multipart boundary more than once");
  }
  const read = await body.inspect(limit);
  if (read === null) return;
  if (boundary === null) {
    if (read === "too_large") throw refuse();
    const named = formPairs(LATIN1.decode(read)).some(({ name }) => rackParamNamed(name, field));
    if (named) throw refuse();
    return;
  }
  // One parser for both: a body read whole is refused on a part's name alone, one past the
  // limit on what that part's value says, as it is forwarded (so uploads keep working).
  const scan = new MultipartOverrideScan(boundary, field, {
    override: refuse,
    headTooLong: () =>
      proxyErrors.invalidHeader(
        "content-type",
        `a multipart part's headers are longer than ${PART_HEAD_LIMIT} bytes`,
      ),
  }, { refuseNamed: read !== "too_large" });
  if (read === "too_large") return body.scan(scan);
  scan.push(read);
  scan.end();
}

/**
 * The media type as Rack reads it (Rack::MediaType.type splits on `;` or
 * `,`): `application/x-www-form-urlencoded, text/plain` is a form to it.
 */
function rackMediaType(contentType: string | null): string {
  return (contentType ?? "").split(/[;,]/)[0].trim().toLowerCase();
}
