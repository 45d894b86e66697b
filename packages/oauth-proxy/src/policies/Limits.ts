import { RateLimiter } from './RateLimiter.js';

/** Per minute. Addresses count by IPv4 address or IPv6 /64. */
export interface RateLimitOptions {
  /** Registrations per address; default 10. */
  readonly registrationsPerMinute?: number;
  /** Authorization requests (each stores a pending record) per address; default 30. */
  readonly authorizationsPerMinute?: number;
  /** Token requests per address; default 300. */
  readonly tokenRequestsPerMinute?: number;
  /** Client metadata documents fetched (not cached) per address; default 30. */
  readonly metadataDocumentsPerMinute?: number;
  /**
   * Authorization and token requests per registered (DCR) client, on top of the per-address
   * limits; default 600. Metadata-document clients are not counted by client id: their id (a URL)
   * is shared by every user of that client, so one caller could exhaust it for all of them.
   */
  readonly perClientPerMinute?: number;
}

/** The façade's rate limits, one limiter per kind of request. */
export class Limits {
  readonly #registrations: RateLimiter;
  readonly #authorizations: RateLimiter;
  readonly #tokens: RateLimiter;
  readonly #documents: RateLimiter;
  readonly #clients: RateLimiter;

  constructor(options: RateLimitOptions = {}) {
    const minute = 60_000;
    this.#registrations = new RateLimiter(options.registrationsPerMinute ?? 10, minute);
    this.#authorizations = new RateLimiter(options.authorizationsPerMinute ?? 30, minute);
    this.#tokens = new RateLimiter(options.tokenRequestsPerMinute ?? 300, minute);
    this.#documents = new RateLimiter(options.metadataDocumentsPerMinute ?? 30, minute);
    this.#clients = new RateLimiter(options.perClientPerMinute ?? 600, minute);
  }

  registration(address: string): void {
    this.#registrations.check(address, 'too many registrations from this address');
  }

  authorization(address: string): void {
    this.#authorizations.check(address, 'too many authorization requests from this address');
  }

  token(address: string): void {
    this.#tokens.check(address, 'too many token requests');
  }

  document(address: string): void {
    this.#documents.check(address, 'too many client metadata documents fetched for this address');
  }

  /** Counts a request for a registered client (DCR); metadata-document clients are not counted here. */
  client(clientId: string, source: 'cimd' | 'dcr'): void {
    if (source === 'dcr') this.#clients.check(clientId, 'too many requests for this client');
  }
}
