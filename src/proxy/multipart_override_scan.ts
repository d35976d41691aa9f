import type { SecurixError } from "../errors/securix_error.ts";
import { Needle } from "./byte_needle.ts";
import { readPartHead } from "./multipart_part_head.ts";

/** Rack::MethodOverride::HTTP_METHODS: a `_method` naming anything else leaves the POST a POST. */
const RACK_METHODS = new Set([
  "GET",
  "HEAD",
  "PUT",
  "POST",
  "DELETE",
  "OPTIONS",
  "PATCH",
  "LINK",
  "UNLINK",
]);

/** Rack refuses a part whose headers run past 64 KiB (MIME_HEADER_BYTESIZE_LIMIT). */
export const PART_HEAD_LIMIT = 64 * 1024;

/**
 * A longer value cannot upcase to a method name: at most 7 characters,
 * at most 4 bytes each, and upcasing never merges characters.
 */
const VALUE_LIMIT = 64;

const EMPTY = new Uint8Array(0);
const LINE_END = new Needle(new Uint8Array([0x0a]));
const BLANK_LINE = new Needle(new Uint8Array([0x0d, 0x0a, 0x0d, 0x0a]));
/** Rack tags a value UTF-8 unless its part names a charset: every reading that could spell a method. */
const VALUE_READINGS = ["utf-8", "latin1", "utf-16le", "utf-16be"].map((label) =>
  new TextDecoder(label)
);

export interface OverrideRefusals {
  /** A part names the field with a value Rails would take as another method. */
  override(): SecurixError;
  /** A part's headers run past PART_HEAD_LIMIT: what they name cannot be known. */
  headTooLong(): SecurixError;
}

type State = "search" | "line" | "head" | "value";

export interface ScanOptions {
  /**
   * Refuse a part whose `name` or Content-ID names the field whatever its
   * value: for a body read whole, where nothing is held back for it.
   */
  refuseNamed?: boolean;
}

/**
 * Reads a multipart body as it goes by for a part naming the method
 * override field, holding back only what is not yet judged: a delimiter's
 * start at a chunk's end, or a part from its delimiter until its headers
 * (and, for a part naming the field, its first bytes) are read. Memory is
 * bounded by PART_HEAD_LIMIT whatever the body's size.
 *
 * Judged as widely as any Rack reads it: every `--boundary` starts a part
 * (Rack 2 ends a value at one even mid-line) whose header block runs to the
 * first blank line after its line, so a line that only starts like one
 * (`--boundaryx`, which Rack skips) cannot hide the next; a part names the
 * field when its header block mentions it anywhere (Content-Disposition's
 * last `name`, Content-ID, a filename, quoted or percent-encoded), and its
 * value counts when, upcased as Rack::MethodOverride does, it is a method
 * other than POST, or when it is short enough to be one (64 bytes) in a
 * charset the part declares other than UTF-8 or US-ASCII. `push` and `end`
 * throw the refusal instead of letting that part by.
 */
export class MultipartOverrideScan {
  readonly #delimiter: Needle;
  readonly #field: string;
  readonly #refusals: OverrideRefusals;
  readonly #refuseNamed: boolean;
  #state: State = "search";
  /** Held back: a delimiter's start, or the part being judged from its delimiter on. */
  #held: Uint8Array = EMPTY;
  /** Where #held grows (see #append). */
  #store: Uint8Array = EMPTY;
  /** Where in #held the part's header block starts, and where its value does. */
  #headStart = 0;
  #valueStart = 0;
  /** The part being judged declares a charset the value's readings do not cover. */
  #foreignCharset = false;

  constructor(
    boundary: string,
    field: string,
    refusals: OverrideRefusals,
    options: ScanOptions = {},
  ) {
    this.#delimiter = new Needle(Uint8Array.from(`--${boundary}`, (c) => c.charCodeAt(0) & 0xff));
    this.#field = field.toLowerCase();
    this.#refusals = refusals;
    this.#refuseNamed = options.refuseNamed ?? false;
  }

  /** Bytes held back right now. */
  get holding(): number {
    return this.#held.byteLength;
  }

