import { z } from "zod";
import { parseDuration } from "../security/duration.ts";
import { parseByteSize } from "../security/byte_size.ts";

/**
 * `[security]`: the security engine's settings. Every detector is on by
 * default and tunable as `[security.<detector>]` with `enabled`, `threshold`
 * and `window`, e.g. `[security.mass_delete] threshold = 100, window = "60s"`.
 */

function duration(what: string, minMs: number, maxMs: number) {
  return z.union([z.string(), z.number()]).transform((value, ctx) => {
    const ms = parseDuration(value);
    if (ms === null || ms < minMs || ms > maxMs) {
      ctx.addIssue({
        code: "custom",
        message: `expected ${what} such as "60s", "5m" or "1h" (between ${minMs / 1000}s and ${
          maxMs / 86_400_000
        }d), got ${JSON.stringify(value)}`,
      });
      return z.NEVER;
    }
    return ms;
  });
}

function byteSize() {
  return z.union([z.string(), z.number()]).transform((value, ctx) => {
    const bytes = parseByteSize(value);
    if (bytes === null || bytes < 1) {
      ctx.addIssue({
        code: "custom",
        message: `expected a size such as "1GiB" or "500MB", got ${JSON.stringify(value)}`,
      });
      return z.NEVER;
    }
    return bytes;
  });
}

const count = z.number().int().min(1).max(1_000_000_000);
const DAY = 86_400_000;

function detector<T extends z.ZodType>(
  threshold: T,
  defaults: { threshold: unknown; window: string },
) {
  return z.strictObject({
    enabled: z.boolean().default(true),
    threshold: threshold.prefault(defaults.threshold as never),
    /** Output in ms. */
    window: duration("a window", 1000, 30 * DAY).prefault(defaults.window),
  });
}

export function securitySchema() {
  const security = z.strictObject({
    /** How long an anomaly block lasts, in minutes; 0 = until a person clears it. Default 0. */
    block_minutes: z.number().int().min(0).max(525_600).default(0),
    /** How often each process shares its rate-limit and detector counts through the
     * database, in ms (a limit holds within ~10 % across processes). Default 1000. */
    share_ms: z.number().int().min(100).max(60_000).default(1000),
    /** More than `threshold` delete-class calls in `window` on one connection: further
     * delete-class calls on it are blocked. */
    mass_delete: detector(count, { threshold: 100, window: "60s" }).prefault({}),
    /** More than `threshold` bytes of response bodies in `window` on one connection:
     * further reads on it are blocked. Output threshold in bytes. */
    exfiltration: detector(byteSize(), { threshold: "1GiB", window: "5m" }).prefault({}),
    /** Activity outside the hours a connection was active in over the last `history_days`
     * (silent until it has `min_days` of history): alert only. */
    unusual_hours: z.strictObject({
      enabled: z.boolean().default(true),
      history_days: z.number().int().min(1).max(365).default(14),
      min_days: z.number().int().min(1).max(365).default(7),
    }).prefault({}),
    /** More than `threshold` upstream 4xx answers in `window` for one agent: alert only. */
    burst_errors: detector(count, { threshold: 50, window: "60s" }).prefault({}),
    /** Approvals (`effect = "approve"`): how long a request waits for a decision (and the
     * approve/deny links stay valid), output in ms. Default "1h". */
    approval_ttl: duration("a duration", 60_000, 30 * DAY).prefault("1h"),
  });
  return security;
}

export type SecurityConfig = z.output<ReturnType<typeof securitySchema>>;
