import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type AuthContextAccessor,
  defaultAuthContextAccessor,
  fromAuthInfo,
  type McpAuthInfo,
  type RequestAuthContext,
} from '@mcp-auth-kit/auth-core';
import { outcomeFor } from './challenge.js';
import { type NodeMiddleware, writeOutcome } from './createAuthMiddleware.js';
import { InboundAuthError } from './errors.js';
import { metadataUrlFor, type ResourceUrlOptions, resourceUrlFor } from './requestUrls.js';

/** What a tool needs: any one of the listed scopes or roles suffices. */
export interface ToolRequirement {
  readonly scopes?: readonly string[];
  readonly roles?: readonly string[];
}

/** Per-tool requirements, by tool name; tools not listed need nothing beyond authentication. */
export type ToolPolicy = Readonly<Record<string, ToolRequirement>>;

/** Undefined when `context` may call `toolName`, else the `insufficient_scope` error naming what is needed. */
export function checkToolPolicy(
  context: RequestAuthContext | undefined,
  toolName: string,
  policy: ToolPolicy,
): InboundAuthError | undefined {
  const need = Object.hasOwn(policy, toolName) ? policy[toolName] : undefined;
  if (!need) return undefined;
  const scopes = need.scopes ?? [];
  const roles = need.roles ?? [];
  if (scopes.length === 0 && roles.length === 0) return undefined;
  if (
    context &&
    (scopes.some((s) => context.scopes.includes(s)) || roles.some((r) => context.roles.includes(r)))
  ) {
    return undefined;
  }
  return new InboundAuthError(
    'insufficient_scope',
    `the tool ${toolName} needs one of: ${[...scopes, ...roles].join(', ')}`,
    {
      scope: [...scopes, ...roles].join(' '),
    },
  );
}

export interface ToolPolicyMiddlewareOptions extends ResourceUrlOptions {
  readonly realm?: string;
  readonly accessor?: AuthContextAccessor;
  /** Largest request body read, in bytes; default 4 MiB. */
  readonly maxBodyBytes?: number;
}

type BodyRequest = IncomingMessage & { body?: unknown; auth?: McpAuthInfo };

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
  try {
    return { ok: true, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) };
  } catch {
    return { ok: false, status: 400, message: 'Parse error' };
  }
}

/** The first protocol revision whose requests carry `Mcp-Method` / `Mcp-Name` (SEP-2243). */
const MODERN_REVISION = '2026-07-28';
const BASE64_SENTINEL = /^=\?base64\?([A-Za-z0-9+/]*={0,2})\?=$/;

/** A header's single value (a repeated header is refused as malformed). */
function single(value: string | string[] | undefined): string | undefined | null {
  if (Array.isArray(value)) return null;
  return value?.trim();
}

/** `Mcp-Name` as sent: plain, or `=?base64?…?=` for values a header cannot carry; null when malformed. */
export function decodeMcpNameHeader(value: string): string | null {
  const m = BASE64_SENTINEL.exec(value);
  if (!m) return value;
  const decoded = Buffer.from(m[1]!, 'base64');
  if (decoded.toString('base64') !== m[1]) return null;
  return decoded.toString('utf8');
}

/** The tool a 2026-07-28 request calls according to its headers, `undefined` for another method; an error text when they are unusable. */
function toolFromHeaders(
  headers: IncomingMessage['headers'],
): { tool?: string; method: string } | { error: string } {
  const method = single(headers['mcp-method']);
  if (method === null || !method)
    return { error: 'a 2026-07-28 request needs exactly one Mcp-Method header' };
  if (method !== 'tools/call') return { method };
  const raw = single(headers['mcp-name']);
  if (raw === null || !raw)
    return { error: 'a 2026-07-28 tools/call request needs exactly one Mcp-Name header' };
  const tool = decodeMcpNameHeader(raw);
  if (tool === null) return { error: 'the Mcp-Name header carries an invalid Base64 value' };
  return { method, tool };
}

/** Whether an already parsed body disagrees with the headers a decision was made from. */
function bodyDisagrees(body: unknown, decided: { method: string; tool?: string }): boolean {
  const m = body as { method?: unknown; params?: { name?: unknown } } | null;
  if (Array.isArray(body) || typeof m !== 'object' || m === null) return true;
  if (m.method !== decided.method) return true;
  return decided.tool !== undefined && m.params?.name !== decided.tool;
}

/**
 * Checks a `tools/call` request against the per-tool policy before the MCP transport sees it, and
 * answers 403 `insufficient_scope` naming the scope (the MCP step-up flow, SEP-2350).
 *
 * A 2026-07-28 request (its `MCP-Protocol-Version` header names that revision or a later one) is
 * decided from its `Mcp-Method` / `Mcp-Name` headers without reading the body; the SDK behind
 * refuses a body that disagrees with them (-32020), and so does this middleware when a body
 * parser has already run. Older revisions carry no such headers: the JSON body is read, parsed and
 * left on `req.body` (pass it to `transport.handleRequest(req, res, req.body)`).
 */
export function createToolPolicyMiddleware(
  policy: ToolPolicy,
  options: ToolPolicyMiddlewareOptions = {},
): NodeMiddleware {
  const accessor = options.accessor ?? defaultAuthContextAccessor;
  const limit = options.maxBodyBytes ?? 4 * 1024 * 1024;
  const callerOf = (req: BodyRequest): RequestAuthContext | undefined => {
    const current = accessor.current();
    if (current || !req.auth) return current;
    try {
      return fromAuthInfo(req.auth);
    } catch {
      return undefined;
    }
  };
  /** True when the request was answered (refused). */
  const refuse = (req: BodyRequest, res: ServerResponse, tool: string): boolean => {
    const denied = checkToolPolicy(callerOf(req), tool, policy);
    if (!denied) return false;
    const outcome = outcomeFor(denied);
    if (outcome.kind !== 'challenge') return false;
    writeOutcome(res, outcome, {
      realm: options.realm ?? 'mcp',
      resourceMetadataUrl: metadataUrlFor(resourceUrlFor(req, options)),
    });
    return true;
  };
  return (request, res, next) => {
    const req = request as BodyRequest;
    if (req.method !== 'POST') return next();
    const version = single(req.headers['mcp-protocol-version']);
    if (typeof version === 'string' && version >= MODERN_REVISION) {
      const decided = toolFromHeaders(req.headers);
      if ('error' in decided || (req.body !== undefined && bodyDisagrees(req.body, decided))) {
        writeJsonRpcError(
          res,
          400,
          -32020,
          'error' in decided ? decided.error : 'the Mcp-Method / Mcp-Name headers disagree with the body',
        );
        return;
      }
      if (decided.tool !== undefined && refuse(req, res, decided.tool)) return;
      return next();
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
        const messages = Array.isArray(result.body) ? result.body : [result.body];
        for (const message of messages) {
          const m = message as { method?: unknown; params?: { name?: unknown } } | null;
          if (m?.method !== 'tools/call' || typeof m.params?.name !== 'string') continue;
          if (refuse(req, res, m.params.name)) return;
        }
        next();
      },
      (error: unknown) => next(error),
    );
  };
}

function writeJsonRpcError(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}
