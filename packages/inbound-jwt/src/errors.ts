import { McpAuthKitError } from '@mcp-auth-kit/auth-core';

/** Stable codes of the inbound errors; the HTTP adapter maps them in one place (`challengeFor`). */
export type InboundAuthErrorCode =
  | 'missing_token'
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'provider_unavailable';

/** Which check refused a token, for logs, metrics and tests (the message says it in words). */
export type InvalidTokenReason =
  | 'malformed'
  | 'too_large'
  | 'encrypted'
  | 'algorithm'
  | 'key_reference'
  | 'unknown_key'
  | 'signature'
  | 'expired'
  | 'not_yet_valid'
  | 'lifetime'
  | 'missing_claim'
  | 'tenant'
  | 'issuer'
  | 'version'
  | 'audience'
  | 'no_scope_or_role';

/**
 * Why a request was not authenticated. `message` is safe to send to the caller: it never contains
 * the token or a claim value.
 */
export class InboundAuthError extends McpAuthKitError<InboundAuthErrorCode> {
  /** Scopes (or roles) that would satisfy the check, for `insufficient_scope`. */
  readonly scope: string | undefined;
  /** For `provider_unavailable`: when to try again. */
  readonly retryAfterSeconds: number | undefined;
  /** For `invalid_token` / `invalid_request`: which check refused it (as jose's `claim` / `reason`). */
  readonly reason: InvalidTokenReason | undefined;

  constructor(
    code: InboundAuthErrorCode,
    message: string,
    options: {
      scope?: string;
      retryAfterSeconds?: number;
      reason?: InvalidTokenReason;
      cause?: unknown;
    } = {},
  ) {
    super(code, message, { cause: options.cause, retryable: code === 'provider_unavailable' });
    this.name = 'InboundAuthError';
    this.scope = options.scope;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.reason = options.reason;
  }
}
