import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type McpAuthInfo, type McpServerLike, resolveCaller } from '@mcp-auth-kit/auth-core';
import { sendJson } from '@mcp-auth-kit/inbound-jwt';
import { NodeStreamableHTTPServerTransport, toNodeHandler } from '@modelcontextprotocol/node';
import { McpServer as McpServerV1 } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport as TransportV1 } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { createMcpHandler, McpServer as McpServerV2 } from '@modelcontextprotocol/server';
import { AjvJsonSchemaValidator as AjvV2 } from '@modelcontextprotocol/server/validators/ajv';
import { type SessionLimits, SessionRegistry } from './sessions.js';

/** Which MCP SDK generation serves `/mcp`. */
export type SdkGeneration = 'v1' | 'v2';

/** A request that passed authentication (`auth`) and the tool policy (which may have parsed `body`). */
export type AuthenticatedRequest = IncomingMessage & { body?: unknown; auth?: McpAuthInfo };

/** Serves MCP on `/mcp` for authenticated requests. */
export interface McpServing {
  handle(req: AuthenticatedRequest, res: ServerResponse): Promise<void>;
  close(): Promise<void>;
}

export interface McpServingOptions {
  readonly sdk: SdkGeneration;
  readonly stateful: boolean;
  readonly sessions?: SessionLimits;
  /** Adds the server's tools to a new McpServer of either generation. */
  readonly register: (server: McpServerLike) => void;
}

const INFO = { name: 'mcp-auth-kit-example', version: '0.1.0' };

/**
 * MCP over Streamable HTTP on SDK v2 (default) or v1.
 *
 * - Stateless (default): v2's `createMcpHandler` answers 2026-07-28 requests and, through its
 *   stateless legacy fallback, 2025-06-18 / 2025-11-25 clients; v1 builds a server per request.
 * - Stateful (`--stateful`, a 2025-era feature: 2026-07-28 has no sessions): one transport per
 *   session, each bound to the caller who opened it and bounded by `SessionRegistry`.
 */
export function createMcpServing(options: McpServingOptions): McpServing {
  const newServer = options.sdk === 'v2' ? newServerV2(options.register) : newServerV1(options.register);
  if (!options.stateful) {
    if (options.sdk === 'v2') {
      // JSON answers keep the response open until the result, so a claims challenge can still be a
      // 401; the SDK warns about that choice at every start, a warning nobody can act on: dropped
      const handler = withoutJsonModeWarning(() =>
        createMcpHandler(() => newServer() as McpServerV2, { responseMode: 'json' }),
      );
      const node = toNodeHandler(handler);
      return {
        handle: (req, res) => node(req, res, req.body),
        close: () => handler.close(),
      };
    }
    return {
      async handle(req, res) {
        const mcp = newServer() as McpServerV1;
        const transport = new TransportV1({ sessionIdGenerator: undefined, enableJsonResponse: true });
        res.on('close', () => {
          transport.close().catch(() => {});
          mcp.close().catch(() => {});
        });
        await mcp.connect(transport);
        await transport.handleRequest(req, res, req.body);
      },
      close: async () => {},
    };
  }

  type SessionTransport = TransportV1 | NodeStreamableHTTPServerTransport;
  const sessions = new SessionRegistry<SessionTransport>(options.sessions);
  return {
    async handle(req, res) {
      const owner =
        resolveCaller(req.auth ? { authInfo: req.auth } : undefined)?.principal.objectId ?? 'anonymous';
      const sessionId = req.headers['mcp-session-id'];
      if (typeof sessionId === 'string') {
        // A session belongs to the caller who opened it: another caller gets "not found", not the
        // session; so does an expired or evicted one (the client then starts a new session).
        const transport = sessions.get(sessionId, owner);
        if (!transport) {
          sendJson(res, 404, {
            jsonrpc: '2.0',
            error: { code: -32001, message: 'Session not found' },
            id: null,
          });
          return;
        }
        await transport.handleRequest(req, res, req.body);
        return;
      }
      const transportOptions = {
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id: string) => {
          sessions.add(id, transport, owner);
        },
      };
      const transport: SessionTransport =
        options.sdk === 'v2'
          ? new NodeStreamableHTTPServerTransport(transportOptions)
          : new TransportV1(transportOptions);
      transport.onclose = () => {
        if (transport.sessionId) sessions.remove(transport.sessionId);
      };
      const mcp = newServer();
      await (mcp as unknown as { connect(t: unknown): Promise<void> }).connect(transport);
      await transport.handleRequest(req, res, req.body);
    },
    close: () => sessions.closeAll(),
  };
}

function newServerV2(register: (server: McpServerLike) => void): () => McpServerLike {
  // shared for the same reason as in v1 below (halves the cost of building a server per request)
  const jsonSchemaValidator = new AjvV2();
  return () => {
    const mcp = new McpServerV2(INFO, { jsonSchemaValidator });
    register(mcp);
    return mcp;
  };
}

function newServerV1(register: (server: McpServerLike) => void): () => McpServerLike {
  // One JSON Schema validator for every McpServer: the SDK otherwise builds a new Ajv instance per
  // server, which was about a quarter of the CPU time of a stateless request.
  const jsonSchemaValidator = new AjvJsonSchemaValidator();
  return () => {
    const mcp = new McpServerV1(INFO, { jsonSchemaValidator });
    register(mcp);
    return mcp;
  };
}

/** Runs `create` with the SDK's one `responseMode: 'json'` warning filtered out; every other warning passes. */
function withoutJsonModeWarning<T>(create: () => T): T {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (
      typeof args[0] === 'string' &&
      args[0].startsWith("responseMode: 'json' drops mid-call notifications")
    )
      return;
    warn(...args);
  };
  try {
    return create();
  } finally {
    console.warn = warn;
  }
}
