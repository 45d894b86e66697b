import { OutboundCredentialError } from './errors.js';

/**
 * The OutboundCredentialError for a failed On-Behalf-Of request, decided from msal-node's error
 * fields: `errorCode` (the OAuth `error`) and `errorNo` (Entra's first `error_codes` entry, the
 * AADSTS number). Never from message text. The AADSTS code, when known, ends the message.
 */
export function mapOboError(error: unknown): OutboundCredentialError {
  if (error instanceof OutboundCredentialError) return error;
  // msal-node's ServerError carries the OAuth `error` as errorCode and Entra's first error code
  // (`error_codes[0]`) as errorNo: branch on those, never on the message text.
  const e = error as { errorCode?: string; errorNo?: string | number; status?: number; name?: string };
  const errorNo = e.errorNo === undefined || e.errorNo === '' ? undefined : String(e.errorNo);
  const aadsts = errorNo && /^\d+$/.test(errorNo) ? `AADSTS${errorNo}` : undefined;
  const suffix = aadsts ? ` (${aadsts})` : '';
  if (errorNo === '7000114') {
    return new OutboundCredentialError(
      'app_only_caller',
      `JwtObo cannot act for an application caller${suffix}`,
      { cause: error },
    );
  }
  // Conditional Access (multi-factor, device, location): Entra ID names the claims the user must
  // satisfy; the client can sign in again with them (a claims challenge)
  const claims = (error as { claims?: unknown }).claims;
  if (typeof claims === 'string' && claims.trim() !== '' && claims.length <= 4096) {
    return new OutboundCredentialError('claims_challenge', conditionalAccessMessage(errorNo, suffix), {
      cause: error,
      claims,
    });
  }
  switch (e.errorCode) {
    case 'invalid_grant':
    case 'interaction_required':
    case 'consent_required':
    case 'login_required':
      return new OutboundCredentialError(
        'caller_token_rejected',
        `the identity provider refused the caller's token (expired, revoked or not for this app); sign in again${suffix}`,
        { cause: error },
      );
    case 'invalid_client':
    case 'unauthorized_client':
      return new OutboundCredentialError(
        'app_credential_rejected',
        `the identity provider refused this server's app credential${suffix}`,
        { cause: error },
      );
    case 'invalid_scope':
      return new OutboundCredentialError('invalid_scope', `the requested scope is not valid${suffix}`, {
        cause: error,
      });
    default:
      return new OutboundCredentialError(
        'provider_unavailable',
        `the identity provider could not be reached or failed${suffix}; try again`,
        { cause: error },
      );
  }
}

/** What the user must do, per Conditional Access code. */
function conditionalAccessMessage(errorNo: string | undefined, suffix: string): string {
  switch (errorNo) {
    case '50076':
      return `a Conditional Access policy requires multi-factor authentication for this resource${suffix}: sign in again and complete the multi-factor prompt`;
    case '50079':
      return `a Conditional Access policy requires multi-factor authentication, and the user has not registered a method yet${suffix}: register one (https://aka.ms/mfasetup), then sign in again`;
    case '53003':
      return `a Conditional Access policy blocked access to this resource${suffix}: the tenant's administrator decides who may access it and from where`;
    case '53000':
    case '53001':
      return `a Conditional Access policy requires a compliant or managed device${suffix}: sign in again from such a device`;
    default:
      return `a Conditional Access policy requires the user to sign in again with further claims${suffix}`;
  }
}
