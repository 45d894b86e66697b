import { z } from 'zod';
import type { ArmConfiguration } from '../azure/AzureResourceManager.js';
import { PostgresToolError } from '../errors.js';
import { identifierArg } from '../identifiers.js';
import { runCatalogQuery, SQL } from '../queries.js';
import {
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
  param: identifierArg('param', 100).describe('Setting name, e.g. max_connections'),
  subscription: subscriptionArg,
  resourceGroup: resourceGroupArg,
  user: userArg,
});

/** A server parameter as ARM's configurations API describes it. */
export function describeConfiguration(c: ArmConfiguration) {
  const p = c.properties;
  return {
    name: c.name,
    value: p.value ?? null,
    defaultValue: p.defaultValue ?? null,
    allowedValues: p.allowedValues ?? null,
    dataType: p.dataType ?? null,
    unit: p.unit || null,
    source: p.source ?? null,
    restartRequired: p.isDynamicConfig === false,
    pendingRestart: p.isConfigPendingRestart === true,
    readOnly: p.isReadOnly === true,
    description: p.description ?? null,
  };
}

/**
 * `postgres_server_param_get`: one server setting. Through SQL: value, unit and description; with
 * `subscription` and `resourceGroup`, through Azure Resource Manager as the caller: value, default,
 * allowed values and whether a change needs a restart.
 */
export function serverParamGet(ctx: ToolContext, name: string): ToolDefinition {
  return {
    name,
    config: {
      title: 'Get a PostgreSQL server parameter',
      description:
        'A server setting\'s value, unit and description. With "subscription" and "resourceGroup" (an Azure Database for PostgreSQL flexible server), read through Azure Resource Manager: value, default, allowed values and whether a change needs a restart.',
      inputSchema: input,
      annotations: readOnlyAnnotations,
    },
    callback: ctx.run(name, async (args: z.infer<typeof input>, extra) => {
      if (args.subscription !== undefined || args.resourceGroup !== undefined) {
        if (args.subscription === undefined || args.resourceGroup === undefined) {
          throw new PostgresToolError(
            'invalid_input',
            'give both subscription and resourceGroup, or neither',
          );
        }
        const at = { subscription: args.subscription, resourceGroup: args.resourceGroup };
        const parameter = await ctx.withAzure(extra, async (arm, credential) =>
          describeConfiguration(await arm.getConfiguration(credential, at, args.server, args.param)),
        );
        return { text: JSON.stringify(parameter), structured: parameter };
      }
      const rows = await ctx.withDatabase(args, extra, (c) =>
        runCatalogQuery(c, SQL.param, [args.param], ctx.limits),
      );
      const row = rows[0];
      if (!row) throw new PostgresToolError('not_found', `no server parameter named ${args.param}`);
      return { text: JSON.stringify(row), structured: row };
    }),
  };
}
