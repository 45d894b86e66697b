import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type AuthContextAccessor,
  createDefaultLogger,
  defaultAuthContextAccessor,
  type IInboundAuthSetup,
  type Logger,
  safeErrorMessage,
  toAuthInfo,
} from '@mcp-auth-kit/auth-core';
import { type AuthenticationResult, authenticationStage } from './authentication.js';
import { writeAnswer } from './challenge.js';
import type { ResourceUrlOptions } from './requestUrls.js';
import { NodeRequestView, thenStep } from './requestView.js';
import { sendJson } from './sendJson.js';

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
  const propagate = options.propagateContext ?? true;
  const logger = options.logger ?? createDefaultLogger();
  // the setup's canonical resource URL and accessor, unless the adapter was given its own
  const urls =
    !options.resourceUrl && setup.resourceUrl ? { ...options, resourceUrl: setup.resourceUrl } : options;
  const accessor = options.accessor ?? setup.accessor ?? defaultAuthContextAccessor;
  const authenticate = authenticationStage(setup, options);
  const decided = (
    view: NodeRequestView,
    res: ServerResponse,
    next: () => unknown,
    result: AuthenticationResult,
  ) => {
    if (result.kind === 'answer') {
      writeAnswer(res, result.answer);
      return;
    }
    const context = result.context;
    if (!context) return runNext(next, res, logger);
    view.request.auth = toAuthInfo(context, view.resource());
    if (propagate) accessor.run(context, () => runNext(next, res, logger));
    else runNext(next, res, logger);
  };
  return (req, res, next) => {
    const view = new NodeRequestView(req, urls);
    thenStep(authenticate(view), (result) => decided(view, res, next, result));
  };
}

/** An unexpected failure of the author's handler, logged once: its name and message, never a token. */
export function reportHandlerFailure(logger: Logger, error: unknown): void {
  logger.warn(`MCP handler failed unexpectedly: ${safeErrorMessage(error)}`);
}

/**
 * Runs the rest of the request. `next` may be an async handler (as in `auth(req, res, async () =>
 * …)`): what it returns is awaited, and a rejection is logged once, without any token, and answered
 * 500 instead of becoming an unhandled rejection.
 */
export function runNext(next: (error?: unknown) => unknown, res: ServerResponse, logger: Logger): void {
  const fail = (error: unknown) => {
    reportHandlerFailure(logger, error);
    if (!res.headersSent) sendJson(res, 500, { error: 'internal_error' });
    else res.destroy();
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
