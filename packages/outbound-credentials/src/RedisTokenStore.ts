import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import type { AccessToken } from '@azure/core-auth';
import type { Logger } from '@mcp-auth-kit/auth-core';
import { consoleWarnLogger } from './logger.js';

/** A token cache shared by replicas, partitioned per caller. Failures never reach the caller: a miss is returned instead. */
export interface DistributedTokenStore {
  get(partition: string, key: string): Promise<AccessToken | undefined>;
  set(partition: string, key: string, token: AccessToken): Promise<void>;
  close(): Promise<void>;
}

/** The few commands the store needs; `redis` (node-redis) clients fit, and so can a test double. */
export interface RedisLikeClient {
  readonly isReady: boolean;
  connect(): Promise<unknown>;
  get(key: string): Promise<string | null>;
  set(key: string, value: string, options: { PX: number }): Promise<unknown>;
  on(event: 'error' | 'ready', listener: (...args: unknown[]) => void): unknown;
  destroy?(): unknown;
  quit?(): Promise<unknown>;
}

export interface RedisTokenStoreOptions {
  /** `redis://` or `rediss://`. */
  readonly url: string;
  /** 32 bytes: tokens are encrypted (AES-256-GCM) and key names derived (HMAC) from it. */
  readonly encryptionKey: Buffer;
  readonly keyPrefix?: string;
  readonly logger?: Logger;
  /** Longest a Redis command may take before the cache is skipped for that call; default 250. */
  readonly operationTimeoutMs?: number;
  /** Builds the client (default: node-redis `createClient`, loaded on first use). */
  readonly createClient?: (url: string) => RedisLikeClient | Promise<RedisLikeClient>;
}

/** Tokens this close to expiry are neither stored nor served. */
const REFRESH_MARGIN_MS = 5 * 60_000;

/**
 * On-Behalf-Of tokens in Redis for several replicas: each entry is AES-256-GCM encrypted with a
 * key from configuration (bound to its Redis key, so entries cannot be swapped between callers),
 * key names are HMACs (no user id or token appears in Redis), entries expire with the token.
 * When Redis is unreachable the store answers "miss", logs once, and recovers by itself.
 */
export class RedisTokenStore implements DistributedTokenStore {
  readonly #url: string;
  readonly #aesKey: Buffer;
  readonly #nameKey: Buffer;
  readonly #prefix: string;
  readonly #logger: Logger;
  readonly #timeoutMs: number;
  readonly #createClient: (url: string) => RedisLikeClient | Promise<RedisLikeClient>;
  #client: Promise<RedisLikeClient> | undefined;
  #firstConnect: Promise<unknown> | undefined;
  #outage = false;
  #closed = false;

