import type { HeaderPairs } from "./header_pairs.ts";
import { joinBytes } from "./join_bytes.ts";

/** What takes the place of a `query_param` key the provider echoed in its answer. */
export const REDACTED_MARKER = "[securix:redacted]";

const MARKER_BYTES = new TextEncoder().encode(REDACTED_MARKER);

/**
 * The ways a provider may write back a key it was sent in the query: as it
 * is, as the query carried it (form encoding: space as `+`), percent-encoded
 * (encodeURIComponent, upper- or lower-case hex), and inside a JSON string
 * (escaped, `/` also as `\/`). Longest first, so the longest form at a
 * position is the one replaced. Empty for an empty secret.
 */
export function secretForms(secret: string): string[] {
  if (secret === "") return [];
  const asSent = new URLSearchParams([["k", secret]]).toString().slice(2);
  const encoded = encodeURIComponent(secret);
  const lowerHex = (s: string) => s.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase());
  const json = JSON.stringify(secret).slice(1, -1);
  const forms = new Set([
    secret,
    asSent,
    lowerHex(asSent),
    encoded,
    lowerHex(encoded),
    json,
    json.replaceAll("/", "\\/"),
  ]);
  return [...forms].sort((a, b) => b.length - a.length);
}

/**
 * Replaces every form of one secret (secretForms) with REDACTED_MARKER, in
 * header values, whole bodies or a stream. Built per call, and only for a
 * route whose key rides in the query: every other answer never meets it.
 */
export class SecretScrubber {
  readonly #forms: readonly string[];
  readonly #needles: readonly Uint8Array[];
  /** Distinct first bytes of the needles: where a match can start. */
  readonly #firsts: readonly number[];
  readonly #longest: number;

  constructor(secret: string) {
    this.#forms = secretForms(secret);
    const encoder = new TextEncoder();
    this.#needles = this.#forms.map((form) => encoder.encode(form));
    this.#firsts = [...new Set(this.#needles.map((n) => n[0]))];
    this.#longest = this.#needles[0]?.length ?? 0;
  }

  /** `text` with every form of the secret replaced. */
  text(text: string): string {
    let out = text;
    for (const form of this.#forms) {
      if (out.includes(form)) out = out.replaceAll(form, REDACTED_MARKER);
    }
    return out;
  }

  /** Every header value, in place. */
  pairs(pairs: HeaderPairs): void {
    for (const pair of pairs) pair[1] = this.text(pair[1]);
  }

  /** A whole body; the same array when it holds no form of the secret. */
  bytes(body: Uint8Array): Uint8Array {
    const out: Uint8Array[] = [];
    const state = { found: 0 };
    this.#scan(body, true, out, state);
    return state.found === 0 ? body : joinBytes(out);
  }

  /**
   * A body as it streams: the last longest−1 bytes of each chunk are held
   * back and scanned with the next, so a key split across chunks is still
   * caught; nothing more is ever buffered.
   */
  stream(): TransformStream<Uint8Array, Uint8Array> {
    let carry: Uint8Array = new Uint8Array(0);
    return new TransformStream({
      transform: (chunk, controller) => {
        const buf = carry.length === 0 ? chunk : joinBytes([carry, chunk]);
        const out: Uint8Array[] = [];
        const state = { found: 0 };
        const next = this.#scan(buf, false, out, state);
        carry = buf.slice(next);
        emit(controller, out, state.found);
      },
      flush: (controller) => {
        if (carry.length === 0) return;
        const out: Uint8Array[] = [];
        const state = { found: 0 };
        this.#scan(carry, true, out, state);
        emit(controller, out, state.found);
      },
    });
  }

  /**
   * Pushes `buf` onto `out` with matches replaced, up to the returned index.
   * Not `final`: a match may start only where the longest form still fits,
   * so the rest (under `longest` bytes) is left for the next chunk.
   */
  #scan(buf: Uint8Array, final: boolean, out: Uint8Array[], state: { found: number }): number {
    if (this.#longest === 0) {
      out.push(buf);
      return buf.length;
    }
    const limit = final ? buf.length : buf.length - this.#longest + 1;
    // Next position of each first byte; looked up again only once passed (linear overall).
    const nextOf = this.#firsts.map(() => -2);
    let emitted = 0;
    let i = 0;
    while (i < limit) {
      let at = -1;
      for (let f = 0; f < nextOf.length; f++) {
        if (nextOf[f] !== -1 && nextOf[f] < i) nextOf[f] = buf.indexOf(this.#firsts[f], i);
        if (nextOf[f] !== -1 && (at === -1 || nextOf[f] < at)) at = nextOf[f];
      }
      if (at === -1 || at >= limit) break;
      const length = this.#matchAt(buf, at);
      if (length === 0) {
        i = at + 1;
        continue;
      }
      if (at > emitted) out.push(buf.subarray(emitted, at));
      out.push(MARKER_BYTES);
      state.found++;
      emitted = i = at + length;
    }
    const next = Math.max(i, limit, 0);
    if (next > emitted) out.push(buf.subarray(emitted, next));
    return next;
  }

  /** The length of the longest form at `at`, 0 when none. */
  #matchAt(buf: Uint8Array, at: number): number {
    for (const needle of this.#needles) {
      if (at + needle.length > buf.length) continue;
      let j = 0;
      while (j < needle.length && buf[at + j] === needle[j]) j++;
      if (j === needle.length) return needle.length;
    }
    return 0;
  }
}

/** One chunk per input chunk; a copy when a marker is in it (the marker's bytes are shared). */
function emit(
  controller: TransformStreamDefaultController<Uint8Array>,
  out: Uint8Array[],
  found: number,
): void {
  const chunk = found === 0 && out.length === 1 ? out[0] : joinBytes(out);
  if (chunk.length > 0) controller.enqueue(chunk);
}