  /** What of the body so far may go on now; throws the refusal for an override. */
  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    this.#run(chunk, out);
    return out;
  }

  /** The rest, once the body ended: a value cut short by the end is judged as it stands. */
  end(): Uint8Array[] {
    const held = this.#held;
    if (this.#state === "value") this.#judgeValue(held.subarray(this.#valueStart));
    this.#held = EMPTY;
    this.#state = "search";
    return held.byteLength > 0 ? [held] : [];
  }

  #run(chunk: Uint8Array, out: Uint8Array[]): void {
    let pos = 0;
    while (pos < chunk.byteLength) {
      pos = this.#state === "search" ? this.#search(chunk, pos, out) : this.#hold(chunk, pos, out);
    }
  }

  /** Passes bytes on up to the next delimiter, which starts a part to hold. */
  #search(chunk: Uint8Array, pos: number, out: Uint8Array[]): number {
    let hay = chunk;
    let from = pos;
    if (this.#held.byteLength > 0) {
      // A delimiter's start ended the last chunk (rare: a copy is fine).
      hay = concat(this.#held, chunk.subarray(pos));
      from = 0;
      this.#held = EMPTY;
    }
    const d = this.#delimiter;
    const at = d.in(hay, from);
    if (at < 0) {
      const keep = partialTail(hay, from, d.bytes);
      if (keep > from) out.push(hay.subarray(from, keep));
      if (keep < hay.byteLength) this.#held = hay.slice(keep);
      return chunk.byteLength;
    }
    if (at > from) out.push(hay.subarray(from, at));
    this.#held = hay.slice(at, at + d.length);
    this.#state = "line";
    // hay ends where chunk ends.
    return chunk.byteLength - (hay.byteLength - at - d.length);
  }

  /** Holds the part until the end of its delimiter line, its header block, or its value. */
  #hold(chunk: Uint8Array, pos: number, out: Uint8Array[]): number {
    const state = this.#state;
    const needle = state === "line" ? LINE_END : state === "head" ? BLANK_LINE : this.#delimiter;
    const since = state === "head" ? this.#headStart : state === "value" ? this.#valueStart : 0;
    // Rack skips a line that only starts with the delimiter (`--Bx`) and takes the next `--B`
    // as the one: another delimiter before the blank line starts a header block of its own.
    const next = state === "head" ? endAcross(this.#held, since, chunk, pos, this.#delimiter) : -1;
    // The blank line is looked for only up to that delimiter: each byte is searched once.
    const upTo = next >= 0 ? chunk.subarray(0, next) : chunk;
    let end = endAcross(this.#held, since, upTo, pos, needle);
    const another = next >= 0 && end < 0;
    if (another) end = next;
    const limit = state === "value"
      ? this.#valueStart + VALUE_LIMIT + 2 + this.#delimiter.length
      : this.#delimiter.length + PART_HEAD_LIMIT;
    const stop = end < 0 ? chunk.byteLength : end;
    if (this.#held.byteLength + stop - pos > limit) {
      if (state !== "value") throw this.#refusals.headTooLong();
      return this.#releaseLongValue(chunk, pos, limit, out);
    }
    this.#append(chunk.subarray(pos, stop));
    // All since the first delimiter stays held: its header block runs to the same blank line.
    if (another) this.#state = "line";
    else if (end >= 0) this.#reached(out);
    return stop;
  }

  /**
   * Adds to the held bytes in place, doubling the room: a header block with
   * a delimiter on every line grows by one line at a time. Held bytes handed
   * on are never written again (held is then replaced, not appended to).
   */
  #append(bytes: Uint8Array): void {
    const held = this.#held;
    const size = held.byteLength + bytes.byteLength;
    let store = this.#store;
    if (held.buffer !== store.buffer || size > store.byteLength) {
      store = new Uint8Array(Math.max(size, 2 * held.byteLength, 256));
      store.set(held);
      this.#store = store;
    }
    store.set(bytes, held.byteLength);
    this.#held = store.subarray(0, size);
  }

  #reached(out: Uint8Array[]): void {
    const held = this.#held;
    if (this.#state === "line") {
      // Rack reads the header block from the line after the delimiter's.
      this.#state = "head";
      this.#headStart = held.byteLength;
    } else if (this.#state === "head") {
      const head = readPartHead(held.subarray(this.#delimiter.length), this.#field);
      if (head.mentions) {
        if (this.#refuseNamed && head.names) throw this.#refusals.override();
        this.#foreignCharset = head.foreignCharset;
        this.#state = "value";
        this.#valueStart = held.byteLength;
      } else this.#release(held, out);
    } else {
      const next = held.byteLength - this.#delimiter.length;
      this.#judgeValue(held.subarray(this.#valueStart, next));
      out.push(held.subarray(0, next));
      this.#state = "search";
      this.#held = EMPTY;
      // The delimiter that ended the value starts the next part.
      this.#run(held.subarray(next), out);
    }
  }

  #release(held: Uint8Array, out: Uint8Array[]): void {
    out.push(held);
    this.#held = EMPTY;
    this.#state = "search";
  }

  /** A value past VALUE_LIMIT is no method: let it by, searching its tail for a delimiter again. */
  #releaseLongValue(chunk: Uint8Array, pos: number, limit: number, out: Uint8Array[]): number {
    const taken = limit - this.#held.byteLength;
    const held = concat(this.#held, chunk.subarray(pos, pos + taken));
    const tail = held.byteLength - (this.#delimiter.length - 1);
    this.#release(held.subarray(0, tail), out);
    this.#run(held.subarray(tail), out);
    return pos + taken;
  }

  #judgeValue(value: Uint8Array): void {
    const readings = valueReadings(value);
    // Rack upcases the value in the part's charset (`opt\xFDons` in iso-8859-9 is OPTIONS):
    // a value short enough to be a method, in a charset not read here, is refused.
    if (this.#foreignCharset && readings.length > 0) throw this.#refusals.override();
    for (const candidate of readings) {
      const method = candidate.toUpperCase();
      // Rack overrides only a POST, which is what the rules judged.
      if (method !== "POST" && RACK_METHODS.has(method)) throw this.#refusals.override();
    }
  }
}

/**
 * The boundary Rack parses a multipart body with (Rack::Multipart's
 * MULTIPART pattern takes the last `boundary=`): null when it finds none
 * (Rack then reads the body as an urlencoded form), "ambiguous" when the
 * type names more than one (other parsers would take the first).
 */
export function rackBoundary(contentType: string): string | "ambiguous" | null {
  const named = contentType.match(/boundary=/gi)?.length ?? 0;
  if (named > 1) return "ambiguous";
  return /boundary="?([^";,]+)/i.exec(contentType)?.[1] ?? null;
}

