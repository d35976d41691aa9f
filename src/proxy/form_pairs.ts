/** One `name=value` of an urlencoded form or query string: as sent, and decoded. */
export interface FormPair {
  /** The pair as sent, so a caller can rebuild the text without it. */
  readonly raw: string;
  readonly name: string;
  readonly value: string;
}

/**
 * How names and values are decoded. `rack`: as Rack decodes them (`+` is a
 * space; a part that does not percent-decode is kept as sent). `url`: as the
 * URL Standard's form parser (`URLSearchParams`) and PHP do: every valid
 * `%XX` is decoded and a bad one kept, so one bad escape does not leave the
 * rest of its part encoded; bytes that are not UTF-8 read as U+FFFD.
 */
export type FormDecoding = "rack" | "url";

/**
 * The pairs of an urlencoded form or query string (no leading `?`), names
 * and values decoded as `decoding` says (Rack by default). Split on `&` and
 * `;` by default: Rack before 3 splits on both, so a check must see what
 * either reading sees. Empty parts are skipped.
 */
export function formPairs(
  text: string,
  separator: RegExp | string = /[&;]/,
  decoding: FormDecoding = "rack",
): FormPair[] {
  if (text === "") return [];
  const decode = decoding === "rack" ? rackDecode : urlDecode;
  const out: FormPair[] = [];
  for (const raw of text.split(separator)) {
    if (raw === "") continue;
    const eq = raw.indexOf("=");
    out.push({
      raw,
      name: decode(eq < 0 ? raw : raw.slice(0, eq)),
      value: eq < 0 ? "" : decode(raw.slice(eq + 1)),
    });
  }
  return out;
}

function rackDecode(text: string): string {
  const plain = text.replaceAll("+", " ");
  try {
    return decodeURIComponent(plain);
  } catch {
    return plain;
  }
}

const ESCAPES = /(?:%[0-9A-Fa-f]{2})+/g;
const UTF8 = new TextDecoder("utf-8", { ignoreBOM: true });

function urlDecode(text: string): string {
  const plain = text.replaceAll("+", " ");
  try {
    return decodeURIComponent(plain);
  } catch {
    // A run of escapes is bytes: decoded together, a character split over escapes stays whole.
    return plain.replace(
      ESCAPES,
      (run) => UTF8.decode(Uint8Array.from(run.slice(1).split("%"), (hex) => parseInt(hex, 16))),
    );
  }
}
