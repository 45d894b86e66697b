import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/**
 * Where the façade keeps its state (clients, pending authorizations, codes, grants with the
 * user's upstream tokens, refresh-token families): a key-value store with expiry. `take` reads and
 * deletes at once, so a single-use code is redeemed once across replicas.
 */
export interface FacadeStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  take(key: string): Promise<string | undefined>;
  delete(key: string): Promise<void>;
}

/** In memory (one replica): bounded, the oldest entry goes first; expired entries are never returned. */
export class MemoryFacadeStore implements FacadeStore {
  readonly #entries = new Map<string, { value: string; expiresAtMs: number }>();
  constructor(private readonly maxEntries = 100_000) {}

  async get(key: string): Promise<string | undefined> {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAtMs <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.#entries.delete(key);
    while (this.#entries.size >= this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, { value, expiresAtMs: Date.now() + ttlMs });
  }

  async take(key: string): Promise<string | undefined> {
    const value = await this.get(key);
    this.#entries.delete(key);
    return value;
  }

  async delete(key: string): Promise<void> {
    this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The raw entries (keys and sealed values as stored), for tests that check nothing is in the clear. */
  entriesForTest(): ReadonlyMap<string, { readonly value: string }> {
    return this.#entries;
  }
}

/** The parts of a node-redis v4/v5 client the Redis store uses. */
export interface RedisFacadeClient {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, options: { PX: number }): Promise<unknown>;
  getDel(key: string): Promise<string | null>;
  del(key: string): Promise<unknown>;
}

/** In Redis, for several replicas: any replica serves any step, and a restart loses nothing. */
export class RedisFacadeStore implements FacadeStore {
  constructor(
    private readonly client: RedisFacadeClient,
    private readonly keyPrefix = 'mcp-auth-kit:facade:',
  ) {}

  async get(key: string): Promise<string | undefined> {
    return (await this.client.get(this.keyPrefix + key)) ?? undefined;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.client.set(this.keyPrefix + key, value, { PX: Math.max(1, Math.ceil(ttlMs)) });
  }

  async take(key: string): Promise<string | undefined> {
    return (await this.client.getDel(this.keyPrefix + key)) ?? undefined;
  }

  async delete(key: string): Promise<void> {
    await this.client.del(this.keyPrefix + key);
  }
}

/** Largest record the façade stores (a client, a grant with upstream tokens, …). */
export const MAX_RECORD_BYTES = 32 * 1024;

/**
 * Every record sealed before it reaches the store: keys are HMAC-SHA-256 of the real key (a code
 * or refresh token never appears in the store), values AES-256-GCM with the key name as
 * associated data (a value cannot be moved to another key).
 */
export class SealedStore {
  readonly #key: Buffer;
  constructor(
    private readonly store: FacadeStore,
    key: Buffer,
  ) {
    if (key.length !== 32) throw new TypeError('the façade encryption key must be 32 bytes');
    this.#key = key;
  }

  #name(key: string): string {
    return createHmac('sha256', this.#key).update(key).digest('base64url');
  }

  async get<T>(key: string): Promise<T | undefined> {
    return this.#open<T>(key, await this.store.get(this.#name(key)));
  }

  async take<T>(key: string): Promise<T | undefined> {
    return this.#open<T>(key, await this.store.take(this.#name(key)));
  }

  async set(key: string, value: unknown, ttlMs: number): Promise<void> {
    const plain = Buffer.from(JSON.stringify(value), 'utf8');
    if (plain.length > MAX_RECORD_BYTES) throw new Error(`record larger than ${MAX_RECORD_BYTES} bytes`);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(key, 'utf8'));
    const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    await this.store.set(this.#name(key), sealed.toString('base64url'), ttlMs);
  }

  async delete(key: string): Promise<void> {
    await this.store.delete(this.#name(key));
  }

  #open<T>(key: string, sealed: string | undefined): T | undefined {
    if (sealed === undefined) return undefined;
    try {
      const data = Buffer.from(sealed, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', this.#key, data.subarray(0, 12));
      decipher.setAAD(Buffer.from(key, 'utf8'));
      decipher.setAuthTag(data.subarray(data.length - 16));
      const plain = Buffer.concat([decipher.update(data.subarray(12, data.length - 16)), decipher.final()]);
      return JSON.parse(plain.toString('utf8')) as T;
    } catch {
      return undefined; // tampered, or sealed with another key: as if absent
    }
  }
}
