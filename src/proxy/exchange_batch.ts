import { type BatchCalls, countBatch, isCountedBatch } from "../providers/batch_calls.ts";
import type { Exchange } from "./exchange.ts";
import type { BodyReader } from "./proxy_filter.ts";

/**
 * The calls a batch call (Google `/batch`, Graph `$batch`, Gmail
 * `messages.batchDelete`) carries, read from its body once per call and kept
 * on the Exchange: null for a batch whose calls cannot be counted (a body over
 * `max` bytes, or not a batch the provider would read as one). Undefined, at
 * once, for any other call, so a filter keeps it synchronous.
 */
export function exchangeBatch(
  ex: Exchange,
  readBody: BodyReader,
  max: number,
): Promise<BatchCalls | null> | undefined {
  if (!isCountedBatch(ex.operation.id)) return undefined;
  if (ex.batch !== undefined) return Promise.resolve(ex.batch);
  return readBody(max).then((body) =>
    ex.batch = body === "too_large" ? null : countBatch(
      ex.operation.id,
      ex.path,
      body,
      ex.requestHeaders.get("content-type"),
      ex.route.operations,
    )
  );
}
