import { z } from 'zod';
import { MAIN_SETTINGS, runCatalogQuery, SQL } from '../queries.js';
import {
  readOnlyAnnotations,
  serverArg,
  type ToolContext,
  type ToolDefinition,
  userArg,
} from './toolContext.js';

const input = z.object({ server: serverArg, user: userArg });

/** `postgres_server_config_get`: the server's version and main settings. */
export function serverConfigGet(ctx: ToolContext, name: string): ToolDefinition {
  return {
    name,
    config: {
      title: 'Get PostgreSQL server configuration',
      description: 'Server version and the main settings.',
      inputSchema: input,
      annotations: readOnlyAnnotations,
    },
    callback: ctx.run(name, async (args: z.infer<typeof input>, extra) => {
      const result = await ctx.withDatabase(args, extra, async (c) => {
        const [version] = await runCatalogQuery<{ version: string }>(c, 'SELECT version()', [], ctx.limits);
        const settings = await runCatalogQuery(c, SQL.config, [MAIN_SETTINGS], ctx.limits);
        return { version: version?.version ?? '', settings };
      });
      return { text: JSON.stringify(result, null, 2), structured: result };
    }),
  };
}
