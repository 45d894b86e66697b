import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type AuthContextAccessor,
  defaultAuthContextAccessor,
  type McpAuthInfo,
  type RequestAuthContext,
  resolveCaller,
} from '@mcp-auth-kit/auth-core';
import { outcomeFor } from './challenge.js';
import { type NodeMiddleware, outcomeHttp, writeOutcome } from './createAuthMiddleware.js';
import { InboundAuthError } from './errors.js';
import { jsonDeeperThan, MAX_JSON_DEPTH } from './jsonDepth.js';
import {
  metadataUrlFor,
  type ResourceUrlOptions,
  resourceUrlFor,
  resourceUrlForFetch,
} from './requestUrls.js';
import { sendJson } from './sendJson.js';

/** What a tool needs: any one of the listed scopes or roles suffices. */
export interface ToolRequirement {
  readonly scopes?: readonly string[];
  readonly roles?: readonly string[];
}

/** Per-tool requirements, by tool name; tools not listed need nothing beyond authentication. */
export type ToolPolicy = Readonly<Record<string, ToolRequirement>>;

/** Undefined when `context` may call `toolName`, else the `insufficient_scope` error naming what is needed. */
export function checkToolPolicy(
  caller: RequestAuthContext | undefined | (() => RequestAuthContext | undefined),
  toolName: string,
  policy: ToolPolicy,
): InboundAuthError | undefined {
  const need = Object.hasOwn(policy, toolName) ? policy[toolName] : undefined;
  if (!need) return undefined;
  const scopes = need.scopes ?? [];
  const roles = need.roles ?? [];
  if (scopes.length === 0 && roles.length === 0) return undefined;
  // the caller is looked up only for a tool the policy names
  const context = typeof caller === 'function' ? caller() : caller;
  if (
    context &&
    (scopes.some((s) => context.scopes.includes(s)) || roles.some((r) => context.roles.includes(r)))
  ) {
    return undefined;
  }
  return new InboundAuthError(
    'insufficient_scope',
    `the tool ${toolName} needs one of: ${[...scopes, ...roles].join(', ')}`,
    // only scopes can be requested (app roles are assigned): the 403's scope names those alone
    scopes.length > 0 ? { scope: scopes.join(' ') } : {},
  );
}

export interface ToolPolicyMiddlewareOptions extends ResourceUrlOptions {
  readonly realm?: string;
  readonly accessor?: AuthContextAccessor;
  /** Largest request body read, in bytes; default 4 MiB. */
  readonly maxBodyBytes?: number;
}

type BodyRequest = IncomingMessage & { body?: unknown; auth?: McpAuthInfo };

const TOO_DEEP = `Parse error: the body nests deeper than ${MAX_JSON_DEPTH} levels`;

async function readJsonBody(
  req: BodyRequest,
  limit: number,
): Promise<{ ok: true; body: unknown } | { ok: false; status: number; message: string }> {
  if (req.body !== undefined) return { ok: true, body: req.body };
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return { ok: false, status: 413, message: 'Request body too large' };
    chunks.push(chunk as Buffer);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return { ok: false, status: 400, message: 'Parse error' };
  }
  if (jsonDeeperThan(body)) return { ok: false, status: 400, message: TOO_DEEP };
  return { ok: true, body };
}

/** The first protocol revision whose requests carry `Mcp-Method` / `Mcp-Name` (SEP-2243). */
const MODERN_REVISION = '2026-07-28';
const BASE64_SENTINEL = /^=\?base64\?([A-Za-z0-9+/]*={0,2})\?=$/;
const HEADER_MISMATCH = -32020;

/** `Mcp-Name` as sent: plain, or `=?base64?…?=` for values a header cannot carry; null when malformed. */
export function decodeMcpNameHeader(value: string): string | null {
  const m = BASE64_SENTINEL.exec(value);
  if (!m) return value;
  const decoded = Buffer.from(m[1]!, 'base64');
  if (decoded.toString('base64') !== m[1]) return null;
  return decoded.toString('utf8');
}

