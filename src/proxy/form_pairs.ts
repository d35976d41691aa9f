/** One `name=value` of an urlencoded form or query string: as sent, and decoded. */
export interface FormPair {
  /** The pair as sent, so a caller can rebuild the text without it. */
  readonly raw: string;
  readonly name: string;
  readonly value: string;
}

/**
 * The pairs of an urlencoded form or query string (no leading `?`), names and
 * values decoded as Rack decodes them (`+` is a space; a part that does not
 * percent-decode is kept as sent). Split on `&` and `;` by default: Rack
 * before 3 splits on both, so a check must see what either reading sees.
 * Empty parts are skipped.
 */
export function formPairs(text: string, separator: RegExp | string = /[&;]/): FormPair[] {
  if (text === "") return [];
  const out: FormPair[] = [];
  for (const raw of text.split(separator)) {
    if (raw === "") continue;
    const eq = raw.indexOf("=");
    out.push({
      raw,
      name: formDecode(eq < 0 ? raw : raw.slice(0, eq)),
      value: eq < 0 ? "" : formDecode(raw.slice(eq + 1)),
    });
  }
  return out;
}

function formDecode(text: string): string {
  const plain = text.replaceAll("+", " ");
  try {
    return decodeURIComponent(plain);
  } catch {
    return plain;
  }
}
