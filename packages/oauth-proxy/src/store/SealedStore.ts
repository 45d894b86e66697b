import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { FacadeStoreError, OAuthProxyConfigError } from '../errors.js';
import type { FacadeStore, RecordKind } from './FacadeStore.js';

/** Largest record the façade stores (a client, a sign-in with upstream tokens, …). */
export const MAX_RECORD_BYTES = 32 * 1024;

/**
 * Every record sealed before it reaches the store: keys are HMAC-SHA-256 of the kind and the real
 * key (a code or token never appears in the store), values AES-256-GCM with the kind and key as
 * associated data (a value cannot be moved to another key or kind).
 */
export class SealedStore {
  readonly #key: Buffer;
  constructor(
    readonly backend: FacadeStore,
    key: Buffer,
  ) {
    if (key.length !== 32) throw new OAuthProxyConfigError('OAuthProxy: the encryption key must be 32 bytes');
    this.#key = key;
  }

  /** An HMAC of `text` under the sealing key (for values derived from it, such as refresh tokens). */
  mac(text: string): string {
    return createHmac('sha256', this.#key).update(text).digest('base64url');
  }

  async get<T>(kind: RecordKind, key: string): Promise<T | undefined> {
    return this.#open<T>(kind, key, await this.backend.get(kind, this.mac(`${kind}:${key}`)));
  }

  async take<T>(kind: RecordKind, key: string): Promise<T | undefined> {
    return this.#open<T>(kind, key, await this.backend.take(kind, this.mac(`${kind}:${key}`)));
  }

  async set(kind: RecordKind, key: string, value: unknown, ttlMs: number): Promise<void> {
    const plain = Buffer.from(JSON.stringify(value), 'utf8');
    if (plain.length > MAX_RECORD_BYTES)
      throw new FacadeStoreError('store_record_too_large', `record larger than ${MAX_RECORD_BYTES} bytes`);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(`${kind}:${key}`, 'utf8'));
    const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    await this.backend.set(kind, this.mac(`${kind}:${key}`), sealed.toString('base64url'), ttlMs);
  }

  async delete(kind: RecordKind, key: string): Promise<void> {
    await this.backend.delete(kind, this.mac(`${kind}:${key}`));
  }

  #open<T>(kind: RecordKind, key: string, sealed: string | undefined): T | undefined {
    if (sealed === undefined) return undefined;
    try {
      const data = Buffer.from(sealed, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', this.#key, data.subarray(0, 12));
      decipher.setAAD(Buffer.from(`${kind}:${key}`, 'utf8'));
      decipher.setAuthTag(data.subarray(data.length - 16));
      const plain = Buffer.concat([decipher.update(data.subarray(12, data.length - 16)), decipher.final()]);
      return JSON.parse(plain.toString('utf8')) as T;
    } catch {
      return undefined; // tampered, or sealed with another key: as if absent
    }
  }
}
