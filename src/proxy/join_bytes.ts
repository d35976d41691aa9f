/**
 * The pieces copied, in order, into one new array: always a copy, so a
 * caller that may hand back its only piece decides that itself. It imports
 * nothing, so the server SDK bundle shares it (through readLimited).
 */
export function joinBytes(pieces: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let size = 0;
  for (const piece of pieces) size += piece.byteLength;
  const whole = new Uint8Array(size);
  let at = 0;
  for (const piece of pieces) {
    whole.set(piece, at);
    at += piece.byteLength;
  }
  return whole;
}
