// The emulated Azure Resource Manager's state: subscriptions, resource groups, Azure Database for
// PostgreSQL flexible servers with their configuration catalogue, role assignments (Reader,
// Contributor, Owner) and long-running operations.
import { randomUUID } from 'node:crypto';

/** ARM accepts tokens for either of its resource names, with or without the trailing slash. */
export const ARM_AUDIENCES = [
  'https://management.core.windows.net/',
  'https://management.core.windows.net',
  'https://management.azure.com/',
  'https://management.azure.com',
];
export const PROVIDER = 'Microsoft.DBforPostgreSQL';
const MAX_OPERATIONS = 1_000;

export type ArmRole = 'Reader' | 'Contributor' | 'Owner';

export interface EmulatedConfiguration {
  readonly name: string;
  value: string;
  readonly defaultValue: string;
  readonly dataType: 'Integer' | 'Boolean' | 'Enumeration' | 'String' | 'Set' | 'Numeric';
  /** `min-max` for numbers, comma-separated for the others; empty: any. */
  readonly allowedValues: string;
  readonly description: string;
  /** False: a change waits for a restart (`isConfigPendingRestart`). */
  readonly isDynamicConfig: boolean;
  readonly unit: string;
  source: 'system-default' | 'user-override';
  isConfigPendingRestart: boolean;
}

export interface EmulatedFlexibleServer {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
  readonly location: string;
  readonly fullyQualifiedDomainName: string;
  readonly version: string;
  readonly sku: { readonly name: string; readonly tier: string };
  readonly storage: { readonly storageSizeGB: number; readonly autoGrow: 'Enabled' | 'Disabled' };
  readonly backup: {
    readonly backupRetentionDays: number;
    readonly geoRedundantBackup: 'Enabled' | 'Disabled';
  };
  readonly highAvailability: { readonly mode: 'Disabled' | 'ZoneRedundant' | 'SameZone' };
  readonly network: {
    readonly publicNetworkAccess: 'Enabled' | 'Disabled';
    readonly delegatedSubnetResourceId?: string;
  };
  readonly configurations: Map<string, EmulatedConfiguration>;
}

interface RoleAssignment {
  readonly principalId: string;
  readonly role: ArmRole;
  readonly scope: string;
}

/** Server parameters as Azure Database for PostgreSQL flexible server describes them (a subset). */
function defaultConfigurations(): Map<string, EmulatedConfiguration> {
  const c = (
    name: string,
    value: string,
    dataType: EmulatedConfiguration['dataType'],
    allowedValues: string,
    isDynamicConfig: boolean,
    unit: string,
    description: string,
  ): [string, EmulatedConfiguration] => [
    name,
    {
      name,
      value,
      defaultValue: value,
      dataType,
      allowedValues,
      description,
      isDynamicConfig,
      unit,
      source: 'system-default',
      isConfigPendingRestart: false,
    },
  ];
  return new Map([
    c(
      'max_connections',
      '859',
      'Integer',
      '25-5000',
      false,
      '',
      'Sets the maximum number of concurrent connections.',
    ),
    c(
      'shared_buffers',
      '262144',
      'Integer',
      '16-1073741823',
      false,
      '8kB',
      'Sets the number of shared memory buffers used by the server.',
    ),
    c(
      'work_mem',
      '4096',
      'Integer',
      '4096-2097151',
      true,
      'kB',
      'Sets the amount of memory to be used by internal sort operations and hash tables before writing to temporary disk files.',
    ),
    c(
      'statement_timeout',
      '0',
      'Integer',
      '0-2147483647',
      true,
      'ms',
      'Sets the maximum allowed duration of any statement.',
    ),
    c(
      'idle_in_transaction_session_timeout',
      '0',
      'Integer',
      '0-2147483647',
      true,
      'ms',
      'Sets the maximum allowed idle time between queries, when in a transaction.',
    ),
    c(
      'log_min_duration_statement',
      '-1',
      'Integer',
      '-1-2147483647',
      true,
      'ms',
      'Sets the minimum execution time above which all statements will be logged.',
    ),
    c('log_connections', 'on', 'Boolean', 'on,off', true, '', 'Logs each successful connection.'),
    c(
      'require_secure_transport',
      'on',
      'Boolean',
      'on,off',
      true,
      '',
      'Whether client connections to the server are required to use some form of secure transport.',
    ),
    c(
      'pgbouncer.enabled',
      'false',
      'Boolean',
      'true,false',
      true,
      '',
      'Denotes whether pgBouncer service is enabled.',
    ),
    c(
      'azure.extensions',
      '',
      'Set',
      'btree_gist,citext,hstore,pg_stat_statements,pg_trgm,pgcrypto,postgis,uuid-ossp,vector',
      true,
      '',
      'Specifies which extensions are allowed to be created in the server.',
    ),
  ]);
}

/** The ARM side of the emulator: what exists, who may do what, and the operations in flight. */
export class ArmEmulator {
  readonly #subscriptions = new Map<
    string,
    { id: string; displayName: string; resourceGroups: Map<string, { name: string; location: string }> }
  >();
  readonly #servers = new Map<string, EmulatedFlexibleServer>();
  readonly #assignments: RoleAssignment[] = [];
  readonly #operations = new Map<
    string,
    { status: 'Succeeded' | 'Failed'; startTime: string; endTime: string }
  >();

