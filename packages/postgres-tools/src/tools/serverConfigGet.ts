import { z } from 'zod';
import type { ArmFlexibleServer } from '../azure/AzureResourceManager.js';
import { MAIN_SETTINGS, runCatalogQuery, SQL } from '../queries.js';
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
  subscription: subscriptionArg,
  resourceGroup: resourceGroupArg,
  user: userArg,
});

/** What Azure Resource Manager knows of a flexible server that SQL cannot tell. */
function azureFacts(s: ArmFlexibleServer) {
  const p = s.properties;
  return {
    location: s.location,
    sku: s.sku?.name ?? null,
    tier: s.sku?.tier ?? null,
    version: p.version ?? null,
    state: p.state ?? null,
    storage: { sizeGB: p.storage?.storageSizeGB ?? null, autoGrow: p.storage?.autoGrow ?? null },
    backup: {
      retentionDays: p.backup?.backupRetentionDays ?? null,
      geoRedundant: p.backup?.geoRedundantBackup ?? null,
    },
    highAvailability: { mode: p.highAvailability?.mode ?? null, state: p.highAvailability?.state ?? null },
    network: {
      publicNetworkAccess: p.network?.publicNetworkAccess ?? null,
      mode: p.network?.delegatedSubnetResourceId ? 'private access (VNet integration)' : 'public access',
    },
  };
}

/**
 * `postgres_server_config_get`: the server's version and main settings (through SQL); with
 * `subscription` and `resourceGroup`, also what Azure Resource Manager knows (SKU and tier,
 * storage, backup, high availability, network), read as the caller.
 */
export function serverConfigGet(ctx: ToolContext, name: string): ToolDefinition {
  return {
    name,
    config: {
      title: 'Get PostgreSQL server configuration',
      description:
        'Server version and the main settings. With "subscription" and "resourceGroup" (an Azure Database for PostgreSQL flexible server), also its SKU and tier, storage size and autogrow, backup retention and geo-redundancy, high availability and network mode from Azure Resource Manager.',
      inputSchema: input,
      annotations: readOnlyAnnotations,
    },
    callback: ctx.run(name, async (args: z.infer<typeof input>, extra) => {
      const azure =
        args.subscription !== undefined && args.resourceGroup !== undefined
          ? await ctx.withAzure(extra, async (arm, credential) =>
              azureFacts(
                await arm.getServer(
                  credential,
                  { subscription: args.subscription!, resourceGroup: args.resourceGroup! },
                  args.server,
                ),
              ),
            )
          : undefined;
      const sql = await ctx.withDatabase(args, extra, async (c) => {
        const [version] = await runCatalogQuery<{ version: string }>(c, 'SELECT version()', [], ctx.limits);
        const settings = await runCatalogQuery(c, SQL.config, [MAIN_SETTINGS], ctx.limits);
        return { version: version?.version ?? '', settings };
      });
      const result = azure ? { ...sql, azure } : sql;
      return { text: JSON.stringify(result, null, 2), structured: result };
    }),
  };
}
