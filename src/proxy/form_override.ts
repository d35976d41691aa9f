import { formPairs } from "./form_pairs.ts";
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
 * multipart body read whole is refused when a part names the field; one
 * larger than `limit` is scanned as it is forwarded (a refusal then errors
 * the forwarded body before that part is sent), so uploads keep working.
 */
export async function checkFormOverride(
  route: ProxyRoute,
  sent: SentHeaders,
  body: PeekableBody,
  limit: number,
): Promise<void> {
  const field = route.methodOverrideField!;
  const media = (sent.contentType ?? "").split(";")[0].trim().toLowerCase();
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
  const scan = boundary === null ? null : new MultipartOverrideScan(boundary, field, {
    override: refuse,
    headTooLong: () =>
      proxyErrors.invalidHeader(
        "content-type",
        `a multipart part's headers are longer than ${PART_HEAD_LIMIT} bytes`,
      ),
  });
  if (read === "too_large") {
    if (scan === null) throw refuse();
    return body.scan(scan);
  }
  const text = LATIN1.decode(read);
  // Only a part named the field counts: an uploaded file may well contain the word.
  const named = scan
    ? multipartFieldNamed(text, field)
    : formPairs(text).some(({ name }) => paramNamed(name, field));
  if (named) throw refuse();
  if (scan) {
    scan.push(read);
    scan.end();
  }
}

/** Whether a part's Content-Disposition names `field` (or `field[…]`), as Rack reads it. */
function multipartFieldNamed(text: string, field: string): boolean {
  for (const line of text.split("\n")) {
    if (!/^content-disposition\s*:/i.test(line)) continue;
    const name = /;\s*name\s*=\s*(?:"([^"]*)"|([^;\s]*))/i.exec(line);
    const value = name?.[1] ?? name?.[2];
    if (value !== undefined && paramNamed(value, field)) return true;
  }
  return false;
}

/**
 * Whether a parameter name is `field` (or `field[…]`) to Rack: Rack 2, which
 * GitLab runs, drops brackets before the key and after it, so `[_method]`
 * and `_method]` are `_method` too.
 */
function paramNamed(name: string, field: string): boolean {
  return name.trim() === field || /^[[\]]*([^[\]]*)/.exec(name)![1] === field;
}
