/** Options of {@link RecentIds}. */
export interface RecentIdsOptions {
  /** How long a key counts as recent, in milliseconds; 0 disables the cache. */
  ttlMs: number;
  /** Bound on the number of keys kept; the oldest is evicted first. Default 10 000. */
  maxEntries?: number;
  /** Clock, epoch milliseconds; tests pass a fake one. */
  now?: () => number;
}

/**
 * Keys published recently by this Lambda container, so a redelivered batch does not page twice.
 * In memory only (a cold start forgets), bounded, with a fixed time to live. Subscribers still
 * see duplicates across containers; the signal id is what lets them deduplicate.
 */
export class RecentIds {
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  /** key -> expiry. Insertion order is expiry order because the TTL is fixed and `add` re-inserts. */
  readonly #expiries = new Map<string, number>();

  constructor(options: RecentIdsOptions) {
    const { ttlMs, maxEntries = 10_000, now = Date.now } = options;
    if (!Number.isFinite(ttlMs) || ttlMs < 0)
      throw new RangeError(`ttlMs must be a finite number >= 0: ${ttlMs}`);
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`maxEntries must be a whole number >= 1: ${maxEntries}`);
    }
    this.#ttlMs = ttlMs;
    this.#maxEntries = maxEntries;
    this.#now = now;
  }

  /** True when `key` was added less than `ttlMs` ago (always false when disabled). */
  has(key: string): boolean {
    const expiry = this.#expiries.get(key);
    if (expiry === undefined) return false;
    if (expiry > this.#now()) return true;
    this.#expiries.delete(key);
    return false;
  }

  /** Records `key` as published now; a no-op when disabled. */
  add(key: string): void {
    if (this.#ttlMs === 0) return;
    const now = this.#now();
    this.#expiries.delete(key);
    this.#expiries.set(key, now + this.#ttlMs);
    this.#purge(now);
    while (this.#expiries.size > this.#maxEntries) {
      const oldest = this.#expiries.keys().next();
      if (oldest.done) break;
      this.#expiries.delete(oldest.value);
    }
  }

  /** Number of keys still recent. */
  get size(): number {
    this.#purge(this.#now());
    return this.#expiries.size;
  }

  #purge(now: number): void {
    for (const [key, expiry] of this.#expiries) {
      if (expiry > now) break;
      this.#expiries.delete(key);
    }
  }
}
