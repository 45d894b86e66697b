import { z } from 'zod';
import { identifierArg } from '../identifiers.js';
import { runCatalogQuery, SQL } from '../queries.js';
import {
  databaseArg,
  readOnlyAnnotations,
  serverArg,
  type ToolContext,
  type ToolDefinition,
  userArg,
} from './toolContext.js';

const input = z.object({
  server: serverArg,
  database: databaseArg.optional(),
  schema: identifierArg('schema').optional().describe('Schema; default public'),
  user: userArg,
});

/** `postgres_list`: the databases on a server, or the tables and views of a schema the caller can see. */
export function postgresList(ctx: ToolContext, name: string): ToolDefinition {
  return {
    name,
    config: {
      title: 'List PostgreSQL databases or tables',
      description:
        'With only "server": the databases on that server. With "server" and "database": the tables and views in "schema" (default public) that the caller can see.',
      inputSchema: input,
      annotations: readOnlyAnnotations,
    },
    callback: ctx.run(name, async (args: z.infer<typeof input>, extra) => {
      if (!args.database) {
        const rows = await ctx.withDatabase(args, extra, (c) =>
          runCatalogQuery<{ name: string }>(c, SQL.databases, [], ctx.limits),
        );
        return {
          text: rows.map((r) => r.name).join('\n') || '(no databases)',
          structured: { databases: rows.map((r) => r.name) },
        };
      }
      const schema = args.schema ?? 'public';
      const rows = await ctx.withDatabase(args, extra, (c) =>
        runCatalogQuery<{ name: string; type: string }>(c, SQL.tables, [schema], ctx.limits),
      );
      return {
        text:
          rows.map((r) => `${r.name} (${r.type})`).join('\n') || `(no tables visible in schema ${schema})`,
        structured: { schema, tables: rows },
      };
    }),
  };
}
