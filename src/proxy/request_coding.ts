/**
 * Whether a request body sent with this `Content-Encoding` is the body as
 * the provider will read it: no header, or only `identity` (in any case,
 * also listed: `identity, identity`). Any other coding, alone or in a list
 * (`gzip, identity`), is inflated upstream, if at all, out of our sight.
 */
export function identityCoded(contentEncoding: string | null): boolean {
  if (contentEncoding === null) return true;
  return contentEncoding.split(",").every((coding) => {
    const name = coding.trim().toLowerCase();
    return name === "" || name === "identity";
  });
}
