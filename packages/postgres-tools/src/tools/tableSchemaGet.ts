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

const input = z.object({
  server: serverArg,
  subscription: subscriptionArg,
  resourceGroup: resourceGroupArg,
  database: databaseArg,
  table: identifierArg('table').describe('Table, view or materialized view name'),
  schema: identifierArg('schema').optional().describe('Schema; default public'),
  user: userArg,
});

/**
 * `postgres_table_schema_get`: a relation's columns with their real types (enum labels, domains,
 * arrays, vector(n)), nullability, defaults, identity and generated expressions, comments; its
 * constraints (primary, unique, check, foreign keys with the table referenced) and indexes; and a
 * view's definition.
 */
export function tableSchemaGet(ctx: ToolContext, name: string): ToolDefinition {
  return {
    name,
    config: {
      title: 'Describe a PostgreSQL table or view',
      description:
        'Columns (real type names with enum labels and domains, nullability, default, identity, generated, comment), constraints (primary key, unique, check, foreign keys with the referenced table), indexes, the table comment, and a view definition.',
      inputSchema: input,
      annotations: readOnlyAnnotations,
    },
    callback: ctx.run(name, async (args: z.infer<typeof input>, extra) => {
      const schema = args.schema ?? 'public';
      const key = [schema, args.table];
      const result = await ctx.withDatabase(args, extra, async (c) => {
        const [relation] = await runCatalogQuery<{
          kind: string;
          comment: string | null;
          estimatedRows: string | null;
          definition: string | null;
        }>(c, SQL.relation, key, ctx.limits);
        const columns = relation ? await runCatalogQuery(c, SQL.columns, key, ctx.limits) : [];
        if (!relation || columns.length === 0) {
          throw new PostgresToolError(
            'not_found',
            `table ${schema}.${args.table} does not exist or is not visible to the caller`,
          );
        }
        const constraints = await runCatalogQuery<{
          name: string;
          kind: string;
          definition: string;
          references: string | null;
        }>(c, SQL.constraints, key, ctx.limits);
        const primaryKey = (await runCatalogQuery<{ name: string }>(c, SQL.primaryKey, key, ctx.limits)).map(
          (r) => r.name,
        );
        const indexes = await runCatalogQuery(c, SQL.indexes, key, ctx.limits);
        return {
          schema,
          table: args.table,
          kind: relation.kind,
          comment: relation.comment,
          estimatedRows: relation.estimatedRows === null ? null : Number(relation.estimatedRows),
          columns: columns.map((col) =>
            Object.fromEntries(Object.entries(col).filter(([, v]) => v !== null)),
          ),
          primaryKey,
          constraints,
          foreignKeys: constraints.filter((k) => k.kind === 'foreign key'),
          indexes,
          ...(relation.definition ? { definition: relation.definition } : {}),
        };
      });
      return { text: JSON.stringify(result), structured: result };
    }),
  };
}
