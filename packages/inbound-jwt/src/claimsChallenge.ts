import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestAuthContext } from '@mcp-auth-kit/auth-core';
import { takeClaimsChallenge, watchClaimsChallenge } from '@mcp-auth-kit/auth-core/internal';
import { quote } from './challenge.js';
import {
  metadataUrlFor,
  type ResourceUrlOptions,
  resourceUrlFor,
  resourceUrlForFetch,
} from './requestUrls.js';

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
  return [
    `Bearer realm=${quote(options.realm ?? 'mcp')}`,
    `resource_metadata=${quote(metadataUrlFor(resource))}`,
    `authorization_uri=${quote(options.authorizationUri)}`,
    'error="insufficient_claims"',
    `error_description=${quote(DESCRIPTION)}`,
    `claims=${quote(Buffer.from(claims, 'utf8').toString('base64'))}`,
  ].join(', ');
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
    const claims = status < 300 ? takeClaimsChallenge(context) : undefined;
    if (claims === undefined)
      return (writeHead as (...a: unknown[]) => ServerResponse).call(this, status, ...rest);
    const body = JSON.stringify({ error: 'insufficient_claims', error_description: DESCRIPTION });
    for (const name of this.getHeaderNames()) this.removeHeader(name);
    writeHead.call(this, 401, {
      'www-authenticate': claimsChallengeHeader(claims, resourceUrlFor(req, options), options),
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
    });
    const end = this.end.bind(this);
    // the handler's own body (its JSON-RPC answer) is dropped: the client signs in again first
    this.write = (() => true) as typeof this.write;
    this.end = ((..._args: unknown[]) => end(body)) as typeof this.end;
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
  const claims = response.status < 300 ? takeClaimsChallenge(context) : undefined;
  if (claims === undefined) return response;
  void response.body?.cancel().catch(() => {});
  return Response.json(
    { error: 'insufficient_claims', error_description: DESCRIPTION },
    {
      status: 401,
      headers: {
        'www-authenticate': claimsChallengeHeader(claims, resourceUrlForFetch(request, options), options),
        'cache-control': 'no-store',
      },
    },
  );
}
