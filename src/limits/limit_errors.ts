import { SecurixError } from "../errors/securix_error.ts";
import { formatDuration } from "../security/duration.ts";
import type { LimitSpec } from "../rules/rule_set.ts";
import { policyItem, quotaItem } from "./limit_headers.ts";

const PERIOD_WORDS: Record<number, string> = {
  1000: "second",
  60_000: "minute",
  3_600_000: "hour",
  86_400_000: "day",
};

/**
 * A `limit` rule's refusal: 429 SX-RATE-LIMIT with `Retry-After` (seconds,
 * from `details.retryAfter`) and the IETF rate-limit headers
 * (draft-ietf-httpapi-ratelimit-headers: the policy as configured, and this
 * bucket's state: nothing remaining, `t` seconds until a call may pass).
 */
export function rateLimited(
  rule: { name: string; llmError: string | null },
  spec: LimitSpec,
  retryAfterS: number,
): SecurixError {
  const windowS = spec.rate.periodMs / 1000;
  const per = PERIOD_WORDS[spec.rate.periodMs] ?? formatDuration(spec.rate.periodMs);
  const seconds = retryAfterS === 1 ? "1 second" : `${retryAfterS} seconds`;
  return new SecurixError(
    "SX-RATE-LIMIT",
    `Rate limit of rule "${rule.name}" reached (${spec.rate.count} per ${per})`,
    {
      status: 429,
      llmError: rule.llmError ??
        `You have hit the rate limit for this kind of call (${spec.rate.count} per ${per}). Wait ${seconds} before trying again; retrying sooner will be refused too.`,
      details: {
        rule: rule.name,
        limit: spec.rate.count,
        window: windowS,
        retryAfter: retryAfterS,
      },
      headers: [
        ["ratelimit-policy", policyItem(rule.name, spec)],
        ["ratelimit", quotaItem(rule.name, 0, retryAfterS)],
      ],
    },
  );
}
