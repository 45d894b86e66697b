import type { AccessToken } from '@azure/core-auth';

/**
 * A bounded in-memory cache of On-Behalf-Of tokens keyed by (hash of the caller's token, scopes,
 * tenant), in front of msal-node: repeated calls for the same caller and resource cost a Map
 * lookup. Concurrent misses for one key share one request.
 */
export class OboTokenCache {
  readonly #entries = new Map<string, AccessToken>();
  readonly #inflight = new Map<string, Promise<AccessToken>>();
  readonly #maxEntries: number;
  readonly #refreshMarginMs: number;

  constructor(maxEntries: number, refreshMarginMs = 5 * 60_000) {
    this.#maxEntries = maxEntries;
    this.#refreshMarginMs = refreshMarginMs;
  }

  get size(): number {
    return this.#entries.size;
  }

  async getOrFetch(key: string, fetch: () => Promise<AccessToken>, nowMs = Date.now()): Promise<AccessToken> {
    const hit = this.#entries.get(key);
    if (hit && hit.expiresOnTimestamp - this.#refreshMarginMs > nowMs) {
      // refresh recency: least recently used entries are evicted first
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit;
    }
    const pending = this.#inflight.get(key);
    if (pending) return pending;
    const request = fetch()
      .then((token) => {
        if (this.#maxEntries > 0) {
          this.#entries.delete(key);
          while (this.#entries.size >= this.#maxEntries)
            this.#entries.delete(this.#entries.keys().next().value!);
          this.#entries.set(key, token);
        }
        return token;
      })
      .finally(() => this.#inflight.delete(key));
    this.#inflight.set(key, request);
    return request;
  }

  clear(): void {
    this.#entries.clear();
  }
}
