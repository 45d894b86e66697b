import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type AuthContextAccessor,
  createDefaultLogger,
  defaultAuthContextAccessor,
  type IInboundAuthSetup,
  type InboundOutcome,
  type Logger,
  type RequestAuthContext,
  safeErrorMessage,
  toAuthInfo,
} from '@mcp-auth-kit/auth-core';
import { buildWwwAuthenticate, type ChallengeOptions, serverSideFailure } from './challenge.js';
import { metadataUrlFor, type ResourceUrlOptions, resourceUrlFor } from './requestUrls.js';

export interface AuthMiddlewareOptions extends ResourceUrlOptions {
  /** `realm` of the challenge; default `mcp`. */
  readonly realm?: string;
  /** The accessor to run the rest of the request in; default the setup's own, else `defaultAuthContextAccessor`. */
  readonly accessor?: AuthContextAccessor;
  /**
   * Run the rest of the request inside the accessor (AsyncLocalStorage); default true. With false
   * the caller travels only explicitly (`req.auth`, the MCP SDK's `extra.authInfo`), which saves the
   * AsyncLocalStorage cost that Node 20 and 22 put on every promise.
   */
  readonly propagateContext?: boolean;
  /** Where an unexpected failure of the setup is reported (once, without any token); default `@azure/logger`. */
  readonly logger?: Logger;
}

/** A node:http / express middleware: `(req, res, next)`. */
export type NodeMiddleware = (
  req: IncomingMessage,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => void;

/** A refusal as HTTP: status, headers and JSON body. */
export interface OutcomeHttp {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** The HTTP answer for a challenge or an outage; the one place outcomes become HTTP. */
export function outcomeHttp(
  outcome: Exclude<InboundOutcome, { kind: 'authenticated' } | { kind: 'anonymous' }>,
  options: ChallengeOptions,
): OutcomeHttp {
  if (outcome.kind === 'unavailable') {
    return {
      status: 503,
      headers: { 'content-type': 'application/json', 'retry-after': String(outcome.retryAfterSeconds) },
      body: JSON.stringify({ error: 'temporarily_unavailable', error_description: outcome.errorDescription }),
    };
  }
  return {
    status: outcome.status,
    headers: {
      'content-type': 'application/json',
      'www-authenticate': buildWwwAuthenticate(outcome, options),
    },
    body: JSON.stringify({
      error: outcome.error ?? 'unauthorized',
      error_description: outcome.errorDescription ?? 'a bearer token is required',
    }),
  };
}

/** Writes the response for a challenge or an outage (node:http / Express). */
export function writeOutcome(
  res: ServerResponse,
  outcome: Exclude<InboundOutcome, { kind: 'authenticated' } | { kind: 'anonymous' }>,
  options: ChallengeOptions,
): void {
  const http = outcomeHttp(outcome, options);
  res.writeHead(http.status, http.headers);
  res.end(http.body);
}

/**
 * Authenticates each request with `setup`: on success sets `req.auth` (the MCP SDK's AuthInfo) and
 * runs the rest of the request inside the request auth context; otherwise answers 401/403 with a
 * `WWW-Authenticate` challenge pointing at the protected-resource metadata, or 503 with Retry-After.
 * Works as express middleware and with plain node:http (`middleware(req, res, () => handler(req, res))`).
 */
export function createAuthMiddleware(
  setup: IInboundAuthSetup,
  options: AuthMiddlewareOptions = {},
): NodeMiddleware {
  const realm = options.realm ?? 'mcp';
  const propagate = options.propagateContext ?? true;
  const logger = options.logger ?? createDefaultLogger();
  // the setup's canonical resource URL and accessor, unless the adapter was given its own
  if (!options.resourceUrl && setup.resourceUrl) options = { ...options, resourceUrl: setup.resourceUrl };
  const accessor = options.accessor ?? setup.accessor ?? defaultAuthContextAccessor;
  const authenticated = (
    req: IncomingMessage,
    res: ServerResponse,
    next: () => unknown,
    context: RequestAuthContext,
  ) => {
    (req as IncomingMessage & { auth?: unknown }).auth = toAuthInfo(context, resourceUrlFor(req, options));
    if (propagate) accessor.run(context, () => proceed(next, res, logger));
    else proceed(next, res, logger);
  };
  return (req, res, next) => {
    // a token seen before is answered at once: no promise
    const known = setup.authenticateCached?.(req);
    if (known?.kind === 'authenticated') {
      authenticated(req, res, next, known.context);
      return;
    }
    setup.authenticate(req).then(
      (outcome) => {
        if (outcome.kind === 'authenticated') {
          authenticated(req, res, next, outcome.context);
        } else if (outcome.kind === 'anonymous') {
          proceed(next, res, logger);
        } else {
          const resource = resourceUrlFor(req, options);
          writeOutcome(res, outcome, {
            realm,
            resourceMetadataUrl: metadataUrlFor(resource),
            resource,
            scope: setup.challengeScope?.(resource),
          });
        }
      },
      (error: unknown) => {
        logger.warn(`Inbound auth: ${setup.type} failed unexpectedly: ${safeErrorMessage(error)}`);
        writeOutcome(res, serverSideFailure(), { realm, resourceMetadataUrl: undefined });
      },
    );
  };
}

/**
 * Runs the rest of the request. `next` may be an async handler (as in `auth(req, res, async () =>
 * …)`): what it returns is awaited, and a rejection is logged once, without any token, and answered
 * 500 instead of becoming an unhandled rejection.
 */
function proceed(next: (error?: unknown) => unknown, res: ServerResponse, logger: Logger): void {
  const fail = (error: unknown) => {
    logger.warn(`MCP handler failed unexpectedly: ${safeErrorMessage(error)}`);
    if (!res.headersSent) {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'internal_error' }));
    } else res.destroy();
  };
  try {
    const returned = next() as unknown;
    if (returned && typeof (returned as Promise<unknown>).then === 'function') {
      (returned as Promise<unknown>).then(undefined, fail);
    }
  } catch (error) {
    fail(error);
  }
}
