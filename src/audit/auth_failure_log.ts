import { canonicalAddress, parseAddress } from "../config/trusted_proxies.ts";
import type { AuditEvent } from "./audit_types.ts";

/** The address under which failures past `maxAddresses` in one minute are summed. */
export const OTHER_ADDRESSES = "*";

interface Summary {
  minute: number;
  count: number;
  reasons: Record<string, number>;
  from: number;
  to: number;
}

/**
 * Refused unauthenticated requests, summed per client address and minute
 * into one `auth.failed` audit record each, instead of one chained record per
 * request: a flood of bad keys costs a few records, not one per request.
 * At most `maxAddresses` summaries are open; failures from further addresses
 * that minute go into one summary for OTHER_ADDRESSES.
 */
export class AuthFailureLog {
  readonly #open = new Map<string, Summary>();
  readonly #emit: (event: AuditEvent) => void;
  readonly #maxAddresses: number;

  constructor(deps: { emit: (event: AuditEvent) => void; maxAddresses: number }) {
    this.#emit = deps.emit;
    this.#maxAddresses = deps.maxAddresses;
  }

  record(address: string, reason: string, at: number): void {
    const minute = Math.floor(at / 60_000);
    let key = summaryAddress(address);
    let summary = this.#open.get(key);
    if (summary && summary.minute !== minute) {
      this.#write(key, summary);
      summary = undefined;
    }
    if (!summary && this.#open.size >= this.#maxAddresses) {
      this.flush(at);
      if (this.#open.size >= this.#maxAddresses) {
        key = OTHER_ADDRESSES;
        summary = this.#open.get(key);
      }
    }
    if (!summary) {
      summary = { minute, count: 0, reasons: {}, from: at, to: at };
      this.#open.set(key, summary);
    }
    summary.count++;
    summary.reasons[reason] = (summary.reasons[reason] ?? 0) + 1;
    summary.to = Math.max(summary.to, at);
  }

  /** Writes the summaries of minutes that have ended (call it every few seconds). */
  flush(now: number): void {
    const minute = Math.floor(now / 60_000);
    for (const [key, summary] of this.#open) {
      if (summary.minute < minute) this.#write(key, summary);
    }
  }

  /** Writes every open summary, e.g. at shutdown. */
  flushAll(): void {
    for (const [key, summary] of this.#open) this.#write(key, summary);
  }

  get open(): number {
    return this.#open.size;
  }

  #write(key: string, summary: Summary): void {
    this.#open.delete(key);
    this.#emit({
      kind: "auth.failed",
      at: summary.to,
      data: {
        address: key,
        count: summary.count,
        from: new Date(summary.from).toISOString(),
        reasons: summary.reasons,
        to: new Date(summary.to).toISOString(),
      },
    });
  }
}

/**
 * The address a summary is kept and recorded under: canonical (one summary
 * for every spelling of an address; `::ffff:a.b.c.d` is IPv4) and bounded.
 * An IPv6 zone id is dropped: ipaddr.js accepts one of any length, so a
 * forwarded "fe80::1%aaaa…" would otherwise reach the chained log as sent.
 */
export function summaryAddress(address: string): string {
  const parsed = parseAddress(address);
  // Not an address: only the socket peer can be, and then it is "unknown".
  if (!parsed) return address.length <= 64 ? address : "unknown";
  return canonicalAddress(parsed);
}
