import { z } from 'zod';
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

/** Most relations the overview reads; beyond, it says so. */
const MAX_RELATIONS = 5000;

const input = z.object({
  server: serverArg,
  subscription: subscriptionArg,
  resourceGroup: resourceGroupArg,
  database: databaseArg,
  user: userArg,
});

interface OverviewRow {
  schema: string;
  name: string;
  kind: string;
  comment: string | null;
  estimatedRows: string | null;
  columns: string | null;
  keys: string | null;
}

/**
 * `postgres_database_overview`: every schema, table, column and key the caller can read, in one
 * compact text sized for the result budget: columns and keys while they fit, then the remaining
 * tables by name only, with a note saying how to see them.
 */
export function databaseOverview(ctx: ToolContext, name: string): ToolDefinition {
  const budget = ctx.limits.maxResultBytes;
  return {
    name,
    config: {
      title: 'Overview of a PostgreSQL database',
      description: `Call this first: every schema, table and view the caller can read, with columns (name and type), primary, unique and foreign keys, comments and estimated rows, in one compact text of at most ${budget} characters (above that, the remaining tables are listed by name only). Then use postgres_table_schema_get for one table, postgres_database_query to read data.`,
      inputSchema: input,
      annotations: readOnlyAnnotations,
    },
    callback: ctx.run(name, async (args: z.infer<typeof input>, extra) => {
      const rows = await ctx.withDatabase(args, extra, (c) =>
        // the catalog may be larger than the answer: read up to 8 budgets, then summarise
        runCatalogQuery<OverviewRow>(c, SQL.overview, [MAX_RELATIONS + 1], ctx.limits, budget * 8),
      );
      const more = rows.length > MAX_RELATIONS;
      const lines: string[] = [];
      const room = budget - 300; // for the notes
      let size = 0;
      let namesOnly = 0;
      let omitted = 0;
      let schema = '';
      const add = (line: string): boolean => {
        if (size + line.length + 1 > room) return false;
        lines.push(line);
        size += line.length + 1;
        return true;
      };
      for (const r of rows.slice(0, MAX_RELATIONS)) {
        if (r.schema !== schema && add(`schema ${r.schema}:`)) schema = r.schema;
        const estimate = r.estimatedRows === null ? '' : `, ~${r.estimatedRows} rows`;
        const head = `  ${r.name} (${r.kind}${estimate})${r.comment ? ` -- ${r.comment}` : ''}`;
        if (add(`${head}: ${r.columns ?? ''}${r.keys ? ` | ${r.keys}` : ''}`)) continue;
        if (add(head)) namesOnly++;
        else omitted++;
      }
      const notes = [
        ...(namesOnly + omitted > 0
          ? [
              `(summarised to fit ${budget} characters: ${namesOnly} tables without their columns, ${omitted} left out; use postgres_list and postgres_table_schema_get for them)`,
            ]
          : []),
        ...(more ? [`(only the first ${MAX_RELATIONS} tables were read)`] : []),
      ];
      const text = [...lines, ...notes].join('\n') || '(no tables the caller can read)';
      return {
        text,
        structured: { relations: Math.min(rows.length, MAX_RELATIONS), namesOnly, omitted, overview: text },
      };
    }),
  };
}
