// node:http and Express over the one pipeline (pipeline.ts): the request is read through a
// NodeRequestView, answers are written with writeAnswer, and the handler runs with `req.auth`.
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type Logger,
  type McpAuthInfo,
  type RequestAuthContext,
  safeErrorMessage,
} from '@mcp-auth-kit/auth-core';
import {
  answerClaimsChallenges,
  type ClaimsChallengeOptions,
  jsonAnswer,
  NodeRequestView,
  type OutcomeHttp,
  type ResourceUrlOptions,
  runNext,
  writeAnswer,
} from '@mcp-auth-kit/inbound-jwt';
import { nodeOriginRequest, type OriginRequest } from './originPolicy.js';
import { type Exchange, NOT_OWN_PATH, type PipelineStages, runPipeline } from './pipeline.js';
import type { AuthenticatedRequest } from './types.js';

export interface NodeAdapterOptions {
  readonly stages: PipelineStages;
  readonly urls: ResourceUrlOptions;
  /** The façade's and the metadata's own paths; true when it answered. */
  readonly ownPath: (req: IncomingMessage, res: ServerResponse) => boolean;
  readonly logger: Logger;
  /** Clear the bearer token from the request once authenticated (`node()`; `express()` leaves it for the middleware after it). */
  readonly dropToken: boolean;
}

/**
 * One request through the pipeline: `next` runs once it passed (an Express `next`, or the author's
 * handler), awaited; a throw or rejection is logged once and answered 500.
 */
export function runNode(
  options: NodeAdapterOptions,
  req: IncomingMessage,
  res: ServerResponse,
  next: (req: AuthenticatedRequest) => unknown,
): void {
  // Only reading the request should fail here (the client went away mid-body): the stages and the
  // handler answer their own failures. Anything else is logged and answered, never a crash of the
  // process (a throw out of a node:http listener is an uncaught exception).
  try {
    const done = runPipeline(options.stages, new NodeExchange(options, req, res, next));
    if (done instanceof Promise) done.catch((error: unknown) => failed(options, res, error, UNREADABLE));
  } catch (error) {
    failed(options, res, error, INTERNAL);
  }
}

function failed(options: NodeAdapterOptions, res: ServerResponse, error: unknown, answer: OutcomeHttp): void {
  options.logger.warn(`MCP request failed before the handler: ${safeErrorMessage(error)}`);
  if (!res.headersSent) writeAnswer(res, answer);
  else res.destroy();
}

/** One node:http request and its response (a class: a request costs one object, no closures). */
class NodeExchange implements Exchange<undefined> {
  readonly view: NodeRequestView;
  readonly #options: NodeAdapterOptions;
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  readonly #next: (req: AuthenticatedRequest) => unknown;

  constructor(
    options: NodeAdapterOptions,
    req: IncomingMessage,
    res: ServerResponse,
    next: (req: AuthenticatedRequest) => unknown,
  ) {
    this.view = new NodeRequestView(req, options.urls);
    this.#options = options;
    this.#req = req;
    this.#res = res;
    this.#next = next;
  }

  ownPath(): undefined | typeof NOT_OWN_PATH {
    return this.#options.ownPath(this.#req, this.#res) ? undefined : NOT_OWN_PATH;
  }

  origin(): OriginRequest {
    return nodeOriginRequest(this.#req);
  }

  reply(answer: OutcomeHttp): undefined {
    writeAnswer(this.#res, answer);
  }

  handle(
    auth: McpAuthInfo | undefined,
    context: RequestAuthContext | undefined,
    claims: ClaimsChallengeOptions | undefined,
  ): undefined {
    const req = this.#req as AuthenticatedRequest;
    if (auth) {
      req.auth = auth;
      if (claims) answerClaimsChallenges(req, this.#res, context, claims);
      if (this.#options.dropToken) dropAuthorizationHeader(req);
    }
    const next = this.#next;
    runNext(() => next(req), this.#res, this.#options.logger);
  }
}

const UNREADABLE = jsonAnswer(400, { error: 'invalid_request' });
const INTERNAL = jsonAnswer(500, { error: 'internal_error' });

/**
 * The bearer token has done its work once the request is authenticated: the handler has it as
 * `req.auth.token`. Cleared from `req.headers` and removed from `req.rawHeaders`, it is not copied
 * into the MCP SDK's web Request (1.3 kB of header validated and copied per call), nor logged by
 * anything downstream that prints request headers. (Cleared, not deleted: a delete would turn the
 * headers object into a slow dictionary for every later lookup.)
 */
function dropAuthorizationHeader(req: IncomingMessage): void {
  req.headers.authorization = undefined;
  const raw = req.rawHeaders;
  for (let i = raw.length - 2; i >= 0; i -= 2) {
    const name = raw[i]!;
    if (name.length === 13 && name.toLowerCase() === 'authorization') raw.splice(i, 2);
  }
}
