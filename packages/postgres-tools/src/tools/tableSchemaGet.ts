import { z } from 'zod';
import { PostgresToolError } from '../errors.js';
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
  database: databaseArg,
  table: identifierArg('table').describe('Table name'),
  schema: identifierArg('schema').optional().describe('Schema; default public'),
  user: userArg,
});

/** `postgres_table_schema_get`: columns, primary key, indexes and foreign keys of a table. */
export function tableSchemaGet(ctx: ToolContext, name: string): ToolDefinition {
  return {
    name,
    config: {
      title: 'Describe a PostgreSQL table',
      description: 'Columns (type, nullability, default), primary key, indexes and foreign keys of a table.',
      inputSchema: input,
      annotations: readOnlyAnnotations,
    },
    callback: ctx.run(name, async (args: z.infer<typeof input>, extra) => {
      const schema = args.schema ?? 'public';
      const key = [schema, args.table];
      const result = await ctx.withDatabase(args, extra, async (c) => {
        const columns = await runCatalogQuery(c, SQL.columns, key, ctx.limits);
        if (columns.length === 0) {
          throw new PostgresToolError(
            'not_found',
            `table ${schema}.${args.table} does not exist or is not visible to the caller`,
          );
        }
        const primaryKey = (await runCatalogQuery<{ name: string }>(c, SQL.primaryKey, key, ctx.limits)).map(
          (r) => r.name,
        );
        const indexes = await runCatalogQuery(c, SQL.indexes, key, ctx.limits);
        const foreignKeys = await runCatalogQuery(c, SQL.foreignKeys, key, ctx.limits);
        return { schema, table: args.table, columns, primaryKey, indexes, foreignKeys };
      });
      return { text: JSON.stringify(result, null, 2), structured: result };
    }),
  };
}
