/**
 * Passes a body through unchanged while counting its bytes; `limit` turns an
 * oversized stream into an error instead of buffering it.
 */
export function countingStream(
  onDone: (bytes: number, completed: boolean) => void,
  limit = Infinity,
  onLimit?: () => Error,
): TransformStream<Uint8Array, Uint8Array> {
  let bytes = 0;
  let reported = false;
  const report = (completed: boolean) => {
    if (!reported) {
      reported = true;
      onDone(bytes, completed);
    }
  };
  return new TransformStream({
    transform(chunk, controller) {
      bytes += chunk.byteLength;
      if (bytes > limit) {
        report(false);
        controller.error(onLimit?.() ?? new Error("body too large"));
        return;
      }
      controller.enqueue(chunk);
    },
    flush() {
      report(true);
    },
    cancel() {
      report(false);
    },
  });
}
