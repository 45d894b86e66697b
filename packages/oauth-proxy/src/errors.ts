import { McpAuthKitError } from '@mcp-auth-kit/auth-core';

/**
 * Stable codes of the façade's errors. Most are the OAuth error a client receives (RFC 6749 §5.2,
 * RFC 7591 §3.2.2, RFC 8707); the rest name a server-side condition.
 */
export type OAuthProxyErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'invalid_scope'
  | 'invalid_target'
  | 'unsupported_grant_type'
  | 'unsupported_response_type'
  | 'invalid_client_metadata'
  | 'invalid_redirect_uri'
  | 'access_denied'
  | 'slow_down'
  | 'temporarily_unavailable'
  | 'server_error';

/**
 * An OAuth error answer: HTTP status, the wire `error` (= `code`), a description without secrets,
 * and extra headers (`Retry-After`, `WWW-Authenticate`).
 */
export class OAuthError extends McpAuthKitError<OAuthProxyErrorCode> {
  constructor(
    readonly status: number,
    code: OAuthProxyErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
    options: { cause?: unknown } = {},
  ) {
    super(code, message, { ...options, retryable: status === 429 || status === 503 });
    this.name = 'OAuthError';
  }

  /** The OAuth `error` value sent on the wire. */
  get error(): OAuthProxyErrorCode {
    return this.code;
  }
}

/** Codes of a store that cannot take or give a record. */
export type FacadeStoreErrorCode =
  | 'store_quota_full'
  | 'store_unavailable'
  | 'store_misconfigured'
  | 'store_record_too_large';

/**
 * The store cannot serve: a record kind's quota is full (nothing is evicted to make room), the
 * backend cannot be reached, or it is configured so that it may lose records.
 */
export class FacadeStoreError extends McpAuthKitError<FacadeStoreErrorCode> {
  constructor(code: FacadeStoreErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, {
      ...options,
      retryable: code === 'store_quota_full' || code === 'store_unavailable',
    });
    this.name = 'FacadeStoreError';
  }
}

/** A client metadata document or registration that cannot be accepted (RFC 7591 error codes). */
export class ClientMetadataError extends McpAuthKitError<
  'invalid_client_metadata' | 'invalid_redirect_uri' | 'invalid_client'
> {
  constructor(code: 'invalid_client_metadata' | 'invalid_redirect_uri' | 'invalid_client', message: string) {
    super(code, message);
    this.name = 'ClientMetadataError';
  }

  /** The OAuth `error` value sent on the wire. */
  get error(): 'invalid_client_metadata' | 'invalid_redirect_uri' | 'invalid_client' {
    return this.code;
  }
}

/** Entra ID refused or could not be reached; `aadsts` is its numeric error code when it sent one. */
export class UpstreamError extends McpAuthKitError<'upstream_refused' | 'upstream_unreachable'> {
  constructor(
    code: 'upstream_refused' | 'upstream_unreachable',
    message: string,
    readonly oauthError: string,
    readonly aadsts: string | undefined,
    options: { cause?: unknown } = {},
  ) {
    super(code, message, { ...options, retryable: code === 'upstream_unreachable' });
    this.name = 'UpstreamError';
  }
}

/** The sign-in behind a façade token was revoked (revocation, a replayed code or refresh token). */
export class SignInRevokedError extends McpAuthKitError<'sign_in_revoked'> {
  constructor() {
    super('sign_in_revoked', 'the sign-in behind this token was revoked');
    this.name = 'SignInRevokedError';
  }
}

/** Options the façade (or one of its stores) cannot work with; thrown at construction, never on a request. */
export class OAuthProxyConfigError extends McpAuthKitError<'config_invalid'> {
  constructor(message: string) {
    super('config_invalid', message);
    this.name = 'OAuthProxyConfigError';
  }
}
