// Clients: registered ones (RFC 7591) and Client ID Metadata Documents (fetched, then cached).
import { randomBytes } from 'node:crypto';
import { type ClientRecord, isMetadataDocumentUrl, parseClientMetadata } from '../clients/clientRecord.js';
import { fetchClientMetadata } from '../clients/fetchClientMetadata.js';
import { randomToken, sha256 } from '../crypto.js';
import { ClientMetadataError, FacadeStoreError, OAuthError } from '../errors.js';
import type { Limits } from '../policies/Limits.js';
import type { SealedStore } from '../store/SealedStore.js';

const MAX_FETCHES_IN_FLIGHT = 256;
/**
 * A registration nobody signs in with lives a day: anonymous registrations (rate limited) cannot
 * hold the clients' quota for long. Each token issued to a client extends it to the full lifetime.
 */
export const UNUSED_CLIENT_MS = 24 * 3_600_000;

export class Clients {
  readonly #inFlight = new Map<string, Promise<ClientRecord>>();

  constructor(
    private readonly store: SealedStore,
    private readonly limits: Limits,
    private readonly options: { lifetimeMs: number; devMode: boolean; metadataTimeoutMs: number },
  ) {}

  /** Registers a client (RFC 7591); answers the record and its secret for confidential clients. */
  async register(body: unknown): Promise<{ record: ClientRecord; secret: string | undefined }> {
    const metadata = parseClientMetadata(body, 'dcr');
    const clientId = `dcr-${randomBytes(16).toString('hex')}`;
    const secret = metadata.tokenEndpointAuthMethod === 'none' ? undefined : randomToken();
    const record: ClientRecord = { clientId, ...metadata, ...(secret ? { secretHash: sha256(secret) } : {}) };
    await this.store.set('client', clientId, record, UNUSED_CLIENT_MS);
    return { record, secret };
  }

  /** A registered client that was just issued tokens: kept for the full lifetime from now. */
  async keepAlive(record: ClientRecord): Promise<void> {
    if (record.source === 'dcr')
      await this.store.set('client', record.clientId, record, this.options.lifetimeMs);
  }

  /** The client a `client_id` names: a registered one, or a metadata document (cached, or fetched now). */
  async find(clientId: string, address: string): Promise<ClientRecord | undefined> {
    if (clientId.length === 0 || clientId.length > 2000) return undefined;
    if (!isMetadataDocumentUrl(clientId)) return this.store.get<ClientRecord>('client', clientId);
    const cached = await this.store.get<ClientRecord>('metadata', clientId);
    if (cached) return cached;
    // callers asking for the same document at once share one fetch; only the caller that causes
    // the fetch is counted against its address
    const running = this.#inFlight.get(clientId);
    if (running) return running;
    this.limits.document(address);
    if (this.#inFlight.size >= MAX_FETCHES_IN_FLIGHT) {
      throw new OAuthError(
        503,
        'temporarily_unavailable',
        'too many client metadata documents are being fetched; try again',
        {
          'retry-after': '5',
        },
      );
    }
    const fetching = this.#fetch(clientId);
    this.#inFlight.set(clientId, fetching);
    try {
      return await fetching;
    } finally {
      this.#inFlight.delete(clientId);
    }
  }

  async #fetch(clientId: string): Promise<ClientRecord> {
    const { document, maxAgeSeconds } = await fetchClientMetadata(clientId, {
      allowLoopback: this.options.devMode,
      timeoutMs: this.options.metadataTimeoutMs,
    });
    if ((document as { client_id?: unknown }).client_id !== clientId) {
      throw new ClientMetadataError('invalid_client', 'the client metadata document names another client_id');
    }
    const record: ClientRecord = { clientId, ...parseClientMetadata(document, 'cimd') };
    try {
      await this.store.set('metadata', clientId, record, maxAgeSeconds * 1000);
    } catch (error) {
      // a full cache only means the next request fetches again
      if (!(error instanceof FacadeStoreError && error.code === 'store_quota_full')) throw error;
    }
    return record;
  }
}
