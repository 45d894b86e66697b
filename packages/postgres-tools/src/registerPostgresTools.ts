import {
  type AuthContextAccessor,
  createDefaultLogger,
  defaultAuthContextAccessor,
  type ITokenCredentialProvider,
  type Logger,
  type McpServerLike,
} from '@mcp-auth-kit/auth-core';
import { observeGauge } from '@mcp-auth-kit/auth-core/internal';
import { AzureResourceManager, type AzureResourceManagerOptions } from './azure/AzureResourceManager.js';
import { type ConnectionLimits, ConnectionManager, type ConnectionStats } from './ConnectionManager.js';
import type { QueryLimits } from './queries.js';
import { ResultBudget } from './ResultBudget.js';
import type { PostgresServerEntry } from './servers.js';
import { databaseOverview } from './tools/databaseOverview.js';
import { databaseQuery } from './tools/databaseQuery.js';
import { postgresList } from './tools/postgresList.js';
import { queryExplain } from './tools/queryExplain.js';
import { serverConfigGet } from './tools/serverConfigGet.js';
import { serverParamGet } from './tools/serverParamGet.js';
import { serverParamSet } from './tools/serverParamSet.js';
import { tableSchemaGet } from './tools/tableSchemaGet.js';
import { createToolContext } from './tools/toolContext.js';

export interface PostgresToolsOptions {
  /** Where the database password (an Entra token) comes from: per caller (JwtObo) or the host (ManagedIdentity). */
  readonly credentialProvider: ITokenCredentialProvider;
  /** Allow-listed servers by name. */
  readonly servers?: Readonly<Record<string, PostgresServerEntry>>;
  /**
   * Also accept any Azure Database for PostgreSQL server a caller names (`<name>` or its host
   * name). Default false: every such server shares one token audience, so a prompt-injected model
   * could send the caller's database token to a server an attacker owns. Opting in logs a warning.
   */
  readonly allowAzureHosts?: boolean;
  /** Where start-up warnings and unexpected failures go (never a token); default `@azure/logger` (AZURE_LOG_LEVEL). */
  readonly logger?: Logger;
  /** Login role when the outbound identity is the host's (ManagedIdentity / Default): the identity's role name. */
  readonly managedIdentityRoleName?: string;
  readonly limits?: Partial<QueryLimits> &
    ConnectionLimits & {
      /**
       * Result memory all calls together may hold at once (each reserves its `maxResultBytes`);
       * calls beyond it wait up to `connectTimeoutMs`, then get a retryable "busy" error. Default
       * 32 × `maxResultBytes`.
       */
      readonly maxInFlightResultBytes?: number;
    };
  readonly accessor?: AuthContextAccessor;
  /**
   * Azure Resource Manager access, as the caller: server discovery in these subscriptions
   * (`postgres_list` with subscription and resourceGroup), ARM's view of a server's configuration,
   * and reading and changing server parameters (`postgres_server_param_set`). Off by default.
   */
  readonly azureResourceManager?: AzureResourceManagerOptions;
  /** Prefix for tool names; default none (`postgres_list`, …). */
  readonly toolNamePrefix?: string;
}

/** The tool pack: its pools are shared by every MCP server it is registered on; close it on shutdown. */
export interface PostgresTools {
  readonly toolNames: readonly string[];
  /** Adds the tools to an MCP SDK v1 or v2 `McpServer` (e.g. one per session or per stateless request). */
  register(server: McpServerLike): void;
  stats(): ConnectionStats;
  close(): Promise<void>;
}

/**
 * Adds the PostgreSQL tools to an MCP SDK server. Each call logs in with an Entra token from the
 * credential provider (the calling user's for JwtObo) as the database password.
 *
 * @example
 * const tools = registerPostgresTools(server, { credentialProvider, servers: { local: { host: '127.0.0.1', port: 5432 } } });
 * process.on('SIGTERM', () => tools.close());
 */
export function registerPostgresTools(server: McpServerLike, options: PostgresToolsOptions): PostgresTools {
  const tools = createPostgresTools(options);
  tools.register(server);
  return tools;
}