  /** Adds a subscription (its id defaults to a new GUID). */
  addSubscription(options: { subscriptionId?: string; displayName?: string } = {}): string {
    const id = (options.subscriptionId ?? randomUUID()).toLowerCase();
    this.#subscriptions.set(id, {
      id,
      displayName: options.displayName ?? `Emulated subscription ${id.slice(0, 8)}`,
      resourceGroups: new Map(),
    });
    return id;
  }

  addResourceGroup(subscriptionId: string, name: string, location = 'westeurope'): void {
    const sub = this.#subscriptions.get(subscriptionId.toLowerCase());
    if (!sub) throw new Error(`no emulated subscription ${subscriptionId}`);
    sub.resourceGroups.set(name.toLowerCase(), { name, location });
  }

  /**
   * Adds a flexible server. Its `fullyQualifiedDomainName` defaults to the Azure host name; point
   * the tools at the emulated database with their connect overrides.
   */
  addFlexibleServer(options: {
    subscriptionId: string;
    resourceGroup: string;
    name: string;
    location?: string;
    fullyQualifiedDomainName?: string;
    version?: string;
    sku?: { name: string; tier: string };
    storage?: EmulatedFlexibleServer['storage'];
    backup?: EmulatedFlexibleServer['backup'];
    highAvailability?: EmulatedFlexibleServer['highAvailability'];
    network?: EmulatedFlexibleServer['network'];
  }): EmulatedFlexibleServer {
    const sub = this.#subscriptions.get(options.subscriptionId.toLowerCase());
    const group = sub?.resourceGroups.get(options.resourceGroup.toLowerCase());
    if (!sub || !group)
      throw new Error(`no emulated resource group ${options.subscriptionId}/${options.resourceGroup}`);
    const server: EmulatedFlexibleServer = {
      subscriptionId: sub.id,
      resourceGroup: group.name,
      name: options.name,
      location: options.location ?? group.location,
      fullyQualifiedDomainName:
        options.fullyQualifiedDomainName ?? `${options.name}.postgres.database.azure.com`,
      version: options.version ?? '16',
      sku: options.sku ?? { name: 'Standard_D2ds_v5', tier: 'GeneralPurpose' },
      storage: options.storage ?? { storageSizeGB: 128, autoGrow: 'Disabled' },
      backup: options.backup ?? { backupRetentionDays: 7, geoRedundantBackup: 'Disabled' },
      highAvailability: options.highAvailability ?? { mode: 'Disabled' },
      network: options.network ?? { publicNetworkAccess: 'Enabled' },
      configurations: defaultConfigurations(),
    };
    this.#servers.set(serverId(sub.id, group.name, options.name).toLowerCase(), server);
    return server;
  }

  /** Assigns a built-in role to a user or identity (by object id) at a subscription, resource group or resource scope. */
  assignRole(principalObjectId: string, role: ArmRole, scope: string): void {
    this.#assignments.push({
      principalId: principalObjectId.toLowerCase(),
      role,
      scope: scope.toLowerCase().replace(/\/+$/, ''),
    });
  }

  /** Removes every role assignment of a principal. */
  removeRoles(principalObjectId: string): void {
    for (let i = this.#assignments.length - 1; i >= 0; i--) {
      if (this.#assignments[i]!.principalId === principalObjectId.toLowerCase())
        this.#assignments.splice(i, 1);
    }
  }

  /** May this principal perform the action at this scope (an assignment at the scope or above it)? */
  allowed(principalId: string, action: string, scope: string): boolean {
    const target = scope.toLowerCase();
    const write = !action.endsWith('/read');
    return this.#assignments.some(
      (a) =>
        a.principalId === principalId.toLowerCase() &&
        (target === a.scope || target.startsWith(`${a.scope}/`)) &&
        (!write || a.role !== 'Reader'),
    );
  }

  subscription(id: string) {
    return this.#subscriptions.get(id.toLowerCase());
  }

  server(subscriptionId: string, resourceGroup: string, name: string): EmulatedFlexibleServer | undefined {
    return this.#servers.get(serverId(subscriptionId, resourceGroup, name).toLowerCase());
  }

  servers(subscriptionId: string, resourceGroup: string): EmulatedFlexibleServer[] {
    return [...this.#servers.values()].filter(
      (s) =>
        s.subscriptionId === subscriptionId.toLowerCase() &&
        s.resourceGroup.toLowerCase() === resourceGroup.toLowerCase(),
    );
  }

  recordOperation(id: string): void {
    if (this.#operations.size >= MAX_OPERATIONS)
      this.#operations.delete(this.#operations.keys().next().value!);
    const now = new Date().toISOString();
    this.#operations.set(id, { status: 'Succeeded', startTime: now, endTime: now });
  }

  operation(id: string) {
    return this.#operations.get(id);
  }
}

export function serverId(subscriptionId: string, resourceGroup: string, name: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/${PROVIDER}/flexibleServers/${name}`;
}
