import { z } from 'zod';
import { PostgresToolError } from '../errors.js';
import { identifierArg } from '../identifiers.js';
import { runCatalogQuery, SQL } from '../queries.js';
import {
  databaseArg,
  readOnlyAnnotations,
  resourceGroupArg,
  serverArg,
  subscriptionArg,
  type ToolContext,
  type ToolDefinition,
  userArg,
} from './toolContext.js';

const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

const input = z.object({
  server: serverArg
    .optional()
    .describe(
      'The server: a configured name, or a flexible server found through subscription and resourceGroup',
    ),
  subscription: subscriptionArg,
  resourceGroup: resourceGroupArg,
  database: databaseArg.optional(),
  schema: identifierArg('schema').optional().describe('A schema: list its tables and views'),
  limit: z.number().int().min(1).max(MAX_PAGE).optional().describe(`Page size; default ${DEFAULT_PAGE}`),
  cursor: z.string().max(200).optional().describe('The nextCursor of the previous page'),
  user: userArg,
});

interface Relation {
  name: string;
  kind: string;
  comment: string | null;
  estimatedRows: string | null;
}

/**
 * `postgres_list`: the databases on a server; with a database, the schemas the caller may use
 * (with how many relations they may read in each); with a schema, its tables, views, materialized
 * views and foreign tables, each with kind, comment and estimated row count, a page at a time.
 */
export function postgresList(ctx: ToolContext, name: string): ToolDefinition {
  return {
    name,
    config: {
      title: 'List PostgreSQL databases, schemas or tables',
      description:
        'With "subscription" and "resourceGroup" and no "server": the Azure Database for PostgreSQL flexible servers there that the caller can see (usable by name in every tool afterwards). With only "server": the databases. With "database": the schemas the caller can use, with a count of their tables. With "schema" too: its tables, views, materialized views and foreign tables (kind, comment, estimated rows), a page at a time ("limit", "cursor"). For a whole database at once, call postgres_database_overview.',
      inputSchema: input,
      annotations: readOnlyAnnotations,
    },
    callback: ctx.run(name, async (asked: z.infer<typeof input>, extra) => {
      if (asked.server === undefined) {
        if (asked.subscription === undefined || asked.resourceGroup === undefined) {
          throw new PostgresToolError(
            'invalid_input',
            'name a "server", or a "subscription" and "resourceGroup" to list the flexible servers there',
          );
        }
        const at = { subscription: asked.subscription, resourceGroup: asked.resourceGroup };
        const servers = await ctx.withAzure(extra, async (arm, credential, callerKey) => {
          const found = await arm.listServers(credential, at);
          return found.map((s) => {
            const fqdn = s.properties.fullyQualifiedDomainName ?? '';
            if (fqdn) ctx.discovered.remember(callerKey, s.name, { ...at, fqdn });
            return {
              name: s.name,
              fullyQualifiedDomainName: fqdn,
              location: s.location,
              version: s.properties.version ?? null,
              state: s.properties.state ?? null,
              sku: s.sku?.name ?? null,
              tier: s.sku?.tier ?? null,
            };
          });
        });
        return {
          text:
            servers
              .map(
                (s) =>
                  `${s.name} (${s.fullyQualifiedDomainName}; PostgreSQL ${s.version}, ${s.tier} ${s.sku}, ${s.state}, ${s.location})`,
              )
              .join('\n') || `(no flexible servers visible in resource group ${at.resourceGroup})`,
          structured: { subscription: at.subscription, resourceGroup: at.resourceGroup, servers },
        };
      }
      const args = { ...asked, server: asked.server };
      if (!args.database) {
        const rows = await ctx.withDatabase(args, extra, (c) =>
          runCatalogQuery<{ name: string }>(c, SQL.databases, [], ctx.limits),
        );
        return {
          text: rows.map((r) => r.name).join('\n') || '(no databases)',
          structured: { databases: rows.map((r) => r.name) },
        };
      }
      if (!args.schema) {
        const schemas = await ctx.withDatabase(args, extra, (c) =>
          runCatalogQuery<{ name: string; comment: string | null; relations: number }>(
            c,
            SQL.schemas,
            [],
            ctx.limits,
          ),
        );
        return {
          text:
            schemas
              .map((s) => `${s.name} (${s.relations} tables${s.comment ? `; ${s.comment}` : ''})`)
              .join('\n') || '(no schemas the caller can use)',
          structured: { schemas },
        };
      }
      const page = args.limit ?? DEFAULT_PAGE;
      const after = decodeCursor(args.cursor);
      const rows = await ctx.withDatabase(args, extra, (c) =>
        runCatalogQuery<Relation>(c, SQL.relations, [args.schema, after, page + 1], ctx.limits),
      );
      const tables = rows.slice(0, page).map((r) => ({
        ...r,
        estimatedRows: r.estimatedRows === null ? null : Number(r.estimatedRows),
      }));
      const nextCursor = rows.length > page ? encodeCursor(tables.at(-1)!.name) : undefined;
      const lines = tables.map(
        (t) =>
          `${t.name} (${t.kind}${t.estimatedRows === null ? '' : `, ~${t.estimatedRows} rows`})${t.comment ? `: ${t.comment}` : ''}`,
      );
      return {
        text:
          (lines.join('\n') || `(no tables visible in schema ${args.schema})`) +
          (nextCursor ? `\n(more: pass cursor "${nextCursor}")` : ''),
        structured: { schema: args.schema, tables, ...(nextCursor ? { nextCursor } : {}) },
      };
    }),
  };
}

function encodeCursor(lastName: string): string {
  return Buffer.from(lastName, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string | undefined): string {
  if (cursor === undefined) return '';
  const name = Buffer.from(cursor, 'base64url').toString('utf8');
  if (encodeCursor(name) !== cursor)
    throw new PostgresToolError('invalid_input', 'the cursor is not one this tool gave');
  return name;
}
