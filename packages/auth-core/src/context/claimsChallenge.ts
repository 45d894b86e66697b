import type { RequestAuthContext } from './RequestAuthContext.js';

/**
 * Claims challenges raised while serving one request (Conditional Access: On-Behalf-Of answered
 * `interaction_required` with a `claims` value), keyed by that request's auth context. The HTTP
 * adapter takes it when it is about to answer: while the response is still open it answers 401
 * `insufficient_claims` instead, so the client signs in again with those claims. Weakly held:
 * nothing outlives its request.
 */
const challenges = new WeakMap<RequestAuthContext, string>();

type Respond = (target: object, context: RequestAuthContext) => void;
/**
 * Who answers a challenge recorded for a context: an HTTP adapter's response, told at once. Kept
 * on the context itself (two symbol-keyed slots: per-request contexts are plain objects, and a
 * WeakMap entry per request would cost more than the request's authentication); a frozen context
 * (a first-seen token's) falls back to a WeakMap.
 */
const TARGET = Symbol('mcp-auth-kit.claimsTarget');
const RESPOND = Symbol('mcp-auth-kit.claimsRespond');
type Watched = { [TARGET]?: object | undefined; [RESPOND]?: Respond | undefined };
const watchers = new WeakMap<RequestAuthContext, readonly [object, Respond]>();

/** Records the `claims` (a JSON claims request, as Entra ID sent it) for the request `context` belongs to. */
export function recordClaimsChallenge(context: RequestAuthContext, claims: string): void {
  challenges.set(context, claims);
  const slots = context as RequestAuthContext & Watched;
  const target = slots[TARGET];
  const respond = slots[RESPOND];
  if (target && respond) {
    slots[TARGET] = undefined;
    slots[RESPOND] = undefined;
    respond(target, context);
    return;
  }
  const watcher = watchers.get(context);
  if (watcher) {
    watchers.delete(context);
    watcher[1](watcher[0], context);
  }
}

/**
 * Has `respond(target, context)` called when a claims challenge is recorded for `context` (at most once):
 * an adapter prepares its answer only for the request that needs one, instead of on every request.
 */
export function watchClaimsChallenge<T extends object>(
  context: RequestAuthContext,
  target: T,
  respond: (target: T, context: RequestAuthContext) => void,
): void {
  if (Object.isExtensible(context)) {
    const slots = context as RequestAuthContext & Watched;
    slots[TARGET] = target;
    slots[RESPOND] = respond as Respond;
  } else watchers.set(context, [target, respond as Respond]);
}

/** The claims challenge raised for this request, if any; taken once. */
export function takeClaimsChallenge(context: RequestAuthContext | undefined): string | undefined {
  if (!context) return undefined;
  const claims = challenges.get(context);
  if (claims !== undefined) challenges.delete(context);
  return claims;
}
