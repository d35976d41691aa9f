interface Entry<T> {
  value: T;
  expiresAt: number;
}

/**
 * A tiny TTL map for the proxy's per-request lookups (API keys, agents,
 * connections). Past `maxEntries` it starts over rather than tracking
 * recency: a flood of distinct keys costs lookups, never unbounded memory.
 */
export class TtlCache<T> {
  readonly #map = new Map<string, Entry<T>>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
    private readonly maxEntries = 50_000,
  ) {}

  /** The live entry (so a cached `null` is told apart from a miss), or undefined. */
  get(key: string): Entry<T> | undefined {
    const hit = this.#map.get(key);
    return hit && hit.expiresAt > this.now() ? hit : undefined;
  }

  set(key: string, value: T): void {
    if (this.#map.size >= this.maxEntries) this.#map.clear();
    this.#map.set(key, { value, expiresAt: this.now() + this.ttlMs });
  }

  delete(key: string): void {
    this.#map.delete(key);
  }

  /** Drops every entry whose value matches, e.g. all cached answers about one app. */
  deleteWhere(matches: (value: T) => boolean): void {
    for (const [key, entry] of this.#map) if (matches(entry.value)) this.#map.delete(key);
  }

  clear(): void {
    this.#map.clear();
  }
}
