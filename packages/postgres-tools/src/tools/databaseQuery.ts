import { z } from 'zod';
import { runReadOnly } from '../queries.js';
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
  query: z.string().min(1).max(100_000).describe('One SQL statement, e.g. SELECT * FROM orders LIMIT 10'),
  user: userArg,
});

/** `postgres_database_query`: one read-only statement as the caller, its result bounded as it arrives. */
export function databaseQuery(ctx: ToolContext, name: string): ToolDefinition {
  const { limits } = ctx;
  return {
    name,
    config: {
      title: 'Run a read-only SQL query',
      description: `Runs exactly one read-only SQL statement as the caller. Returns the column names once and each row as an array. At most ${limits.maxRows} rows and ${limits.maxResultBytes} bytes are returned (truncated is true when cut); the statement times out after ${limits.statementTimeoutMs} ms. Writes are refused.`,
      inputSchema: input,
      annotations: readOnlyAnnotations,
    },
    callback: ctx.run(name, async (args: z.infer<typeof input>, extra) => {
      const result = await ctx.withDatabase(args, extra, (c) => runReadOnly(c, args.query, limits));
      const note = !result.truncated
        ? ''
        : result.truncatedReason === 'rows'
          ? `\n(truncated: more than ${limits.maxRows} rows; add LIMIT, a WHERE clause or an aggregate)`
          : `\n(truncated: the result is larger than ${limits.maxResultBytes} bytes${result.rowCount === 0 ? ' before its first row ended' : ''}; select fewer or shorter columns, e.g. left(col, 200), add LIMIT, or aggregate)`;
      const text = JSON.stringify({ columns: result.columns.map((c) => c.name), rows: result.rows });
      return { text: `${text}${note}`, structured: { ...result } };
    }),
  };
}