/** The tool pack without registering it: call `register(server)` for each MCP server that should offer it. */
export function createPostgresTools(options: PostgresToolsOptions): PostgresTools {
  if (!options?.credentialProvider)
    throw new TypeError('registerPostgresTools: credentialProvider is required');
  const provider = options.credentialProvider;
  const servers = options.servers ?? {};
  const allowAzure = options.allowAzureHosts ?? false;
  const logger = options.logger ?? createDefaultLogger();
  if (allowAzure) {
    logger.warn(
      'Postgres tools: allowAzureHosts is on: callers may name any Azure Database for PostgreSQL server, and their database token goes to it. Prefer listing the servers you operate in "servers".',
    );
  }
  const accessor = options.accessor ?? defaultAuthContextAccessor;
  const limits: QueryLimits = {
    statementTimeoutMs: options.limits?.statementTimeoutMs ?? 15_000,
    maxStatementTimeoutMs: Math.max(
      options.limits?.maxStatementTimeoutMs ?? 60_000,
      options.limits?.statementTimeoutMs ?? 15_000,
    ),
    maxRows: options.limits?.maxRows ?? 1000,
    maxResultBytes: options.limits?.maxResultBytes ?? 100_000,
  };
  if (provider.actsFor !== 'caller' && !options.managedIdentityRoleName) {
    throw new TypeError(
      `registerPostgresTools: managedIdentityRoleName is required when outbound calls act for the host (outbound type ${provider.type})`,
    );
  }
  // Every tool call answers: its database work is cut off a little after the statement timeout.
  const connections = new ConnectionManager({
    operationDeadlineMs: limits.statementTimeoutMs + 10_000,
    ...options.limits,
  });
  const resultBudget = new ResultBudget({
    totalBytes: options.limits?.maxInFlightResultBytes ?? 32 * limits.maxResultBytes,
    waitMs: options.limits?.connectTimeoutMs ?? 10_000,
  });
  // gauges for OpenTelemetry (read at each export; nothing when no SDK is installed)
  const unobserve = [
    observeGauge('mcp_auth.postgres.pools', 'Open connection pools of the Postgres tools', () => [
      [connections.stats().openPools, {}],
    ]),
    observeGauge('mcp_auth.postgres.connections', 'Open database connections, by state', () => {
      const now = connections.connections();
      return [
        [now.busy, { state: 'busy' }],
        [now.idle, { state: 'idle' }],
      ];
    }),
  ];
  const prefix = options.toolNamePrefix ?? '';
  const arm = options.azureResourceManager
    ? new AzureResourceManager(options.azureResourceManager)
    : undefined;
  const ctx = createToolContext({
    provider,
    servers,
    allowAzureHosts: allowAzure,
    managedIdentityRoleName: options.managedIdentityRoleName,
    accessor,
    limits,
    connections,
    resultBudget,
    logger,
    arm,
  });
  // Built once: registering on a new McpServer (one per stateless request) reuses these schemas
  // and handlers instead of rebuilding them for every request.
  const definitions = [
    databaseOverview(ctx, `${prefix}postgres_database_overview`),
    postgresList(ctx, `${prefix}postgres_list`),
    tableSchemaGet(ctx, `${prefix}postgres_table_schema_get`),
    databaseQuery(ctx, `${prefix}postgres_database_query`),
    queryExplain(ctx, `${prefix}postgres_query_explain`),
    serverParamGet(ctx, `${prefix}postgres_server_param_get`),
    serverConfigGet(ctx, `${prefix}postgres_server_config_get`),
    // changing a parameter needs ARM: without it the tool is not offered at all
    ...(arm ? [serverParamSet(ctx, `${prefix}postgres_server_param_set`)] : []),
  ];

  function register(server: McpServerLike): void {
    for (const d of definitions) server.registerTool(d.name, d.config, d.callback as never);
  }

  return {
    toolNames: definitions.map((d) => d.name),
    register,
    stats: () => connections.stats(),
    close: () => {
      for (const stop of unobserve) stop();
      return connections.close();
    },
  };
}
