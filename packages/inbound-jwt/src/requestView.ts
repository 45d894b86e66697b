import type { IncomingMessage } from 'node:http';
import type { InboundRequest } from '@mcp-auth-kit/auth-core';
import { readBounded } from '@mcp-auth-kit/auth-core/internal';
import { jsonAnswer, type OutcomeHttp } from './challenge.js';
import { jsonDeeperThan, MAX_JSON_DEPTH } from './jsonDepth.js';
import { type ResourceUrlOptions, resourceUrlFor, resourceUrlForFetch } from './requestUrls.js';

/** A value now, or later: the stages answer at once when they can (a known token costs no promise). */
export type Step<T> = T | Promise<T>;

/** Runs `next` on a step's value: at once when it is there, else when it settles. */
export function thenStep<T, U>(value: Step<T>, next: (value: T) => Step<U>): Step<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}

/** A body read for the tool policy: the parsed JSON, or the refusal to send. */
export type BodyRead =
  | { readonly ok: true; readonly parsed: unknown }
  | { readonly ok: false; readonly answer: OutcomeHttp };

/**
 * One request as the stages read it, whichever host it came from (node:http and Express, or a
 * web-standard `Request`): the stages are written once against this.
 */
export interface RequestView {
  readonly method: string;
  /** One header by its lower-case name; null when a node header is repeated. */
  header(name: string): string | undefined | null;
  /**
   * What the inbound setup reads: `cached` for its synchronous look-up of a known token (the
   * Authorization header alone will do), else the whole request.
   */
  inbound(cached: boolean): InboundRequest;
  /** The public MCP resource URL (shared: read it, never change it). */
  resource(): URL;
  /** The JSON body when a body parser has already read it. */
  parsedBody(): unknown;
  /** Reads and parses the JSON body, at most `limit` bytes, or says what to answer instead. */
  readBody(limit: number): Promise<BodyRead>;
}

const TOO_DEEP = `Parse error: the body nests deeper than ${MAX_JSON_DEPTH} levels`;

/** The JSON-RPC error a transport answers a body it cannot read with (no id: there is none yet). */
export function jsonRpcErrorAnswer(
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): OutcomeHttp {
  return jsonAnswer(status, { jsonrpc: '2.0', error: { code, message }, id: null }, headers);
}

function parseBody(text: string): BodyRead {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, answer: jsonRpcErrorAnswer(400, -32700, 'Parse error') };
  }
  if (jsonDeeperThan(parsed)) return { ok: false, answer: jsonRpcErrorAnswer(400, -32700, TOO_DEEP) };
  return { ok: true, parsed };
}

type BodyRequest = IncomingMessage & { body?: unknown };

/**
 * A node:http / Express request. A body read here is left on `req.body` for the MCP transport
 * (`transport.handleRequest(req, res, req.body)`); one refused is drained and answered with
 * `connection: close`, so the client can read the answer. (A class: a request costs one object.)
 */
export class NodeRequestView implements RequestView {
  /** The request itself (the adapters set `auth` on it). */
  readonly request: BodyRequest & { auth?: unknown };
  readonly #req: BodyRequest;
  readonly #urls: ResourceUrlOptions;
  #resource: URL | undefined;

  constructor(req: IncomingMessage, urls: ResourceUrlOptions) {
    this.request = req;
    this.#req = req;
    this.#urls = urls;
  }

  get method(): string {
    return this.#req.method ?? 'GET';
  }

  header(name: string): string | undefined | null {
    const value = this.#req.headers[name];
    return Array.isArray(value) ? null : value;
  }

  inbound(): InboundRequest {
    return this.#req;
  }

  resource(): URL {
    this.#resource ??= resourceUrlFor(this.#req, this.#urls);
    return this.#resource;
  }

  parsedBody(): unknown {
    return this.#req.body;
  }

  async readBody(limit: number): Promise<BodyRead> {
    const req = this.#req;
    if (req.body !== undefined) return { ok: true, parsed: req.body };
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > limit) return refuseNodeBody(req, jsonRpcErrorAnswer(413, -32700, 'Request body too large'));
      chunks.push(chunk as Buffer);
    }
    const read = parseBody(Buffer.concat(chunks).toString('utf8'));
    if (!read.ok) return refuseNodeBody(req, read.answer);
    req.body = read.parsed;
    return read;
  }
}

/** Drains what the client is still sending so it can read the answer, which then closes the connection. */
function refuseNodeBody(req: IncomingMessage, answer: OutcomeHttp): BodyRead {
  req.resume();
  return { ok: false, answer: { ...answer, headers: { ...answer.headers, connection: 'close' } } };
}

/** A web-standard `Request`. Its body is read from a clone, so the request stays readable. */
export class FetchRequestView implements RequestView {
  readonly #request: Request;
  readonly #urls: ResourceUrlOptions;
  #resource: URL | undefined;

  constructor(request: Request, urls: ResourceUrlOptions) {
    this.#request = request;
    this.#urls = urls;
  }

  get method(): string {
    return this.#request.method;
  }

  header(name: string): string | undefined {
    return this.#request.headers.get(name) ?? undefined;
  }

  inbound(cached: boolean): InboundRequest {
    const request = this.#request;
    if (cached) {
      const authorization = request.headers.get('authorization');
      return { headers: authorization === null ? {} : { authorization } };
    }
    return { headers: headersOf(request), method: request.method, url: new URL(request.url).pathname };
  }

  resource(): URL {
    this.#resource ??= resourceUrlForFetch(this.#request, this.#urls);
    return this.#resource;
  }

  parsedBody(): unknown {
    return undefined;
  }

  async readBody(limit: number): Promise<BodyRead> {
    // read to the limit and no further: an endless body is refused, not buffered
    const body = await readBounded(this.#request.clone().body, limit);
    if (body === undefined) {
      return { ok: false, answer: jsonRpcErrorAnswer(413, -32700, 'Request body too large') };
    }
    return parseBody(body.toString('utf8'));
  }
}

/** Request headers as node:http presents them (lower-case names; a repeated Authorization kept as a list). */
function headersOf(request: Request): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  request.headers.forEach((value, name) => {
    out[name] = value;
  });
  // Headers joins repeated values with ", "; a second credential must still be refused
  const authorization = out.authorization;
  if (typeof authorization === 'string' && /,\s*bearer\s/i.test(authorization)) {
    out.authorization = authorization.split(/,\s*(?=bearer\s)/i);
  }
  return out;
}
