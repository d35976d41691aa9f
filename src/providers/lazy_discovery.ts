import { SecurixError } from "../errors/securix_error.ts";
import { providerErrors } from "./provider_errors.ts";

export interface BackoffOptions {
  /** Wait after the first failure; doubles per failure. Default 1 s. */
  initialMs?: number;
  /** The longest wait between attempts. Default 5 min. */
  maxMs?: number;
  now?: () => number;
  /** Told about each failure and when the next attempt may run. */
  onFailure?: (error: unknown, retryInMs: number) => void;
  /** Told when discovery succeeds after having failed. */
  onRecovered?: (provider: string) => void;
}

export const DEFAULT_BACKOFF = { initialMs: 1_000, maxMs: 5 * 60_000 } as const;

/**
 * A value that needs the network once (an OIDC issuer's discovery document)
 * and is cached forever after the first success. Until then each use either
 * runs one attempt (shared by concurrent callers) or, inside the backoff
 * window after a failure, fails fast with SX-PROVIDER-UNAVAILABLE, so an issuer
 * that is down costs its users a quick 503 and the issuer one request per
 * window, not one per page view.
 */
export class LazyDiscovery<T> {
  readonly provider: string;
  readonly #attempt: () => Promise<T>;
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #now: () => number;
  readonly #onFailure: (error: unknown, retryInMs: number) => void;
  readonly #onRecovered: (provider: string) => void;
  #value: T | null = null;
  #inFlight: Promise<T> | null = null;
  #failures = 0;
  #retryAt = 0;
  #lastError: unknown = null;

  constructor(provider: string, attempt: () => Promise<T>, options: BackoffOptions = {}) {
    this.provider = provider;
    this.#attempt = attempt;
    this.#initialMs = options.initialMs ?? DEFAULT_BACKOFF.initialMs;
    this.#maxMs = options.maxMs ?? DEFAULT_BACKOFF.maxMs;
    this.#now = options.now ?? Date.now;
    this.#onFailure = options.onFailure ?? (() => {});
    this.#onRecovered = options.onRecovered ?? (() => {});
  }

  /** The value when discovery has succeeded, else null (never waits). */
  peek(): T | null {
    return this.#value;
  }

  /** The value, discovering it first if the backoff allows; SX-PROVIDER-UNAVAILABLE otherwise. */
  get(): Promise<T> {
    if (this.#value !== null) return Promise.resolve(this.#value);
    if (this.#inFlight) return this.#inFlight;
    const now = this.#now();
    if (this.#failures > 0 && now < this.#retryAt) {
      return Promise.reject(this.#unavailable(this.#retryAt - now));
    }
    this.#inFlight = this.#run().finally(() => this.#inFlight = null);
    return this.#inFlight;
  }

  /** One attempt if none is due to wait; never throws (the appliance starts regardless). */
  async warm(): Promise<void> {
    await this.get().catch(() => {});
  }

  async #run(): Promise<T> {
    try {
      const value = await this.#attempt();
      this.#value = value;
      if (this.#failures > 0) this.#onRecovered(this.provider);
      this.#failures = 0;
      this.#lastError = null;
      return value;
    } catch (error) {
      const wait = Math.min(this.#maxMs, this.#initialMs * 2 ** Math.min(this.#failures, 30));
      this.#failures++;
      this.#retryAt = this.#now() + wait;
      this.#lastError = error;
      this.#onFailure(error, wait);
      throw this.#unavailable(wait);
    }
  }

  #unavailable(retryInMs: number): SecurixError {
    const why = this.#lastError instanceof Error ? this.#lastError.message : "not reachable";
    return providerErrors.unavailable(this.provider, why, Math.ceil(retryInMs / 1000));
  }
}
