import { z } from 'zod';
import { identifierArg } from '../identifiers.js';
import { describeConfiguration } from './serverParamGet.js';
import type { ToolContext, ToolDefinition } from './toolContext.js';

const input = z.object({
  subscription: z
    .string()
    .max(64)
    .describe('Azure subscription id of the server (one the operator configured)'),
  resourceGroup: identifierArg('resourceGroup', 90).describe('Azure resource group of the server'),
  server: identifierArg('server', 63).describe('The flexible server name, as postgres_list names it'),
  param: identifierArg('param', 100).describe('Server parameter name, e.g. log_min_duration_statement'),
  value: z.string().max(4096).describe('The new value, as Azure takes it (e.g. "500", "on")'),
});

/**
 * `postgres_server_param_set`: changes one server parameter of an Azure Database for PostgreSQL
 * flexible server through Azure Resource Manager, as the caller: it succeeds only when the caller's
 * own Azure role allows the change (Contributor, or a role with configurations/write).
 */
export function serverParamSet(ctx: ToolContext, name: string): ToolDefinition {
  return {
    name,
    config: {
      title: 'Set a PostgreSQL server parameter',
      description:
        'Changes one server parameter of an Azure Database for PostgreSQL flexible server through Azure Resource Manager, as the signed-in user (their Azure role must allow it). Answers the parameter as it now is, and whether a restart is needed for it to take effect.',
      inputSchema: input,
      annotations: {
        readOnlyHint: false,
        destructiveHint: true,
        idempotentHint: true,
        openWorldHint: false,
      },
    },
    callback: ctx.run(name, async (args: z.infer<typeof input>, extra) => {
      const at = { subscription: args.subscription, resourceGroup: args.resourceGroup };
      const parameter = await ctx.withAzure(extra, async (arm, credential) =>
        describeConfiguration(
          await arm.setConfiguration(credential, at, args.server, args.param, args.value),
        ),
      );
      const note = parameter.pendingRestart
        ? ' It takes effect after the server restarts.'
        : parameter.restartRequired
          ? ' A restart is needed for it to take effect.'
          : '';
      return {
        text: `${parameter.name} is now ${JSON.stringify(parameter.value)} on ${args.server}.${note}`,
        structured: parameter,
      };
    }),
  };
}
