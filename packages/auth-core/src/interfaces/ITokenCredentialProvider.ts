import type { TokenCredential } from '@azure/core-auth';
import type { RequestAuthContext } from '../context/RequestAuthContext.js';

/** Which identity outbound calls are made as, safe to show (no token, no secret). */
export interface OutboundIdentityDescription {
  readonly type: string;
  /** e.g. `managed identity (system-assigned)` or `alice@contoso.com via On-Behalf-Of`. */
  readonly identity: string;
}

/** Gives the TokenCredential for outbound Azure calls made for the current request. */
export interface ITokenCredentialProvider {
  /** The configuration `type` this provider implements, e.g. `JwtObo`. */
  readonly type: string;
  /**
   * Whose identity outbound calls carry: `caller` (each request's signed-in user, e.g. On-Behalf-Of
   * or passthrough: the provider needs the request's context) or `host` (the server's own identity,
   * the same for every caller, e.g. a managed identity).
   */
  readonly actsFor: 'caller' | 'host';
  /**
   * Whose identity this caller's outbound calls carry, when it differs by caller (a provider that
   * serves app-only callers with the host's identity, say); default `actsFor`.
   */
  identityFor?(context?: RequestAuthContext): 'caller' | 'host';
  /**
   * The credential to use for `context` (by default the accessor's current request). Providers that
   * act for the caller bind the credential to that caller at this call.
   */
  getTokenCredential(context?: RequestAuthContext): TokenCredential;
  describe(context?: RequestAuthContext): OutboundIdentityDescription;
  /**
   * Settles once the provider can serve (a certificate loaded from Key Vault, say); rejects with
   * the reason when it cannot yet. Servers call it at start-up to log the reason; calls retry.
   */
  ready?(): Promise<void>;
  /**
   * For readiness probes: settles while the credential can be used now, else rejects with the
   * reason (never a secret). Default: `ready`. A managed identity asks its endpoint for a token
   * (cached for a minute).
   */
  probe?(): Promise<void>;
  /**
   * For deployment checks (`doctor`): proves the provider's own app credential to the identity
   * provider without a user (On-Behalf-Of providers have one), rejecting with the mapped error.
   * Serving never needs it.
   */
  verifyAppCredential?(): Promise<void>;
  /** Releases caches, timers and sockets. */
  close?(): Promise<void>;
}
