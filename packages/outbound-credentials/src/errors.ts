import { McpAuthKitError } from '@mcp-auth-kit/auth-core';

/** Stable codes of the outbound errors; branch on these, never on message text. */
export type OutboundCredentialErrorCode =
  | 'no_caller_context'
  | 'caller_token_rejected'
  | 'app_only_caller'
  | 'tenant_mismatch'
  | 'passthrough_refused'
  | 'provider_unavailable'
  | 'app_credential_rejected'
  | 'certificate_unavailable'
  | 'invalid_scope'
  /** Conditional Access needs the user to sign in again with more claims (MFA, a compliant device): `claims` says which. */
  | 'claims_challenge';

/**
 * Why an outbound token could not be had. Messages name the credential and the reason, never a
 * token or a secret. `callerShouldReauthenticate` is true when the caller's own token was refused
 * (the MCP layer should answer 401 so the client signs in again).
 */
export class OutboundCredentialError extends McpAuthKitError<OutboundCredentialErrorCode> {
  constructor(
    code: OutboundCredentialErrorCode,
    message: string,
    options: { retryable?: boolean; cause?: unknown; claims?: string } = {},
  ) {
    super(code, message, { ...options, retryable: options.retryable ?? code === 'provider_unavailable' });
    this.name = 'OutboundCredentialError';
    this.claims = options.claims;
  }

  /** For `claims_challenge`: the claims request Entra ID sent (JSON), to pass on in a 401 `insufficient_claims`. */
  readonly claims: string | undefined;

  get callerShouldReauthenticate(): boolean {
    return this.code === 'caller_token_rejected' || this.code === 'claims_challenge';
  }
}
