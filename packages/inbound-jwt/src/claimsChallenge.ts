import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestAuthContext } from '@mcp-auth-kit/auth-core';
import { takeClaimsChallenge, watchClaimsChallenge } from '@mcp-auth-kit/auth-core/internal';
import { answerResponse, bearerChallenge, jsonAnswer, type OutcomeHttp } from './challenge.js';
import { metadataUrlFor, type ResourceUrlOptions } from './requestUrls.js';
import { FetchRequestView, NodeRequestView, type RequestView } from './requestView.js';

/** Where a client signs in again: the tenant's authorize endpoint. */
export interface ClaimsChallengeOptions extends ResourceUrlOptions {
  /** `{instance}{tenant}/oauth2/v2.0/authorize`. */
  readonly authorizationUri: string;
  readonly realm?: string;
}

const DESCRIPTION = 'a Conditional Access policy requires signing in again with the claims given';

/**
 * The claims challenge as Entra ID-protected APIs send it (Microsoft identity platform, "Claims
 * challenges"): 401 with `error="insufficient_claims"` and `claims` holding the claims request
 * Base64-encoded, beside `authorization_uri` and this resource's metadata.
 */
export function claimsChallengeHeader(
  claims: string,
  resource: URL,
  options: ClaimsChallengeOptions,
): string {
  return bearerChallenge([
    ['realm', options.realm ?? 'mcp'],
    ['resource_metadata', metadataUrlFor(resource)],
    ['authorization_uri', options.authorizationUri],
    ['error', 'insufficient_claims'],
    ['error_description', DESCRIPTION],
    ['claims', Buffer.from(claims, 'utf8').toString('base64')],
  ]);
}

/**
 * Lets a claims challenge raised while serving this request (On-Behalf-Of refused by Conditional
 * Access) become the answer while the response is still open: the first time the handler writes
 * its status, a recorded challenge turns a success into 401 `insufficient_claims` (its body
 * dropped). Once headers are out (a stream already answering), the tool's own error says what the
 * user must do.
 */
export function answerClaimsChallenges(
  req: IncomingMessage,
  res: ServerResponse,
  context: RequestAuthContext | undefined,
  options: ClaimsChallengeOptions,
): void {
  if (!context) return;
  // nothing is done per request beyond this registration: the response is prepared only when a
  // challenge is recorded (one per Conditional Access refusal, not one per call)
  let prepare = preparers.get(options);
  if (!prepare) {
    prepare = (target, ctx) => prepareClaimsAnswer(target, ctx, options);
    preparers.set(options, prepare);
  }
  (res as ServerResponse & { req?: IncomingMessage }).req ??= req;
  watchClaimsChallenge(context, res, prepare);
}

/** One preparer per options object, so a request costs no closure. */
const preparers = new WeakMap<
  ClaimsChallengeOptions,
  (res: ServerResponse, context: RequestAuthContext) => void
>();

function prepareClaimsAnswer(
  res: ServerResponse,
  context: RequestAuthContext,
  options: ClaimsChallengeOptions,
): void {
  const req = res.req;
  if (res.headersSent) return; // a stream already answering: the tool's own error says what to do
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, status: number, ...rest: unknown[]) {
    res.writeHead = writeHead;
    const answer =
      status < 300 ? claimsChallengeAnswer(context, new NodeRequestView(req, options), options) : undefined;
    if (answer === undefined)
      return (writeHead as (...a: unknown[]) => ServerResponse).call(this, status, ...rest);
    for (const name of this.getHeaderNames()) this.removeHeader(name);
    const end = this.end.bind(this);
    writeHead.call(this, answer.status, {
      ...answer.headers,
      'content-length': Buffer.byteLength(answer.body),
    });
    // the handler's own body (its JSON-RPC answer) is dropped: the client signs in again first
    this.write = (() => true) as typeof this.write;
    this.end = ((..._args: unknown[]) => end(answer.body)) as typeof this.end;
    return this;
  } as typeof res.writeHead;
}

/** The same for fetch-style hosts: a successful Response becomes the 401 claims challenge. */
export function claimsChallengeResponse(
  request: Request,
  response: Response,
  context: RequestAuthContext | undefined,
  options: ClaimsChallengeOptions,
): Response {
  if (response.status >= 300) return response;
  const answer = claimsChallengeAnswer(context, new FetchRequestView(request, options), options);
  if (answer === undefined) return response;
  void response.body?.cancel().catch(() => {});
  return answerResponse(answer);
}

/**
 * The claims challenge recorded while serving this request (On-Behalf-Of refused by Conditional
 * Access), as the answer that replaces a success: 401 `insufficient_claims` with the claims for
 * the client to sign in with again. Undefined when none was recorded. Taking it clears it.
 */
export function claimsChallengeAnswer(
  context: RequestAuthContext | undefined,
  view: RequestView,
  options: ClaimsChallengeOptions,
): OutcomeHttp | undefined {
  const claims = takeClaimsChallenge(context);
  if (claims === undefined) return undefined;
  return jsonAnswer(
    401,
    { error: 'insufficient_claims', error_description: DESCRIPTION },
    {
      'www-authenticate': claimsChallengeHeader(claims, view.resource(), options),
      'cache-control': 'no-store',
    },
  );
}
