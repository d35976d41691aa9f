import { rackParamNamed } from "./rack_param_name.ts";

const LATIN1 = new TextDecoder("latin1");

/** Charsets in which a value reads as the scan reads it (UTF-8; ASCII is a subset). */
const OWN_CHARSETS = new Set(["utf-8", "us-ascii"]);

/** What a multipart part's header block (every line of it, as latin1) says about the field. */
export interface PartHead {
  /** The field is mentioned anywhere, in any spelling Rack might decode. */
  mentions: boolean;
  /** A `name` parameter (on any line: Rack 2's pattern is unanchored) or Content-ID names it. */
  names: boolean;
  /** A charset other than UTF-8 or US-ASCII is declared: Rack tags the value with it. */
  foreignCharset: boolean;
}

export function readPartHead(head: Uint8Array, field: string): PartHead {
  const text = LATIN1.decode(head).toLowerCase();
  const unquoted = text.replace(/\\(.)/gs, "$1");
  const mentions = [text, unquoted, percentDecoded(text), percentDecoded(unquoted)]
    .some((spelling) => spelling.includes(field));
  if (!mentions) return { mentions, names: false, foreignCharset: false };
  return { mentions, names: namesField(text, field), foreignCharset: foreignCharset(text) };
}

/** Every value a `name`/`name*` parameter or a Content-ID gives, as sent, unquoted and decoded. */
function namesField(text: string, field: string): boolean {
  const values = [
    ...text.matchAll(/;\s*name\*?\s*=\s*("(?:\\.|[^"\\])*"?|[^;\r\n]*)/g),
    ...text.matchAll(/content-id\s*:\s*([^\r\n]*)/g),
  ].map((match) => match[1]);
  return values.some((value) => {
    const unquoted = value.replace(/^"|"$/g, "").replace(/\\(.)/gs, "$1");
    // RFC 2231 `name*=utf-8''%5Fmethod`: the value after the charset and language.
    const extended = percentDecoded(unquoted.slice(unquoted.lastIndexOf("'") + 1));
    return [value, unquoted, percentDecoded(unquoted), extended]
      .some((name) => rackParamNamed(name, field));
  });
}

function foreignCharset(text: string): boolean {
  return [...text.matchAll(/charset\s*=\s*"?([^"\s;,]*)/g)]
    .some((match) => !OWN_CHARSETS.has(match[1]));
}

function percentDecoded(text: string): string {
  return text.replace(
    /%([0-9a-f]{2})/g,
    (_, hex: string) => String.fromCharCode(parseInt(hex, 16)),
  );
}
