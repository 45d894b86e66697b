import type { IncomingMessage } from 'node:http';
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

/**
 * Checks a `tools/call` request against the per-tool policy before the MCP transport sees it, and
 * answers 403 `insufficient_scope` naming the scope (the MCP step-up flow). It reads and parses the
 * JSON body and leaves it on `req.body`: pass that to `transport.handleRequest(req, res, req.body)`.
 */
export function createToolPolicyMiddleware(
  policy: ToolPolicy,
  options: ToolPolicyMiddlewareOptions = {},
): NodeMiddleware {
  const accessor = options.accessor ?? defaultAuthContextAccessor;
  const limit = options.maxBodyBytes ?? 4 * 1024 * 1024;
  return (request, res, next) => {
    const req = request as BodyRequest;
    if (req.method !== 'POST') return next();
    readJsonBody(req, limit).then(
      (result) => {
        if (!result.ok) {
          // Drain what the client is still sending so it can read the answer, then close.
          req.resume();
          res.writeHead(result.status, { 'content-type': 'application/json', connection: 'close' });
          res.end(
            JSON.stringify({ jsonrpc: '2.0', error: { code: -32700, message: result.message }, id: null }),
          );
          return;
        }
        req.body = result.body;
        const messages = Array.isArray(result.body) ? result.body : [result.body];
        let context = accessor.current();
        if (!context && req.auth) {
          try {
            context = fromAuthInfo(req.auth);
          } catch {
            context = undefined;
          }
        }
        for (const message of messages) {
          const m = message as { method?: unknown; params?: { name?: unknown } } | null;
          if (m?.method !== 'tools/call' || typeof m.params?.name !== 'string') continue;
          const denied = checkToolPolicy(context, m.params.name, policy);
          if (denied) {
            const resource = resourceUrlFor(req, options);
            const outcome = outcomeFor(denied);
            if (outcome.kind === 'challenge') {
              writeOutcome(res, outcome, {
                realm: options.realm ?? 'mcp',
                resourceMetadataUrl: metadataUrlFor(resource),
              });
              return;
            }
          }
        }
        next();
      },
      (error: unknown) => next(error),
    );
  };
}