  constructor(options: RedisTokenStoreOptions) {
    if (options.encryptionKey.length !== 32)
      throw new TypeError('RedisTokenStore: encryptionKey must be 32 bytes');
    this.#url = options.url;
    this.#aesKey = Buffer.from(
      hkdfSync('sha256', options.encryptionKey, Buffer.alloc(0), 'mcp-auth-kit token encryption', 32),
    );
    this.#nameKey = Buffer.from(
      hkdfSync('sha256', options.encryptionKey, Buffer.alloc(0), 'mcp-auth-kit key names', 32),
    );
    this.#prefix = options.keyPrefix ?? 'mcp-auth-kit';
    this.#logger = options.logger ?? consoleWarnLogger;
    this.#timeoutMs = options.operationTimeoutMs ?? 250;
    this.#createClient = options.createClient ?? defaultCreateClient;
  }

  /** The Redis key of an entry (exposed for tests that inspect what is stored). */
  redisKey(partition: string, key: string): string {
    const h = (v: string) => createHmac('sha256', this.#nameKey).update(v).digest('base64url').slice(0, 32);
    return `${this.#prefix}:obo:${h(partition)}:${h(`${partition}\n${key}`)}`;
  }

  async get(partition: string, key: string): Promise<AccessToken | undefined> {
    const redisKey = this.redisKey(partition, key);
    const value = await this.#run((client) => client.get(redisKey));
    if (!value) return undefined;
    const token = this.#decrypt(redisKey, value);
    if (!token || token.expiresOnTimestamp - REFRESH_MARGIN_MS <= Date.now()) return undefined;
    return token;
  }

  async set(partition: string, key: string, token: AccessToken): Promise<void> {
    const ttl = token.expiresOnTimestamp - REFRESH_MARGIN_MS - Date.now();
    if (ttl <= 0) return;
    const redisKey = this.redisKey(partition, key);
    await this.#run((client) =>
      client.set(redisKey, this.#encrypt(redisKey, token), { PX: Math.floor(ttl) }),
    );
  }

  /** Connects now; true when Redis answered within `timeoutMs` (use at start-up to report the cache's state). */
  async ready(timeoutMs = 2000): Promise<boolean> {
    const client = await this.#connect().catch(() => undefined);
    const deadline = Date.now() + timeoutMs;
    while (client && !client.isReady && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return client?.isReady ?? false;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const client = await this.#client?.catch(() => undefined);
    if (!client) return;
    try {
      await client.quit?.();
    } catch {
      client.destroy?.();
    }
  }

  #connect(): Promise<RedisLikeClient> {
    this.#client ??= (async () => {
      const client = await this.#createClient(this.#url);
      client.on('error', () => this.#markOutage());
      client.on('ready', () => this.#markRecovered());
      // Connects in the background; a request waits for it at most one operation timeout.
      this.#firstConnect = client.connect().catch(() => this.#markOutage());
      return client;
    })();
    return this.#client;
  }

  async #run<T>(operation: (client: RedisLikeClient) => Promise<T>): Promise<T | undefined> {
    if (this.#closed) return undefined;
    let client: RedisLikeClient;
    try {
      client = await this.#connect();
    } catch {
      this.#markOutage();
      return undefined;
    }
    if (!client.isReady && this.#firstConnect) {
      await Promise.race([this.#firstConnect, new Promise((r) => setTimeout(r, this.#timeoutMs).unref())]);
      this.#firstConnect = undefined;
    }
    if (!client.isReady) {
      this.#markOutage();
      return undefined;
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        operation(client),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('timeout')), this.#timeoutMs);
        }),
      ]);
    } catch {
      this.#markOutage();
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  #markOutage(): void {
    if (this.#outage || this.#closed) return;
    this.#outage = true;
    this.#logger.warn(
      'RedisTokenStore: Redis is unreachable; serving On-Behalf-Of tokens from memory until it is back',
    );
  }

  #markRecovered(): void {
    if (!this.#outage) return;
    this.#outage = false;
    this.#logger.info('RedisTokenStore: Redis is reachable again; the shared token cache is back in use');
  }

  #encrypt(redisKey: string, token: AccessToken): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#aesKey, iv);
    cipher.setAAD(Buffer.from(redisKey));
    const body = Buffer.concat([
      cipher.update(JSON.stringify({ t: token.token, e: token.expiresOnTimestamp }), 'utf8'),
      cipher.final(),
    ]);
    return Buffer.concat([Buffer.from([1]), iv, cipher.getAuthTag(), body]).toString('base64');
  }

  #decrypt(redisKey: string, value: string): AccessToken | undefined {
    try {
      const raw = Buffer.from(value, 'base64');
      if (raw[0] !== 1) return undefined;
      const decipher = createDecipheriv('aes-256-gcm', this.#aesKey, raw.subarray(1, 13));
      decipher.setAAD(Buffer.from(redisKey));
      decipher.setAuthTag(raw.subarray(13, 29));
      const json = JSON.parse(
        Buffer.concat([decipher.update(raw.subarray(29)), decipher.final()]).toString('utf8'),
      ) as {
        t: string;
        e: number;
      };
      return { token: json.t, expiresOnTimestamp: json.e, tokenType: 'Bearer' };
    } catch {
      // tampered, swapped between keys, or written with another key: a miss
      return undefined;
    }
  }
}

async function defaultCreateClient(url: string): Promise<RedisLikeClient> {
  let redis: { createClient(options: object): unknown };
  try {
    redis = (await import('redis')) as unknown as typeof redis;
  } catch (cause) {
    throw new Error('RedisTokenStore needs the "redis" package: npm install redis', { cause });
  }
  return redis.createClient({
    url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 2000,
      reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2000),
    },
  }) as RedisLikeClient;
}
