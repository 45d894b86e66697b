import {
  type AuthContextAccessor,
  defaultAuthContextAccessor,
  type ITokenCredentialProvider,
  type McpServerLike,
  type McpToolAnnotations,
  type McpToolExtra,
  type McpToolResult,
  resolveCaller,
} from '@mcp-auth-kit/auth-core';
import { z } from 'zod';
import {
  type ConnectionLimits,
  ConnectionManager,
  type ConnectionStats,
  type Lease,
} from './ConnectionManager.js';
import { describePgError } from './describePgError.js';
import { PostgresToolError } from './errors.js';
import { identifierArg } from './identifiers.js';
import { MAIN_SETTINGS, type QueryLimits, runCatalogQuery, runReadOnly, SQL } from './queries.js';
import { ResultBudget } from './ResultBudget.js';
import { type PostgresServerEntry, type ResolvedServer, resolveServer } from './servers.js';

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
  /** Where the start-up warnings go; default `console.warn`. */
  readonly logger?: { warn(message: string): void };
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

interface ToolDefinition {
  readonly name: string;
  readonly config: {
    title: string;
    description: string;
    inputSchema: z.ZodObject;
    annotations: McpToolAnnotations;
  };
  readonly callback: (args: never, extra: McpToolExtra) => Promise<McpToolResult>;
}

