import { OAuthProxyConfigError } from '../errors.js';

/**
 * The kinds of record the façade keeps. Each kind has its own quota, so records an anonymous caller
 * can create (pending authorizations, upstream round trips, codes, cached metadata documents,
 * registered clients) can never push out a user's sign-in.
 */
export type RecordKind = 'client' | 'metadata' | 'pending' | 'trip' | 'code' | 'grant' | 'revoked';

export const RECORD_KINDS: readonly RecordKind[] = [
  'client',
  'metadata',
  'pending',
  'trip',
  'code',
  'grant',
  'revoked',
];

/** How many live records of each kind a store keeps at most. */
export type RecordQuotas = Readonly<Record<RecordKind, number>>;

/**
 * Defaults sized for one replica in memory: short-lived records (pending authorizations, upstream
 * round trips, codes: 10 minutes at most) 10,000 each; cached metadata documents 2,000; registered
 * clients 10,000; sign-ins and their revocation marks 100,000.
 */
export const DEFAULT_QUOTAS: RecordQuotas = {
  client: 10_000,
  metadata: 2_000,
  pending: 10_000,
  trip: 10_000,
  code: 10_000,
  grant: 100_000,
  revoked: 100_000,
};

export function resolveQuotas(
  quotas: Partial<Record<RecordKind, number>> | undefined,
  name: string,
): RecordQuotas {
  const out = { ...DEFAULT_QUOTAS, ...quotas };
  for (const [kind, value] of Object.entries(out)) {
    if (!Number.isInteger(value) || value < 1) {
      throw new OAuthProxyConfigError(`${name}: quotas.${kind} must be a positive integer`);
    }
  }
  return out;
}

/**
 * Where the façade keeps its state: a key-value store with expiry, per record kind. `set` throws a
 * `FacadeStoreError('store_quota_full')` when the kind's quota is full (it never evicts a live
 * record); `take` reads and deletes at once, so a single-use code is redeemed once across replicas.
 */
export interface FacadeStore {
  get(kind: RecordKind, key: string): Promise<string | undefined>;
  set(kind: RecordKind, key: string, value: string, ttlMs: number): Promise<void>;
  take(kind: RecordKind, key: string): Promise<string | undefined>;
  delete(kind: RecordKind, key: string): Promise<void>;
  /** Checked once at start-up: throws when the backend is configured so that it may lose records. */
  check?(): Promise<{ checked: boolean; policy?: string }>;
}
