import { z } from 'zod';
import { PostgresToolError } from '../errors.js';
import { identifierArg } from '../identifiers.js';
import { runCatalogQuery, SQL } from '../queries.js';
import {
  readOnlyAnnotations,
  serverArg,
  type ToolContext,
  type ToolDefinition,
  userArg,
} from './toolContext.js';

const input = z.object({
  server: serverArg,
  param: identifierArg('param', 100).describe('Setting name, e.g. max_connections'),
  user: userArg,
});

/** `postgres_server_param_get`: one server setting's value, unit and description. */
export function serverParamGet(ctx: ToolContext, name: string): ToolDefinition {
  return {
    name,
    config: {
      title: 'Get a PostgreSQL server parameter',
      description: "A server setting's value, unit and description.",
      inputSchema: input,
      annotations: readOnlyAnnotations,
    },
    callback: ctx.run(name, async (args: z.infer<typeof input>, extra) => {
      const rows = await ctx.withDatabase(args, extra, (c) =>
        runCatalogQuery(c, SQL.param, [args.param], ctx.limits),
      );
      const row = rows[0];
      if (!row) throw new PostgresToolError('not_found', `no server parameter named ${args.param}`);
      return { text: JSON.stringify(row), structured: row };
    }),
  };
}