const serverArg = identifierArg('server', 255).describe(
  'The server: a configured name, or an Azure Database for PostgreSQL server name (e.g. "contoso-pg")',
);
const databaseArg = identifierArg('database').describe('The database name');
const userArg = identifierArg('user')
  .optional()
  .describe(
    'Login role; by default the caller (their user principal name) or the configured managed identity role',
  );

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
  if (allowAzure) {
    (options.logger ?? console).warn(
      'Postgres tools: allowAzureHosts is on: callers may name any Azure Database for PostgreSQL server, and their database token goes to it. Prefer listing the servers you operate in "servers".',
    );
  }
  const accessor = options.accessor ?? defaultAuthContextAccessor;
  const limits: QueryLimits = {
    statementTimeoutMs: options.limits?.statementTimeoutMs ?? 15_000,
    maxRows: options.limits?.maxRows ?? 1000,
    maxResultBytes: options.limits?.maxResultBytes ?? 1024 * 1024,
  };
  const perCaller = provider.actsFor === 'caller';
  if (!perCaller && !options.managedIdentityRoleName) {
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
  const prefix = options.toolNamePrefix ?? '';

  async function withDatabase<T>(
    args: { server: string; database?: string; user?: string },
    extra: McpToolExtra,
    fn: (lease: Lease, target: ResolvedServer) => Promise<T>,
  ): Promise<T> {
    const target = resolveServer(args.server, servers, allowAzure);
    const caller = resolveCaller(extra, accessor);
    if (perCaller && !caller) {
      throw new PostgresToolError(
        'no_caller',
        'this tool logs in as the caller, but the request is not authenticated',
      );
    }
    let role = args.user;
    if (!role) {
      role = perCaller ? caller?.principal.userPrincipalName : options.managedIdentityRoleName;
      if (!role) {
        throw new PostgresToolError(
          'invalid_input',
          'the caller has no user principal name (an app token); pass "user" with the login role',
        );
      }
    }
    const credential = provider.getTokenCredential(caller);
    const database = args.database ?? 'postgres';
    let release: (() => void) | undefined;
    try {
      release = await resultBudget.reserve(limits.maxResultBytes);
      return await connections.withClient(
        {
          server: target,
          database,
          role,
          callerKey: perCaller ? (caller?.principal.objectId ?? 'anonymous') : 'host',
          credential,
        },
        (lease) => fn(lease, target),
      );
    } catch (error) {
      if ((error as { name?: string }).name === 'OutboundCredentialError') {
        throw new PostgresToolError(
          'credential_error',
          `no database token for the caller: ${(error as Error).message}`,
          { cause: error },
        );
      }
      throw describePgError(error, { role, server: target.name, timeoutMs: limits.statementTimeoutMs });
    } finally {
      release?.();
    }
  }

  function run<A>(
    handler: (args: A, extra: McpToolExtra) => Promise<{ text: string; structured: Record<string, unknown> }>,
  ) {
    return async (args: A, extra: McpToolExtra): Promise<McpToolResult> => {
      try {
        const { text, structured } = await handler(args, extra);
        return { content: [{ type: 'text', text }], structuredContent: structured };
      } catch (error) {
        const message =
          error instanceof PostgresToolError
            ? error.message
            : 'the tool failed unexpectedly; the server is still running';
        return { isError: true, content: [{ type: 'text', text: message }] };
      }
    };
  }

  const annotations = {
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  };
  const names = {
    list: `${prefix}postgres_list`,
    schema: `${prefix}postgres_table_schema_get`,
    query: `${prefix}postgres_database_query`,
    param: `${prefix}postgres_server_param_get`,
    config: `${prefix}postgres_server_config_get`,
  };

  // Built once: registering on a new McpServer (one per stateless request) reuses these schemas
  // and handlers instead of rebuilding them for every request.
  const definitions: ToolDefinition[] = [];
  const define = (name: string, config: ToolDefinition['config'], callback: ToolDefinition['callback']) => {
    definitions.push({ name, config, callback });
  };
  define(
    names.list,
    {
      title: 'List PostgreSQL databases or tables',
      description:
        'With only "server": the databases on that server. With "server" and "database": the tables and views in "schema" (default public) that the caller can see.',
      inputSchema: z.object({
        server: serverArg,
        database: databaseArg.optional(),
        schema: identifierArg('schema').optional().describe('Schema; default public'),
        user: userArg,
      }),
      annotations,
    },
    run(async (args: { server: string; database?: string; schema?: string; user?: string }, extra) => {
      if (!args.database) {
        const rows = await withDatabase(args, extra, (c) =>
          runCatalogQuery<{ name: string }>(c, SQL.databases, [], limits),
        );
        return {
          text: rows.map((r) => r.name).join('\n') || '(no databases)',
          structured: { databases: rows.map((r) => r.name) },
        };
      }
      const schema = args.schema ?? 'public';
      const rows = await withDatabase(args, extra, (c) =>
        runCatalogQuery<{ name: string; type: string }>(c, SQL.tables, [schema], limits),
      );
      return {
        text:
          rows.map((r) => `${r.name} (${r.type})`).join('\n') || `(no tables visible in schema ${schema})`,
        structured: { schema, tables: rows },
      };
    }),
  );

  define(
    names.schema,
    {
      title: 'Describe a PostgreSQL table',
      description: 'Columns (type, nullability, default), primary key, indexes and foreign keys of a table.',
      inputSchema: z.object({
        server: serverArg,
        database: databaseArg,
        table: identifierArg('table').describe('Table name'),
        schema: identifierArg('schema').optional().describe('Schema; default public'),
        user: userArg,
      }),
      annotations,
    },
    run(
      async (
        args: { server: string; database: string; table: string; schema?: string; user?: string },
        extra,
      ) => {
        const schema = args.schema ?? 'public';
        const result = await withDatabase(args, extra, async (c) => {
          const t = limits;
          const columns = await runCatalogQuery(c, SQL.columns, [schema, args.table], t);
          if (columns.length === 0) {
            throw new PostgresToolError(
              'not_found',
              `table ${schema}.${args.table} does not exist or is not visible to the caller`,
            );
          }
          const primaryKey = (
            await runCatalogQuery<{ name: string }>(c, SQL.primaryKey, [schema, args.table], t)
          ).map((r) => r.name);
          const indexes = await runCatalogQuery(c, SQL.indexes, [schema, args.table], t);
          const foreignKeys = await runCatalogQuery(c, SQL.foreignKeys, [schema, args.table], t);
          return { schema, table: args.table, columns, primaryKey, indexes, foreignKeys };
        });
        return { text: JSON.stringify(result, null, 2), structured: result };
      },
    ),
  );

  define(
    names.query,
    {
      title: 'Run a read-only SQL query',
      description: `Runs exactly one read-only SQL statement as the caller. Returns the column names once and each row as an array. At most ${limits.maxRows} rows and ${limits.maxResultBytes} bytes are returned (truncated is true when cut); the statement times out after ${limits.statementTimeoutMs} ms. Writes are refused.`,
      inputSchema: z.object({
        server: serverArg,
        database: databaseArg,
        query: z
          .string()
          .min(1)
          .max(100_000)
          .describe('One SQL statement, e.g. SELECT * FROM orders LIMIT 10'),
        user: userArg,
      }),
      annotations,
    },
    run(async (args: { server: string; database: string; query: string; user?: string }, extra) => {
      const result = await withDatabase(args, extra, (c) => runReadOnly(c, args.query, limits));
      const note = !result.truncated
        ? ''
        : result.truncatedReason === 'rows'
          ? `\n(truncated: more than ${limits.maxRows} rows; add LIMIT, a WHERE clause or an aggregate)`
          : `\n(truncated: the result is larger than ${limits.maxResultBytes} bytes${result.rowCount === 0 ? ' before its first row ended' : ''}; select fewer or shorter columns, e.g. left(col, 200), add LIMIT, or aggregate)`;
      const text = JSON.stringify({ columns: result.columns.map((c) => c.name), rows: result.rows });
      return { text: `${text}${note}`, structured: { ...result } };
    }),
  );

  define(
    names.param,
    {
      title: 'Get a PostgreSQL server parameter',
      description: "A server setting's value, unit and description.",
      inputSchema: z.object({
        server: serverArg,
        param: identifierArg('param', 100).describe('Setting name, e.g. max_connections'),
        user: userArg,
      }),
      annotations,
    },
    run(async (args: { server: string; param: string; user?: string }, extra) => {
      const rows = await withDatabase(args, extra, (c) =>
        runCatalogQuery(c, SQL.param, [args.param], limits),
      );
      if (rows.length === 0)
        throw new PostgresToolError('not_found', `no server parameter named ${args.param.slice(0, 100)}`);
      return { text: JSON.stringify(rows[0]), structured: rows[0]! };
    }),
  );

  define(
    names.config,
    {
      title: 'Get PostgreSQL server configuration',
      description: 'Server version and the main settings.',
      inputSchema: z.object({ server: serverArg, user: userArg }),
      annotations,
    },
    run(async (args: { server: string; user?: string }, extra) => {
      const result = await withDatabase(args, extra, async (c) => {
        const [version] = await runCatalogQuery<{ version: string }>(c, 'SELECT version()', [], limits);
        const settings = await runCatalogQuery(c, SQL.config, [MAIN_SETTINGS], limits);
        return { version: version?.version ?? '', settings };
      });
      return { text: JSON.stringify(result, null, 2), structured: result };
    }),
  );

  function register(server: McpServerLike): void {
    for (const d of definitions) server.registerTool(d.name, d.config, d.callback as never);
  }

  return {
    toolNames: Object.values(names),
    register,
    stats: () => ({ ...connections.stats, openPools: connections.openPools }),
    close: () => connections.close(),
  };
}
