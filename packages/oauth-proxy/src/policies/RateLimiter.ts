import { OAuthError } from '../errors.js';

/**
 * A fixed-window limit per key (a client address, say): at most `limit` per `windowMs`. Bounded:
 * at most `maxKeys` keys are tracked; when full, the oldest window is dropped first.
 */
export class RateLimiter {
  readonly #windows = new Map<string, { startMs: number; count: number }>();
  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly maxKeys = 10_000,
  ) {}

  check(key: string, message: string): void {
    const now = Date.now();
    let window = this.#windows.get(key);
    if (!window || now - window.startMs >= this.windowMs) {
      this.#windows.delete(key);
      while (this.#windows.size >= this.maxKeys) this.#windows.delete(this.#windows.keys().next().value!);
      window = { startMs: now, count: 0 };
      this.#windows.set(key, window);
    }
    window.count++;
    if (window.count > this.limit) {
      const retryAfter = Math.max(1, Math.ceil((window.startMs + this.windowMs - now) / 1000));
      throw new OAuthError(429, 'slow_down', `${message}; retry after ${retryAfter} s`, {
        'retry-after': String(retryAfter),
      });
    }
  }
}
