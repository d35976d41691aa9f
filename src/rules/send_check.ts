import { checkSendConditions } from "./evaluate.ts";
import type { CompiledRule } from "./rule_set.ts";
import type { OutgoingSend } from "./send/outgoing_send.ts";

/**
 * Whether a conditional deny refuses this send. The parser says `text: null`
 * when the outgoing text is not in the call (a draft sent by id): a
 * `body_contains` condition then cannot be cleared, so it denies.
 */
export function applies(rule: CompiledRule, send: OutgoingSend): boolean {
  if (send.text === null && rule.send?.bodyContains) return true;
  return checkSendConditions(rule, { recipients: send.recipients, text: send.text ?? "" });
}
