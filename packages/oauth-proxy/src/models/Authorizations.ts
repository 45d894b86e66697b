// Pending authorizations (between the client's authorize request and the person's consent) and
// upstream round trips (between the consent and Entra ID's callback). Both short-lived, both
// carrying the browser binding.
import type { SealedStore } from '../store/SealedStore.js';

export const AUTHORIZATION_MS = 10 * 60_000;

export interface PendingAuthorization {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly codeChallenge: string;
  readonly state: string | undefined;
  readonly scopes: readonly string[];
  readonly loginHint: string | undefined;
  /** The consent form's CSRF token. */
  readonly csrf: string;
  /** The browser binding: the name and value of the cookie set with the consent page. */
  readonly cookieName: string;
  readonly browser: string;
}

export interface UpstreamTrip {
  readonly pending: PendingAuthorization;
  /** PKCE verifier of the façade's own request to Entra ID. */
  readonly verifier: string;
}

export class Authorizations {
  constructor(private readonly store: SealedStore) {}

  savePending(transaction: string, pending: PendingAuthorization): Promise<void> {
    return this.store.set('pending', transaction, pending, AUTHORIZATION_MS);
  }

  pending(transaction: string): Promise<PendingAuthorization | undefined> {
    return this.store.get<PendingAuthorization>('pending', transaction);
  }

  /** Single use: the consent is decided once. */
  takePending(transaction: string): Promise<PendingAuthorization | undefined> {
    return this.store.take<PendingAuthorization>('pending', transaction);
  }

  saveTrip(upstreamState: string, trip: UpstreamTrip): Promise<void> {
    return this.store.set('trip', upstreamState, trip, AUTHORIZATION_MS);
  }

  /** Single use: Entra ID's answer is taken once. */
  takeTrip(upstreamState: string): Promise<UpstreamTrip | undefined> {
    return this.store.take<UpstreamTrip>('trip', upstreamState);
  }
}
