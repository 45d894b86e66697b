import { FacadeStoreError } from '../errors.js';
import {
  type FacadeStore,
  RECORD_KINDS,
  type RecordKind,
  type RecordQuotas,
  resolveQuotas,
} from './FacadeStore.js';

interface Entry {
  readonly value: string;
  readonly expiresAtMs: number;
}

/**
 * In memory (one replica). Each record kind is bounded by its own quota; a full kind refuses new
 * records (`store_quota_full`, answered 503) instead of evicting live ones, after sweeping its
 * expired entries (at most once a second per kind, so a full store costs no scan per request).
 */
export class MemoryFacadeStore implements FacadeStore {
  readonly #maps = new Map<RecordKind, Map<string, Entry>>();
  readonly #sweptAtMs = new Map<RecordKind, number>();
  readonly quotas: RecordQuotas;

  constructor(options: { quotas?: Partial<Record<RecordKind, number>> } = {}) {
    this.quotas = resolveQuotas(options.quotas, 'MemoryFacadeStore');
    for (const kind of RECORD_KINDS) this.#maps.set(kind, new Map());
  }

  async get(kind: RecordKind, key: string): Promise<string | undefined> {
    const map = this.#maps.get(kind)!;
    const entry = map.get(key);
    if (!entry) return undefined;
    if (entry.expiresAtMs <= Date.now()) {
      map.delete(key);
      return undefined;
    }
    return entry.value;
  }

  async set(kind: RecordKind, key: string, value: string, ttlMs: number): Promise<void> {
    const map = this.#maps.get(kind)!;
    const replacing = map.delete(key);
    if (!replacing && map.size >= this.quotas[kind]) {
      this.#sweep(kind);
      if (map.size >= this.quotas[kind]) {
        throw new FacadeStoreError(
          'store_quota_full',
          `the façade's ${kind} records are at their quota (${this.quotas[kind]}); try again later`,
        );
      }
    }
    map.set(key, { value, expiresAtMs: Date.now() + ttlMs });
  }

  async take(kind: RecordKind, key: string): Promise<string | undefined> {
    const value = await this.get(kind, key);
    this.#maps.get(kind)!.delete(key);
    return value;
  }

  async delete(kind: RecordKind, key: string): Promise<void> {
    this.#maps.get(kind)!.delete(key);
  }

  /** Live and expired-but-unswept records of a kind (or of all kinds). */
  size(kind?: RecordKind): number {
    if (kind) return this.#maps.get(kind)!.size;
    let total = 0;
    for (const map of this.#maps.values()) total += map.size;
    return total;
  }

  /** The raw entries (keys and sealed values as stored), for tests that check nothing is in the clear. */
  entriesForTest(): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    for (const [kind, map] of this.#maps) for (const [k, v] of map) out.push([`${kind}:${k}`, v.value]);
    return out;
  }

  #sweep(kind: RecordKind): void {
    const now = Date.now();
    if (now - (this.#sweptAtMs.get(kind) ?? 0) < 1000) return;
    this.#sweptAtMs.set(kind, now);
    const map = this.#maps.get(kind)!;
    for (const [key, entry] of map) if (entry.expiresAtMs <= now) map.delete(key);
  }
}
