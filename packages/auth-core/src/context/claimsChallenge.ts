import type { RequestAuthContext } from './RequestAuthContext.js';

/**
 * Claims challenges raised while serving one request (Conditional Access: On-Behalf-Of answered
 * `interaction_required` with a `claims` value), keyed by that request's auth context. The HTTP
 * adapter takes it when it is about to answer: while the response is still open it answers 401
 * `insufficient_claims` instead, so the client signs in again with those claims. Weakly held:
 * nothing outlives its request.
 */
const challenges = new WeakMap<RequestAuthContext, string>();

/** Records the `claims` (a JSON claims request, as Entra ID sent it) for the request `context` belongs to. */
export function recordClaimsChallenge(context: RequestAuthContext, claims: string): void {
  challenges.set(context, claims);
}

/** The claims challenge raised for this request, if any; taken once. */
export function takeClaimsChallenge(context: RequestAuthContext | undefined): string | undefined {
  if (!context) return undefined;
  const claims = challenges.get(context);
  if (claims !== undefined) challenges.delete(context);
  return claims;
}
