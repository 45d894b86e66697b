import type { TokenCredential } from '@azure/core-auth';
import {
  type AuthContextAccessor,
  type ITokenCredentialProvider,
  type Logger,
  McpAuthKitError,
  type McpToolAnnotations,
  type McpToolExtra,
  type McpToolResult,
  resolveCaller,
  safeErrorMessage,
} from '@mcp-auth-kit/auth-core';
import { withSpan, withTraceContext } from '@mcp-auth-kit/auth-core/internal';
import { z } from 'zod';
import type { ArmLocation, AzureResourceManager } from '../azure/AzureResourceManager.js';
import { DiscoveredServers } from '../azure/DiscoveredServers.js';
import type { ConnectionManager, Lease } from '../ConnectionManager.js';
import { describePgError } from '../describePgError.js';
import { PostgresToolError } from '../errors.js';
import { identifierArg } from '../identifiers.js';
import type { QueryLimits } from '../queries.js';
import type { ResultBudget } from '../ResultBudget.js';
import { type PostgresServerEntry, type ResolvedServer, resolveServer } from '../servers.js';

/** One tool, built once and registered on every McpServer (one per stateless request, say). */
export interface ToolDefinition {
  readonly name: string;
  readonly config: {
    title: string;
    description: string;
    inputSchema: z.ZodObject;
    annotations: McpToolAnnotations;
  };
  readonly callback: (args: never, extra: McpToolExtra) => Promise<McpToolResult>;
}

/** What a tool's answer is before it becomes an MCP result. */
export interface ToolAnswer {
  readonly text: string;
  readonly structured: Record<string, unknown>;
}

/** What every tool shares: limits, the connection to the caller's database, and the error handling. */
export interface ToolContext {
  readonly limits: QueryLimits;
  /** Resolves server and login role for the caller, reserves result memory, and runs `fn` on a connection. */
  /** Azure Resource Manager, when the operator configured it (`azureResourceManager`). */
  readonly arm: AzureResourceManager | undefined;
  withDatabase<T>(
    args: { server: string; database?: string; user?: string; subscription?: string; resourceGroup?: string },
    extra: McpToolExtra,
    fn: (lease: Lease, target: ResolvedServer) => Promise<T>,
    call?: { readonly timeoutMs?: number },
  ): Promise<T>;
  /**
   * Runs `fn` against ARM as the caller (their On-Behalf-Of token for ARM, or the host's identity).
   * Refused with a clear error when the operator configured no ARM access.
   */
  withAzure<T>(
    extra: McpToolExtra,
    fn: (arm: AzureResourceManager, credential: TokenCredential, callerKey: string) => Promise<T>,
  ): Promise<T>;
  /** Servers a caller discovered through ARM, usable by name in every tool afterwards (bounded, expiring). */
  readonly discovered: DiscoveredServers;
  /** Wraps a handler: its answer becomes a tool result; a failure becomes a tool error with clear text. */
  run<A>(
    tool: string,
    handler: (args: A, extra: McpToolExtra) => Promise<ToolAnswer>,
  ): (args: A, extra: McpToolExtra) => Promise<McpToolResult>;
}

export const serverArg = identifierArg('server', 255).describe(
  'The server: a name from the servers the operator configured (e.g. "local")',
);
export const databaseArg = identifierArg('database').describe('The database name');
export const userArg = identifierArg('user')
  .optional()
  .describe(
    'Login role; by default the caller (their user principal name) or the configured managed identity role',
  );
const DEADLINE_MARGIN_MS = 10_000;

/** The per-call `timeoutMs` argument: at least 100 ms, at most the configured ceiling. */
export function timeoutMsArg(limits: QueryLimits, what: string) {
  return z
    .number()
    .int()
    .min(100)
    .max(limits.maxStatementTimeoutMs)
    .optional()
    .describe(`${what}; default ${limits.statementTimeoutMs}, at most ${limits.maxStatementTimeoutMs}`);
}

export const subscriptionArg = z
  .string()
  .max(64)
  .optional()
  .describe(
    'Azure subscription id of the server (one of those the operator configured); with resourceGroup, the server is found through Azure Resource Manager',
  );
export const resourceGroupArg = identifierArg('resourceGroup', 90)
  .optional()
  .describe('Azure resource group of the server (with subscription)');

export const readOnlyAnnotations: McpToolAnnotations = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
};

