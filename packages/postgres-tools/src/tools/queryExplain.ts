import { z } from 'zod';
import { runReadOnly } from '../queries.js';
import {
  databaseArg,
  readOnlyAnnotations,
  resourceGroupArg,
  serverArg,
  subscriptionArg,
  type ToolContext,
  type ToolDefinition,
  timeoutMsArg,
  userArg,
} from './toolContext.js';

/**
 * `postgres_query_explain`: the plan of one statement (JSON or text). With `analyze` the statement
 * runs, inside the same read-only envelope and limits as the query tool (so a write is refused and
 * nothing it does outlives the call).
 */
export function queryExplain(ctx: ToolContext, name: string): ToolDefinition {
  const { limits } = ctx;
  const input = z.object({
    server: serverArg,
    subscription: subscriptionArg,
    resourceGroup: resourceGroupArg,
    database: databaseArg,
    query: z
      .string()
      .min(1)
      .max(100_000)
      .describe('The statement to explain, e.g. SELECT * FROM orders WHERE id = 1'),
    format: z.enum(['json', 'text']).optional().describe('Plan format; default json'),
    analyze: z
      .boolean()
      .optional()
      .describe(
        'Run the statement and report actual times and rows (read-only, under the statement timeout)',
      ),
    timeoutMs: timeoutMsArg(limits, 'Statement timeout'),
    user: userArg,
  });
  return {
    name,
    config: {
      title: 'Explain a SQL statement',
      description: `The execution plan of one statement as the caller (EXPLAIN, JSON or text). With "analyze" the statement is run inside a read-only transaction that is rolled back, so writes are refused; it times out after ${limits.statementTimeoutMs} ms unless "timeoutMs" asks for more.`,
      inputSchema: input,
      annotations: readOnlyAnnotations,
    },
    callback: ctx.run(name, async (args: z.infer<typeof input>, extra) => {
      const format = args.format ?? 'json';
      const options = [`FORMAT ${format.toUpperCase()}`, ...(args.analyze ? ['ANALYZE', 'BUFFERS'] : [])];
      // The extended protocol admits one statement: anything after the explained one is refused.
      const sql = `EXPLAIN (${options.join(', ')}) ${args.query}`;
      const call = args.timeoutMs === undefined ? {} : { timeoutMs: args.timeoutMs };
      const result = await ctx.withDatabase(args, extra, (c) => runReadOnly(c, sql, limits, call), call);
      const lines = result.rows.map((r) => String(r[0]));
      if (format === 'json') {
        const text = lines.join('\n');
        let plan: unknown = text;
        try {
          plan = JSON.parse(text);
        } catch {
          // cut by the result budget: returned as the text that arrived
        }
        return { text, structured: { format, plan, truncated: result.truncated } };
      }
      return { text: lines.join('\n'), structured: { format, plan: lines, truncated: result.truncated } };
    }),
  };
}