/** Reads one header from node's headers or a `Headers`; null when a node header is repeated. */
type HeaderReader = (name: string) => string | undefined | null;

/** What the policy decided about a POST, before or after its body was read. */
export type ToolPolicyDecision =
  | { readonly kind: 'allow' }
  /** An older protocol revision: decide again with the parsed body. */
  | { readonly kind: 'needs_body' }
  | { readonly kind: 'refuse'; readonly error: InboundAuthError }
  /** Missing, repeated or disagreeing routing headers (JSON-RPC -32020, HTTP 400). */
  | { readonly kind: 'malformed'; readonly message: string };

/**
 * The one policy decision for every adapter. A 2026-07-28 request (its `MCP-Protocol-Version`
 * names that revision or a later one) is decided from `Mcp-Method` / `Mcp-Name`; a body, when one
 * was already parsed, must agree with them. Older revisions carry no such headers: they need the
 * parsed body (`needs_body`), and then every `tools/call` in it (a batch included) is checked.
 */
export function decideToolPolicy(
  header: HeaderReader,
  body: { readonly parsed: unknown } | undefined,
  caller: RequestAuthContext | undefined | (() => RequestAuthContext | undefined),
  policy: ToolPolicy,
): ToolPolicyDecision {
  const version = header('mcp-protocol-version');
  if (typeof version === 'string' && version.trim() >= MODERN_REVISION) {
    const method = header('mcp-method')?.trim();
    if (!method)
      return { kind: 'malformed', message: 'a 2026-07-28 request needs exactly one Mcp-Method header' };
    let tool: string | undefined;
    if (method === 'tools/call') {
      const raw = header('mcp-name')?.trim();
      if (!raw)
        return {
          kind: 'malformed',
          message: 'a 2026-07-28 tools/call request needs exactly one Mcp-Name header',
        };
      const decoded = decodeMcpNameHeader(raw);
      if (decoded === null)
        return { kind: 'malformed', message: 'the Mcp-Name header carries an invalid Base64 value' };
      tool = decoded;
    }
    if (body && bodyDisagrees(body.parsed, method, tool)) {
      return { kind: 'malformed', message: 'the Mcp-Method / Mcp-Name headers disagree with the body' };
    }
    const denied = tool === undefined ? undefined : checkToolPolicy(caller, tool, policy);
    return denied ? { kind: 'refuse', error: denied } : { kind: 'allow' };
  }
  if (!body) return { kind: 'needs_body' };
  const messages = Array.isArray(body.parsed) ? body.parsed : [body.parsed];
  for (const message of messages) {
    const m = message as { method?: unknown; params?: { name?: unknown } } | null;
    if (m?.method !== 'tools/call' || typeof m.params?.name !== 'string') continue;
    const denied = checkToolPolicy(caller, m.params.name, policy);
    if (denied) return { kind: 'refuse', error: denied };
  }
  return { kind: 'allow' };
}

function bodyDisagrees(body: unknown, method: string, tool: string | undefined): boolean {
  const m = body as { method?: unknown; params?: { name?: unknown } } | null;
  if (Array.isArray(body) || typeof m !== 'object' || m === null) return true;
  if (m.method !== method) return true;
  return tool !== undefined && m.params?.name !== tool;
}

/**
 * Checks a `tools/call` request against the per-tool policy before the MCP transport sees it, and
 * answers 403 `insufficient_scope` naming the scope (the MCP step-up flow, SEP-2350).
 *
 * A 2026-07-28 request is decided from its `Mcp-Method` / `Mcp-Name` headers without reading the
 * body; the SDK behind refuses a body that disagrees with them (-32020), and so does this
 * middleware when a body parser has already run. Older revisions carry no such headers: the JSON
 * body is read, parsed and left on `req.body` (pass it to `transport.handleRequest(req, res, req.body)`).
 */