/** The value as sent and without the line end before the delimiter, in each encoding. */
function valueReadings(value: Uint8Array): string[] {
  const forms = [value];
  const n = value.byteLength;
  if (n >= 2 && value[n - 2] === 0x0d && value[n - 1] === 0x0a) {
    forms.push(value.subarray(0, n - 2));
  } else if (n >= 1 && value[n - 1] === 0x0a) forms.push(value.subarray(0, n - 1));
  return forms.filter((form) => form.byteLength <= VALUE_LIMIT)
    .flatMap((form) => VALUE_READINGS.map((reading) => reading.decode(form)));
}

/**
 * Where `needle` ends in `chunk`, searched from `pos` with the held bytes
 * since `since` in front of it (a needle across two chunks); -1 if not yet.
 */
function endAcross(
  held: Uint8Array,
  since: number,
  chunk: Uint8Array,
  pos: number,
  needle: Needle,
): number {
  const n = needle.length;
  const tail = held.subarray(Math.max(since, held.byteLength - (n - 1)));
  if (tail.byteLength > 0) {
    const at = needle.in(concat(tail, chunk.subarray(pos, pos + n - 1)), 0);
    if (at >= 0) return pos + at + n - tail.byteLength;
  }
  const at = needle.in(chunk, pos);
  return at < 0 ? -1 : at + n;
}

/** Where a tail of `hay` that could begin `needle` starts (hay's length when none does). */
function partialTail(hay: Uint8Array, from: number, needle: Uint8Array): number {
  for (let t = Math.max(from, hay.byteLength - needle.byteLength + 1); t < hay.byteLength; t++) {
    let i = 0;
    while (t + i < hay.byteLength && hay[t + i] === needle[i]) i++;
    if (t + i === hay.byteLength) return t;
  }
  return hay.byteLength;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.byteLength === 0) return b.slice();
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
}
