/** Stable codes of the inbound errors; the HTTP adapter maps them in one place (`challengeFor`). */
export type InboundAuthErrorCode =
  | 'missing_token'
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'provider_unavailable';

/**
 * Why a request was not authenticated. `message` is safe to send to the caller: it never contains
 * the token or a claim value.
 */
export class InboundAuthError extends Error {
  readonly code: InboundAuthErrorCode;
  /** Scopes (or roles) that would satisfy the check, for `insufficient_scope`. */
  readonly scope: string | undefined;
  /** For `provider_unavailable`: when to try again. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: InboundAuthErrorCode,
    message: string,
    options: { scope?: string; retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'InboundAuthError';
    this.code = code;
    this.scope = options.scope;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}
