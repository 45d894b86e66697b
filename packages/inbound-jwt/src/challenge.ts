import type { ServerResponse } from 'node:http';
import type { InboundOutcome } from '@mcp-auth-kit/auth-core';
import type { InboundAuthError } from './errors.js';

/** The outcome for an inbound error: the one place codes map to HTTP statuses. */
export function outcomeFor(error: InboundAuthError): InboundOutcome {
  switch (error.code) {
    case 'missing_token':
      return { kind: 'challenge', status: 401 };
    case 'invalid_request':
      return { kind: 'challenge', status: 401, error: 'invalid_request', errorDescription: error.message };
    case 'invalid_token':
      return { kind: 'challenge', status: 401, error: 'invalid_token', errorDescription: error.message };
    case 'insufficient_scope':
      return {
        kind: 'challenge',
        status: 403,
        error: 'insufficient_scope',
        errorDescription: error.message,
        ...(error.scope ? { scope: error.scope } : {}),
      };
    case 'provider_unavailable':
      return {
        kind: 'unavailable',
        retryAfterSeconds: error.retryAfterSeconds ?? 5,
        errorDescription: error.message,
      };
  }
}

/**
 * The outcome when authentication itself failed on the server side (not the caller's fault): 503,
 * retry in a few seconds. The one place that outcome is made.
 */
export function serverSideFailure(): Extract<InboundOutcome, { kind: 'unavailable' }> {
  return {
    kind: 'unavailable',
    retryAfterSeconds: SERVER_SIDE_RETRY_AFTER_SECONDS,
    errorDescription: 'authentication failed on the server side',
  };
}

const SERVER_SIDE_RETRY_AFTER_SECONDS = 5;

/** A quoted-string value for WWW-Authenticate: quotes, backslashes and control characters removed. */
function quote(value: string): string {
  return `"${value.replace(/["\\\p{Cc}]/gu, '')}"`;
}

/**
 * The one `WWW-Authenticate: Bearer` formatter: each parameter as a quoted string, in order, those
 * without a value left out.
 */
export function bearerChallenge(params: ReadonlyArray<readonly [string, string | undefined]>): string {
  const parts: string[] = [];
  for (const [name, value] of params) if (value) parts.push(`${name}=${quote(value)}`);
  return `Bearer ${parts.join(', ')}`;
}

/**
 * The challenge for an inbound outcome: `realm`, `resource_metadata`, and
 * `error`/`error_description`/`scope` when the outcome has them (none for a missing token, RFC 6750 §3.1).
 */
export function buildWwwAuthenticate(
  outcome: Extract<InboundOutcome, { kind: 'challenge' }>,
  options: ChallengeOptions,
): string {
  // a 401 says which scopes to ask for (MCP authorization: SHOULD); a 403 names the missing ones,
  // as the client must request them from Entra ID: under the resource's Application ID URI
  const scope =
    (outcome.scope && qualifyScopes(outcome.scope, options.resource)) ??
    (outcome.status === 401 ? options.scope : undefined);
  return bearerChallenge([
    ['realm', options.realm],
    ['resource_metadata', options.resourceMetadataUrl],
    ['error', outcome.error],
    ['error_description', outcome.errorDescription],
    ['scope', scope],
  ]);
}

/** Where a challenge is answered: the realm, the metadata URL, the 401's scope, the resource. */
export interface ChallengeOptions {
  readonly realm: string;
  readonly resourceMetadataUrl: string | undefined;
  readonly scope?: string | undefined;
  /** The protected resource URL; short scope names in a 403 are qualified with it. */
  readonly resource?: URL | string | undefined;
}

/**
 * Scope names as a client requests them from Entra ID: a short name (`mcp.admin`, as it appears in
 * the token's `scp`) becomes `{resource}/mcp.admin`, since Entra reads a bare name as a Microsoft
 * Graph scope and refuses it beside another resource's scopes (AADSTS28000). Full URIs stay.
 */
export function qualifyScopes(scope: string, resource: URL | string | undefined): string {
  if (resource === undefined) return scope;
  const prefix = String(resource).replace(/\/$/, '');
  return scope
    .split(' ')
    .filter((s) => s !== '')
    .map((s) => (s.includes('://') ? s : `${prefix}/${s}`))
    .join(' ');
}

/** A refusal as HTTP: status, headers and JSON body. */
export interface OutcomeHttp {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** A JSON answer: the one place an answer's JSON body and content type are made. */
export function jsonAnswer(status: number, body: unknown, headers: Record<string, string> = {}): OutcomeHttp {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/** The HTTP answer for a challenge or an outage; the one place outcomes become HTTP. */
export function outcomeHttp(
  outcome: Exclude<InboundOutcome, { kind: 'authenticated' } | { kind: 'anonymous' }>,
  options: ChallengeOptions,
): OutcomeHttp {
  if (outcome.kind === 'unavailable') {
    return jsonAnswer(
      503,
      { error: 'temporarily_unavailable', error_description: outcome.errorDescription },
      { 'retry-after': String(outcome.retryAfterSeconds) },
    );
  }
  return jsonAnswer(
    outcome.status,
    {
      error: outcome.error ?? 'unauthorized',
      error_description: outcome.errorDescription ?? 'a bearer token is required',
    },
    { 'www-authenticate': buildWwwAuthenticate(outcome, options) },
  );
}

/** Writes an answer on node:http / Express: the one place an OutcomeHttp becomes a response there. */
export function writeAnswer(res: ServerResponse, answer: OutcomeHttp): void {
  res.writeHead(answer.status, { ...answer.headers, 'content-length': Buffer.byteLength(answer.body) });
  res.end(answer.body);
}

/** The same answer as a web-standard Response. */
export function answerResponse(answer: OutcomeHttp): Response {
  return new Response(answer.body, { status: answer.status, headers: answer.headers });
}