export function createToolContext(options: {
  readonly provider: ITokenCredentialProvider;
  readonly servers: Readonly<Record<string, PostgresServerEntry>>;
  readonly allowAzureHosts: boolean;
  readonly managedIdentityRoleName: string | undefined;
  readonly accessor: AuthContextAccessor;
  readonly limits: QueryLimits;
  readonly connections: ConnectionManager;
  readonly resultBudget: ResultBudget;
  readonly logger: Logger;
  readonly arm?: AzureResourceManager | undefined;
}): ToolContext {
  const { provider, limits, connections, resultBudget, arm } = options;
  const perCaller = provider.actsFor === 'caller';
  const discovered = new DiscoveredServers();
  const callerOf = (extra: McpToolExtra) => {
    const caller = resolveCaller(extra, options.accessor);
    if (perCaller && !caller) {
      throw new PostgresToolError(
        'no_caller',
        'this tool acts as the caller, but the request is not authenticated',
      );
    }
    // a provider may serve some callers (app-only ones) with the host's identity
    const asCaller = perCaller && (provider.identityFor?.(caller) ?? 'caller') === 'caller';
    return { caller, asCaller, key: asCaller ? (caller?.principal.objectId ?? 'anonymous') : 'host' };
  };
  const withAzure: ToolContext['withAzure'] = async (extra, fn) => {
    if (!arm) {
      throw new PostgresToolError(
        'invalid_input',
        'this server has no Azure Resource Manager access configured; name a configured server without subscription and resourceGroup',
      );
    }
    const { caller, key } = callerOf(extra);
    return fn(arm, provider.getTokenCredential(caller), key);
  };
  /** The server a call names: configured, discovered by this caller, or found now through ARM. */
  const resolveTarget = async (
    args: { server: string; subscription?: string; resourceGroup?: string },
    extra: McpToolExtra,
  ): Promise<ResolvedServer> => {
    if (args.subscription !== undefined || args.resourceGroup !== undefined) {
      if (args.subscription === undefined || args.resourceGroup === undefined) {
        throw new PostgresToolError('invalid_input', 'give both subscription and resourceGroup, or neither');
      }
      const at: ArmLocation = { subscription: args.subscription, resourceGroup: args.resourceGroup };
      return withAzure(extra, async (azure, credential, key) => {
        const found = await azure.getServer(credential, at, args.server);
        const fqdn = found.properties.fullyQualifiedDomainName;
        if (!fqdn) throw new PostgresToolError('not_found', `Azure names no host for server ${args.server}`);
        discovered.remember(key, args.server, { ...at, fqdn });
        return resolveServer(args.server, { [args.server]: azure.connectTarget(fqdn) }, false);
      });
    }
    if (arm && !Object.hasOwn(options.servers, args.server)) {
      const known = discovered.lookup(callerOf(extra).key, args.server);
      if (known) return resolveServer(args.server, { [args.server]: arm.connectTarget(known.fqdn) }, false);
    }
    return resolveServer(args.server, options.servers, options.allowAzureHosts);
  };
  return {
    limits,
    arm,
    discovered,
    withAzure,
    async withDatabase(args, extra, fn, call = {}) {
      const target = await resolveTarget(args, extra);
      const { caller, asCaller, key } = callerOf(extra);
      const role =
        args.user ?? (asCaller ? caller?.principal.userPrincipalName : options.managedIdentityRoleName);
      if (!role) {
        throw new PostgresToolError(
          'invalid_input',
          'the caller has no user principal name (an app token); pass "user" with the login role',
        );
      }
      const credential = provider.getTokenCredential(caller);
      let release: (() => void) | undefined;
      try {
        release = await resultBudget.reserve(limits.maxResultBytes);
        return await connections.withClient(
          {
            server: target,
            database: args.database ?? 'postgres',
            role,
            callerKey: key,
            credential,
          },
          (lease) => fn(lease, target),
          // a call that asked for a longer timeout is cut off a little after it
          call.timeoutMs === undefined ? {} : { deadlineMs: call.timeoutMs + DEADLINE_MARGIN_MS },
        );
      } catch (error) {
        // the credential provider's failures are the kit's own errors (OutboundCredentialError);
        // branched on the class (this package sees the provider only through its interface), not a name
        if (error instanceof McpAuthKitError && !(error instanceof PostgresToolError)) {
          throw new PostgresToolError(
            'credential_error',
            `no database token for the caller: ${(error as Error).message}`,
            {
              cause: error,
            },
          );
        }
        throw describePgError(error, {
          role,
          server: target.name,
          timeoutMs: call.timeoutMs ?? limits.statementTimeoutMs,
        });
      } finally {
        release?.();
      }
    },
    run(tool, handler) {
      // each call is a span (`tools/call <tool>`), a child of the trace the request carried in
      // `_meta.traceparent` (2026-07-28): v2 hands it over as ctx.mcpReq._meta, v1 as extra._meta
      return (args, extra) => {
        const e = extra as { _meta?: unknown; mcpReq?: { _meta?: unknown } } | undefined;
        return withTraceContext(e?.mcpReq?._meta ?? e?._meta, () =>
          withSpan(
            `tools/call ${tool}`,
            { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': tool },
            (span) =>
              runTool(args, extra).then((result) => {
                if (result.isError) span.setAttribute('error.type', 'tool_error');
                return result;
              }),
          ),
        );
      };
      async function runTool(
        args: Parameters<typeof handler>[0],
        extra: McpToolExtra,
      ): Promise<McpToolResult> {
        try {
          const { text, structured } = await handler(args, extra);
          return { content: [{ type: 'text', text }], structuredContent: structured };
        } catch (error) {
          if (error instanceof PostgresToolError) {
            return { isError: true, content: [{ type: 'text', text: error.message }] };
          }
          // not one of ours: the operator learns about it once, the caller gets no internals
          options.logger.warn(`Postgres tools: ${tool} failed unexpectedly: ${safeErrorMessage(error)}`);
          return {
            isError: true,
            content: [{ type: 'text', text: 'the tool failed unexpectedly; the server is still running' }],
          };
        }
      }
    },
  };
}
