/** A byte string to search for, with its Boyer-Moore-Horspool shift table. */
export class Needle {
  readonly bytes: Uint8Array;
  readonly #shift = new Int32Array(256);

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    const n = bytes.byteLength;
    this.#shift.fill(n);
    for (let i = 0; i < n - 1; i++) this.#shift[bytes[i]] = n - 1 - i;
  }

  get length(): number {
    return this.bytes.byteLength;
  }

  /** First occurrence in `hay` at or after `from`, or -1. */
  in(hay: Uint8Array, from: number): number {
    const needle = this.bytes;
    const shift = this.#shift;
    const n = needle.byteLength;
    const last = needle[n - 1];
    for (let end = from + n - 1; end < hay.byteLength; end += shift[hay[end]]) {
      if (hay[end] !== last) continue;
      const start = end - n + 1;
      let i = 0;
      while (i < n - 1 && hay[start + i] === needle[i]) i++;
      if (i === n - 1) return start;
    }
    return -1;
  }
}
