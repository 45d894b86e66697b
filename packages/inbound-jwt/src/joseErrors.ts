// What a token's refusal by jose means, in the words and reasons the validator reports (never a
// claim's value: the message is sent to the caller).
import { errors as joseErrors } from 'jose';
import type { InvalidTokenReason } from './errors.js';

export function joseReason(error: unknown): InvalidTokenReason {
  if (error instanceof joseErrors.JWTExpired) return 'expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    return error.claim === 'nbf' ? 'not_yet_valid' : 'missing_claim';
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'signature';
  if (error instanceof joseErrors.JOSENotSupported) return 'algorithm';
  return 'malformed';
}

/** How many `.` a token has: 2 for a JWS, 4 for a JWE. */
export function countDots(token: string): number {
  let n = 0;
  for (let i = 0; i < token.length; i++) if (token.charCodeAt(i) === 46) n++;
  return n;
}

/** The refusal in words a caller can act on. */
export function describeJoseError(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'the token has expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'the token is not yet valid';
    if (error.claim === 'exp') return 'the token has no valid expiry (exp)';
    return `the token's ${error.claim} claim is invalid`;
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'the token signature is invalid';
  if (error instanceof joseErrors.JOSENotSupported)
    return 'the token uses an unsupported header or algorithm';
  if (error instanceof joseErrors.JWTInvalid) return 'the token payload is not a valid JWT claims set';
  return 'the token is invalid';
}
