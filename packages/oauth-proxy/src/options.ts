import type { Logger } from '@mcp-auth-kit/auth-core';
import { OAuthProxyConfigError } from './errors.js';
import type { RateLimitOptions } from './policies/Limits.js';
import type { FacadeStore } from './store/FacadeStore.js';
import type { UpstreamOptions } from './upstream.js';

export interface OAuthProxyOptions {
  /** The façade's issuer: this server's origin, e.g. `https://mcp.contoso.com` (metadata at `/.well-known/oauth-authorization-server`). */
  readonly issuer: string;
  /** The MCP endpoint: the audience of the façade's tokens. */
  readonly resource: string;
  /** Entra ID and the server's app registration with its confidential credential. */
  readonly upstream: UpstreamOptions;
  /** The scopes clients may ask for; default `['mcp.tools']`. */
  readonly scopes?: readonly string[];
  /**
   * The façade's signing key: PKCS#8 PEM of an EC P-256 key. Every replica needs the same one;
   * default a new key per process (one replica, and a restart invalidates issued tokens).
   */
  readonly signingKeyPem?: string;
  /** 32 bytes sealing every stored record; the same on every replica. Default: new per process. */
  readonly encryptionKey?: Buffer;
  /** Default `MemoryFacadeStore`; `RedisFacadeStore` for replicas. */
  readonly store?: FacadeStore;
  /** Default 600 (10 minutes). */
  readonly accessTokenLifetimeSeconds?: number;
  /** Default 14 days; each refresh rotates the token. */
  readonly refreshTokenLifetimeSeconds?: number;
  /**
   * How long after a rotation the previous refresh token, presented again by the same client, still
   * gets the current one instead of revoking the sign-in (clients refresh in parallel); default 10.
   */
  readonly refreshReuseGraceSeconds?: number;
  /** Dev mode: client metadata documents on loopback (http or https) are accepted. */
  readonly devMode?: boolean;
  /** Overall deadline of a client metadata document fetch; default 5000. */
  readonly metadataDocumentTimeoutMs?: number;
  /**
   * The proxies in front of this server (addresses or CIDR ranges, e.g. the ingress's subnet). Only
   * for requests from them are `Forwarded` / `X-Forwarded-For` read, and the client is the
   * rightmost hop that is not one of them. Default none: the headers are never trusted.
   */
  readonly trustedProxies?: readonly string[];
  readonly rateLimits?: RateLimitOptions;
  /** Where it says what went wrong (never a token or secret); default `@azure/logger`. */
  readonly logger?: Logger;
}

export function positive(
  value: number | undefined,
  fallback: number,
  name: string,
  allowZero = false,
): number {
  const out = value ?? fallback;
  if (!Number.isFinite(out) || out < 0 || (!allowZero && out === 0)) {
    throw new OAuthProxyConfigError(
      `OAuthProxy: ${name} must be a ${allowZero ? 'non-negative' : 'positive'} number`,
    );
  }
  return out;
}