export function createToolPolicyMiddleware(
  policy: ToolPolicy,
  options: ToolPolicyMiddlewareOptions = {},
): NodeMiddleware {
  const accessor = options.accessor ?? defaultAuthContextAccessor;
  const limit = options.maxBodyBytes ?? 4 * 1024 * 1024;
  const callerOf = (req: BodyRequest): RequestAuthContext | undefined =>
    accessor.current() ?? resolveCaller(req.auth ? { authInfo: req.auth } : undefined);
  const answer = (req: BodyRequest, res: ServerResponse, decision: ToolPolicyDecision): boolean => {
    if (decision.kind === 'malformed') {
      writeJsonRpcError(res, 400, HEADER_MISMATCH, decision.message);
      return true;
    }
    if (decision.kind !== 'refuse') return false;
    const outcome = outcomeFor(decision.error);
    if (outcome.kind !== 'challenge') return false;
    const resource = resourceUrlFor(req, options);
    writeOutcome(res, outcome, {
      realm: options.realm ?? 'mcp',
      resourceMetadataUrl: metadataUrlFor(resource),
      resource,
    });
    return true;
  };
  return (request, res, next) => {
    const req = request as BodyRequest;
    if (req.method !== 'POST') return next();
    const header: HeaderReader = (name) => {
      const v = req.headers[name];
      return Array.isArray(v) ? null : v;
    };
    const parsed = req.body !== undefined ? { parsed: req.body } : undefined;
    const caller = () => callerOf(req);
    const first = decideToolPolicy(header, parsed, caller, policy);
    if (first.kind !== 'needs_body') {
      if (!answer(req, res, first)) next();
      return;
    }
    readJsonBody(req, limit).then(
      (result) => {
        if (!result.ok) {
          // Drain what the client is still sending so it can read the answer, then close.
          req.resume();
          writeJsonRpcError(res, result.status, -32700, result.message, { connection: 'close' });
          return;
        }
        req.body = result.body;
        const second = decideToolPolicy(header, { parsed: result.body }, caller, policy);
        if (!answer(req, res, second)) next();
      },
      (error: unknown) => next(error),
    );
  };
}

/**
 * The same policy for fetch-style hosts: `undefined` to go on, or the refusal `Response`. A 2025
 * request's body is read from a clone (at most `maxBodyBytes`), so the request stays readable.
 */
export function createToolPolicyFetchCheck(
  policy: ToolPolicy,
  options: Omit<ToolPolicyMiddlewareOptions, 'accessor'> = {},
): (request: Request, authInfo: McpAuthInfo | undefined) => Promise<Response | undefined> {
  const limit = options.maxBodyBytes ?? 4 * 1024 * 1024;
  return async (request, authInfo) => {
    if (request.method !== 'POST') return undefined;
    const header: HeaderReader = (name) => request.headers.get(name) ?? undefined;
    const caller = () => resolveCaller(authInfo ? { authInfo } : undefined);
    let decision = decideToolPolicy(header, undefined, caller, policy);
    if (decision.kind === 'needs_body') {
      const text = await request.clone().text();
      if (Buffer.byteLength(text) > limit) return jsonRpcErrorResponse(413, -32700, 'Request body too large');
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return jsonRpcErrorResponse(400, -32700, 'Parse error');
      }
      if (jsonDeeperThan(parsed)) return jsonRpcErrorResponse(400, -32700, TOO_DEEP);
      decision = decideToolPolicy(header, { parsed }, caller, policy);
    }
    if (decision.kind === 'malformed') return jsonRpcErrorResponse(400, HEADER_MISMATCH, decision.message);
    if (decision.kind !== 'refuse') return undefined;
    const outcome = outcomeFor(decision.error);
    if (outcome.kind !== 'challenge') return undefined;
    const resource = resourceUrlForFetch(request, options);
    const http = outcomeHttp(outcome, {
      realm: options.realm ?? 'mcp',
      resourceMetadataUrl: metadataUrlFor(resource),
      resource,
    });
    return new Response(http.body, { status: http.status, headers: http.headers });
  };
}

function jsonRpcErrorResponse(status: number, code: number, message: string): Response {
  return Response.json({ jsonrpc: '2.0', error: { code, message }, id: null }, { status });
}

function writeJsonRpcError(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { jsonrpc: '2.0', error: { code, message }, id: null }, headers);
}
