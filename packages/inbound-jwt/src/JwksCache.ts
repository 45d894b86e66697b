import { createPublicKey, type KeyObject } from 'node:crypto';
import { InboundAuthError } from './errors.js';

export interface JwksCacheOptions {
  /** The OIDC discovery document whose `jwks_uri` lists the signing keys. */
  readonly discoveryUrl: string;
  readonly fetch?: typeof globalThis.fetch;
  /** Per-request timeout; default 5000. */
  readonly timeoutMs?: number;
  /** Least time between two refetches caused by an unknown `kid`; default 30 000. */
  readonly cooldownMs?: number;
  /** Keys older than this are refreshed before use; default 10 minutes. */
  readonly maxAgeMs?: number;
  /** How long the last keys fetched keep validating while the provider is unreachable; default 1 hour. */
  readonly lastKnownGoodMs?: number;
  readonly now?: () => number;
  /**
   * Called when fetching the keys starts failing (once per outage, not once per request), with a
   * message that names the URL and the cause (e.g. a refused connection or an untrusted TLS
   * certificate) and no token. Wire it to your logger: the 503 a caller gets says less.
   */
  readonly onRefreshError?: (message: string) => void;
  /** Called when the keys can be fetched again after `onRefreshError`. */
  readonly onRefreshRecovered?: (message: string) => void;
}

const RETRY_AFTER_SECONDS = 5;
/**
 * While fetching fails, attempts draw on a bucket of this many, refilled one per second: a flood of
 * requests during an outage (or with the provider misconfigured) makes at most about one fetch a
 * second, not one per request, and a recovery is still seen within a second or two.
 */
const FAILING_ATTEMPTS_BURST = 10;
const FAILING_ATTEMPT_REFILL_MS = 1000;

/**
 * Signing keys from an OIDC provider: one fetch shared by concurrent callers, an unknown `kid`
 * refetches at most once per cooldown, and the last good keys outlive a provider outage for a
 * bounded window (unlike jose's remote key set, which throws as soon as a refetch fails).
 */
export class JwksCache {
  readonly #options: Required<Omit<JwksCacheOptions, 'onRefreshError' | 'onRefreshRecovered'>> &
    Pick<JwksCacheOptions, 'onRefreshError' | 'onRefreshRecovered'>;
  #failing = false;
  #keys = new Map<string, KeyObject>();
  #fetchedAtMs = Number.NEGATIVE_INFINITY;
  #lastAttemptMs = Number.NEGATIVE_INFINITY;
  #jwksUri: string | undefined;
  #inflight: Promise<void> | undefined;
  #failingAttempts = FAILING_ATTEMPTS_BURST;
  #failingRefilledAtMs = 0;
  /** How many times the key set was fetched (for tests and benchmarks). */
  fetchCount = 0;

