import { FacadeStoreError, OAuthProxyConfigError } from '../errors.js';
import type { FacadeStore, RecordKind, RecordQuotas } from './FacadeStore.js';

/** The parts of a node-redis v5 client the Redis store uses. */
export interface RedisFacadeClient {
  get(key: string): Promise<string | null>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  configGet(parameter: string): Promise<Record<string, string>>;
}

/**
 * Redis quotas are for a shared store serving every replica: ten times the memory store's defaults
 * for short-lived records, a million sign-ins.
 */
export const DEFAULT_REDIS_QUOTAS: RecordQuotas = {
  client: 100_000,
  metadata: 10_000,
  pending: 100_000,
  trip: 100_000,
  code: 100_000,
  grant: 1_000_000,
  revoked: 1_000_000,
};

// One sorted set per kind indexes its live keys by expiry: a set first drops the expired ones, then
// refuses when the kind is at its quota (nothing is evicted), else stores the record and indexes it.
const SET = `
local now = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if not redis.call('ZSCORE', KEYS[2], KEYS[1]) and redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), KEYS[1])
return 1`;
const TAKE = `
local v = redis.call('GET', KEYS[1])
if v then redis.call('DEL', KEYS[1]) end
redis.call('ZREM', KEYS[2], KEYS[1])
return v`;
const DELETE = `
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], KEYS[1])
return 1`;

/**
 * In Redis, for several replicas: any replica serves any step, and a restart loses nothing. Redis
 * must not evict keys on its own: every façade key has a TTL, so any `volatile-*` or `allkeys-*`
 * policy could drop a user's sign-in under memory pressure. `check()` (run at start-up by the
 * kit) reads `maxmemory-policy` and refuses anything but `noeviction`; where CONFIG is disabled
 * (some managed Redis services) it cannot tell, and says so. With `noeviction` a full Redis refuses
 * writes: the façade answers 503 and keeps every record it has.
 */
export class RedisFacadeStore implements FacadeStore {
  readonly quotas: RecordQuotas;
  readonly #client: RedisFacadeClient;
  readonly #prefix: string;

  constructor(
    client: RedisFacadeClient,
    options: { keyPrefix?: string; quotas?: Partial<Record<RecordKind, number>> } = {},
  ) {
    this.#client = client;
    this.#prefix = options.keyPrefix ?? 'mcp-auth-kit:facade:';
    this.quotas = { ...DEFAULT_REDIS_QUOTAS, ...options.quotas };
    for (const [kind, value] of Object.entries(this.quotas)) {
      if (!Number.isInteger(value) || value < 1) {
        throw new OAuthProxyConfigError(`RedisFacadeStore: quotas.${kind} must be a positive integer`);
      }
    }
  }

  async get(kind: RecordKind, key: string): Promise<string | undefined> {
    return (await this.#run(() => this.#client.get(this.#key(kind, key)))) ?? undefined;
  }

  async set(kind: RecordKind, key: string, value: string, ttlMs: number): Promise<void> {
    const ttl = String(Math.max(1, Math.ceil(ttlMs)));
    const stored = await this.#run(() =>
      this.#client.eval(SET, {
        keys: [this.#key(kind, key), this.#index(kind)],
        arguments: [value, ttl, String(Date.now()), String(this.quotas[kind])],
      }),
    );
    if (Number(stored) !== 1) {
      throw new FacadeStoreError(
        'store_quota_full',
        `the façade's ${kind} records are at their quota (${this.quotas[kind]}); try again later`,
      );
    }
  }

  async take(kind: RecordKind, key: string): Promise<string | undefined> {
    const value = await this.#run(() =>
      this.#client.eval(TAKE, { keys: [this.#key(kind, key), this.#index(kind)], arguments: [] }),
    );
    return typeof value === 'string' ? value : undefined;
  }

  async delete(kind: RecordKind, key: string): Promise<void> {
    await this.#run(() =>
      this.#client.eval(DELETE, { keys: [this.#key(kind, key), this.#index(kind)], arguments: [] }),
    );
  }

  /** Throws `store_misconfigured` unless Redis says its `maxmemory-policy` is `noeviction`; `checked: false` where CONFIG is disabled. */
  async check(): Promise<{ checked: boolean; policy?: string }> {
    let policy: string | undefined;
    try {
      policy = (await this.#client.configGet('maxmemory-policy'))['maxmemory-policy'];
    } catch {
      return { checked: false };
    }
    if (policy === undefined) return { checked: false };
    if (policy !== 'noeviction') {
      throw new FacadeStoreError(
        'store_misconfigured',
        `Redis maxmemory-policy is ${policy}: it may evict users' sign-ins under memory pressure; the façade's store needs noeviction (CONFIG SET maxmemory-policy noeviction)`,
      );
    }
    return { checked: true, policy };
  }

  #key(kind: RecordKind, key: string): string {
    return `${this.#prefix}${kind}:${key}`;
  }

  #index(kind: RecordKind): string {
    return `${this.#prefix}index:${kind}`;
  }

  async #run<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      // the message of a Redis error carries no record (keys are HMACs, values are sealed)
      throw new FacadeStoreError('store_unavailable', 'the façade store (Redis) cannot be used now', {
        cause: error,
      });
    }
  }
}
