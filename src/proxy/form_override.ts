import { formPairs } from "./form_pairs.ts";
import type { PeekableBody } from "./peekable_body.ts";
import { proxyErrors } from "./proxy_errors.ts";
import type { ProxyRoute } from "./proxy_route.ts";
import type { SentHeaders } from "./sent_headers.ts";

const LATIN1 = new TextDecoder("latin1");

/**
 * A POST whose form body names the method override field (Rails' `_method`)
 * is refused: the provider would act on that method, the rules judged a
 * POST. Rack reads a form from an urlencoded body, a multipart one, or one
 * with no Content-Type; an urlencoded form too large to read is refused, a
 * multipart one is searched as far as it can be read.
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
  const read = await body.inspect(limit);
  if (read === null) return;
  const refuse = () =>
    proxyErrors.invalidHeader(
      "content-type",
      `${route.provider} reads a "${field}" form field as the method; send the method itself`,
    );
  if (read === "too_large") {
    if (multipart) return;
    throw refuse();
  }
  const text = LATIN1.decode(read);
  // Only a part named the field counts: an uploaded file may well contain the word.
  const named = multipart
    ? multipartFieldNamed(text, field)
    : formPairs(text).some(({ name }) => name.trim() === field || name.startsWith(`${field}[`));
  if (named) throw refuse();
}

/** Whether a part's Content-Disposition names `field` (or `field[…]`), as Rack reads it. */
function multipartFieldNamed(text: string, field: string): boolean {
  for (const line of text.split("\n")) {
    if (!/^content-disposition\s*:/i.test(line)) continue;
    const name = /;\s*name\s*=\s*(?:"([^"]*)"|([^;\s]*))/i.exec(line);
    const value = name?.[1] ?? name?.[2];
    if (value !== undefined && (value === field || value.startsWith(`${field}[`))) return true;
  }
  return false;
}