  constructor(options: JwksCacheOptions) {
    this.#options = {
      fetch: globalThis.fetch.bind(globalThis),
      timeoutMs: 5000,
      cooldownMs: 30_000,
      maxAgeMs: 10 * 60_000,
      lastKnownGoodMs: 60 * 60_000,
      now: Date.now,
      ...options,
    };
  }

  /** The key for `kid`; throws `invalid_token` for a key the provider does not publish, `provider_unavailable` when it cannot be asked. */
  async getKey(kid: string): Promise<KeyObject> {
    const now = this.#options.now();
    if (now - this.#fetchedAtMs > this.#options.maxAgeMs) {
      await this.#refreshTolerant(now);
    }
    let key = this.#keys.get(kid);
    if (key) return key;
    if (now - this.#lastAttemptMs >= this.#options.cooldownMs) {
      await this.#refreshTolerant(now);
      key = this.#keys.get(kid);
      if (key) return key;
    }
    throw new InboundAuthError(
      'invalid_token',
      'the token is signed with a key the identity provider does not publish',
      { reason: 'unknown_key' },
    );
  }

  /** Refreshes; on failure keeps the old keys while they are within the last-known-good window. */
  async #refreshTolerant(now: number): Promise<void> {
    try {
      if (!this.#mayAttempt(now)) throw new Error('fetching is paused after repeated failures');
      await this.refresh();
    } catch (error) {
      const age = now - this.#fetchedAtMs;
      if (this.#keys.size > 0 && age <= this.#options.maxAgeMs + this.#options.lastKnownGoodMs) return;
      throw new InboundAuthError(
        'provider_unavailable',
        'the identity provider cannot be reached to fetch signing keys',
        {
          retryAfterSeconds: RETRY_AFTER_SECONDS,
          cause: error,
        },
      );
    }
  }

  /**
   * Whether tokens can be validated now: keys fetched within `maxAgeMs`, or fetched again now, or
   * still within the last-known-good window. Otherwise the reason (the URL and the cause: DNS,
   * refused, TLS trust, HTTP status), never a token.
   */
  async status(): Promise<{ ok: true } | { ok: false; reason: string }> {
    const now = this.#options.now();
    if (this.#keys.size > 0 && now - this.#fetchedAtMs <= this.#options.maxAgeMs) return { ok: true };
    try {
      if (!this.#mayAttempt(now)) throw new Error('fetching is paused after repeated failures');
      await this.refresh();
      return { ok: true };
    } catch (error) {
      const age = now - this.#fetchedAtMs;
      if (this.#keys.size > 0 && age <= this.#options.maxAgeMs + this.#options.lastKnownGoodMs)
        return { ok: true };
      return {
        ok: false,
        reason: `signing keys could not be fetched from ${this.#where()}: ${describeFetchError(error)}`,
      };
    }
  }

  /** Whether a fetch may start now: always while fetching works; while it fails, as the bucket allows. */
  #mayAttempt(now: number): boolean {
    if (!this.#failing || this.#inflight) return true;
    const refill = Math.floor((now - this.#failingRefilledAtMs) / FAILING_ATTEMPT_REFILL_MS);
    if (refill > 0) {
      this.#failingAttempts = Math.min(FAILING_ATTEMPTS_BURST, this.#failingAttempts + refill);
      this.#failingRefilledAtMs += refill * FAILING_ATTEMPT_REFILL_MS;
    }
    if (this.#failingAttempts === 0) return false;
    this.#failingAttempts--;
    return true;
  }

  /** Fetches the key set now; concurrent callers share one request. */
  refresh(): Promise<void> {
    this.#inflight ??= this.#fetchKeys().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #fetchKeys(): Promise<void> {
    this.#lastAttemptMs = this.#options.now();
    try {
      this.#jwksUri ??= await this.#discoverJwksUri();
      const body = await this.#getJson(this.#jwksUri);
      const keys = (body as { keys?: unknown }).keys;
      if (!Array.isArray(keys)) throw new Error('JWKS has no keys array');
      const next = new Map<string, KeyObject>();
      for (const jwk of keys as Array<Record<string, unknown>>) {
        if (typeof jwk.kid !== 'string' || jwk.use === 'enc') continue;
        if (jwk.kty !== 'RSA' && jwk.kty !== 'EC') continue;
        try {
          next.set(jwk.kid, createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' }));
        } catch {
          // an unusable key is skipped, the others still count
        }
      }
      if (next.size === 0) throw new Error('JWKS has no usable signing keys');
      this.fetchCount++;
      this.#keys = next;
      this.#fetchedAtMs = this.#options.now();
      if (this.#failing) {
        this.#failing = false;
        this.#options.onRefreshRecovered?.(`signing keys fetched again from ${this.#where()}`);
      }
    } catch (error) {
      const where = this.#where();
      this.#jwksUri = undefined;
      if (!this.#failing) {
        this.#failing = true;
        this.#failingAttempts = FAILING_ATTEMPTS_BURST;
        this.#failingRefilledAtMs = this.#options.now();
        this.#options.onRefreshError?.(
          `signing keys could not be fetched from ${where}: ${describeFetchError(error)}; requests that need them are answered 503 until they can`,
        );
      }
      throw error;
    }
  }

  /** The URL being fetched, without query string (the discovery URL until the key set URL is known). */
  #where(): string {
    const url = new URL(this.#jwksUri ?? this.#options.discoveryUrl);
    return `${url.origin}${url.pathname}`;
  }

  async #discoverJwksUri(): Promise<string> {
    const doc = (await this.#getJson(this.#options.discoveryUrl)) as { jwks_uri?: unknown };
    if (typeof doc.jwks_uri !== 'string') throw new Error('discovery document has no jwks_uri');
    return doc.jwks_uri;
  }

  async #getJson(url: string): Promise<unknown> {
    const get = () =>
      this.#options.fetch(url, {
        signal: AbortSignal.timeout(this.#options.timeoutMs),
        headers: { accept: 'application/json' },
      });
    let response: Response;
    try {
      response = await get();
    } catch {
      // One retry for a connection-level failure (a reused keep-alive socket the server had just
      // closed); an HTTP error status is not retried.
      response = await get();
    }
    if (!response.ok) throw new Error(`${new URL(url).pathname} answered HTTP ${response.status}`);
    return response.json();
  }
}

/** A short cause: fetch's own "fetch failed" hides the reason in `cause` (e.g. ECONNREFUSED, an untrusted certificate). */
function describeFetchError(error: unknown): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return 'no answer within the timeout';
  const cause = e?.cause;
  const detail = cause ? [cause.code, cause.message].filter(Boolean).join(': ') : '';
  const text = detail ? `${e?.message ?? 'error'} (${detail})` : (e?.message ?? String(error));
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
