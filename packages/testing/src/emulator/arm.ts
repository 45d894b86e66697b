// The small Azure Resource Manager surface the Postgres tools use: subscriptions, resource groups,
// Azure Database for PostgreSQL flexible servers and their configurations (server parameters),
// with per-user role assignments (Reader, Contributor, Owner) checked on every call and ARM's
// error shapes and codes (AuthenticationFailed, InvalidAuthenticationToken(Audience),
// MissingApiVersionParameter, SubscriptionNotFound, ResourceGroupNotFound, ResourceNotFound,
// AuthorizationFailed, TooManyRequests with Retry-After). A parameter change is a long-running
// operation: 202 with `Azure-AsyncOperation`, as the resource provider answers.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JWTPayload } from 'jose';
import type { Fault } from '../faults.js';
import { readBody, sendJson } from '../http.js';
import type { EmulatorContext } from './internals.js';

/** ARM accepts tokens for either of its resource names, with or without the trailing slash. */
export const ARM_AUDIENCES = [
  'https://management.core.windows.net/',
  'https://management.core.windows.net',
  'https://management.azure.com/',
  'https://management.azure.com',
];
const PROVIDER = 'Microsoft.DBforPostgreSQL';
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

class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** ARM's answers carry a request id, as every ARM response does. */
function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, body, { 'x-ms-request-id': randomUUID(), ...headers });
}

function serverResource(s: EmulatedFlexibleServer, tenantId: string) {
  return {
    id: serverId(s.subscriptionId, s.resourceGroup, s.name),
    name: s.name,
    type: `${PROVIDER}/flexibleServers`,
    location: s.location,
    sku: s.sku,
    properties: {
      fullyQualifiedDomainName: s.fullyQualifiedDomainName,
      version: s.version,
      state: 'Ready',
      storage: { ...s.storage, tier: 'P10', iops: 500, type: '' },
      backup: {
        ...s.backup,
        earliestRestoreDate: new Date(Date.now() - s.backup.backupRetentionDays * 86_400_000).toISOString(),
      },
      highAvailability: {
        ...s.highAvailability,
        state: s.highAvailability.mode === 'Disabled' ? 'NotEnabled' : 'Healthy',
      },
      network: s.network,
      authConfig: { activeDirectoryAuth: 'Enabled', passwordAuth: 'Disabled', tenantId },
      availabilityZone: '1',
    },
  };
}

function configurationResource(s: EmulatedFlexibleServer, c: EmulatedConfiguration) {
  return {
    id: `${serverId(s.subscriptionId, s.resourceGroup, s.name)}/configurations/${c.name}`,
    name: c.name,
    type: `${PROVIDER}/flexibleServers/configurations`,
    properties: {
      value: c.value,
      description: c.description,
      defaultValue: c.defaultValue,
      dataType: c.dataType,
      allowedValues: c.allowedValues,
      source: c.source,
      isDynamicConfig: c.isDynamicConfig,
      isReadOnly: false,
      isConfigPendingRestart: c.isConfigPendingRestart,
      unit: c.unit,
      documentationLink: 'https://www.postgresql.org/docs/current/runtime-config.html',
    },
  };
}

function validValue(c: EmulatedConfiguration, value: string): boolean {
  if (c.allowedValues === '') return true;
  if (c.dataType === 'Integer' || c.dataType === 'Numeric') {
    const m = /^(-?\d+)-(-?\d+)$/.exec(c.allowedValues);
    if (!m || !/^-?\d+$/.test(value)) return false;
    const n = Number(value);
    return n >= Number(m[1]) && n <= Number(m[2]);
  }
  const allowed = c.allowedValues.split(',');
  if (c.dataType === 'Set') return value === '' || value.split(',').every((v) => allowed.includes(v.trim()));
  return allowed.includes(value);
}

/** Answers one ARM request on the emulator's https origin (paths under `/subscriptions/`). */
export async function handleArm(
  ctx: EmulatorContext,
  arm: ArmEmulator,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  fault: Fault | undefined,
  record: { objectId?: string; scope?: string },
): Promise<void> {
  try {
    if (fault?.kind === 'status') {
      throw new ArmError(
        fault.status,
        fault.status === 429 ? 'TooManyRequests' : 'InternalServerError',
        fault.status === 429
          ? 'The request is being throttled as the limit has been reached for operation type - Read_ObservationWindow_00:05:00. For more information, refer to - https://aka.ms/srpthrottlinglimits'
          : 'The server encountered an internal error (emulated).',
        fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) },
      );
    }
    const claims = await authenticate(ctx, req);
    const principalId = String(claims.oid ?? '');
    record.objectId = principalId;
    const caller = String(
      claims.upn ?? claims.preferred_username ?? claims.appid ?? claims.azp ?? principalId,
    );
    if (!url.searchParams.get('api-version')) {
      throw new ArmError(
        400,
        'MissingApiVersionParameter',
        'The api-version query parameter (?api-version=) is required for all requests.',
      );
    }
    const { status, body, headers } = await route(ctx, arm, req, url, principalId, caller);
    send(res, status, body, headers);
  } catch (error) {
    if (!(error instanceof ArmError)) throw error;
    send(res, error.status, { error: { code: error.code, message: error.message } }, error.headers);
  }
}

async function authenticate(ctx: EmulatorContext, req: IncomingMessage): Promise<JWTPayload> {
  const auth = req.headers.authorization;
  if (!auth?.startsWith('Bearer ')) {
    throw new ArmError(
      401,
      'AuthenticationFailed',
      "Authentication failed. The 'Authorization' header is missing.",
      {
        'www-authenticate': `Bearer authorization_uri="${ctx.emulator.authority()}", error="invalid_token", error_description="The authentication failed because of missing 'Authorization' header."`,
      },
    );
  }
  const token = auth.slice('Bearer '.length);
  let claims: JWTPayload;
  try {
    claims = await ctx.emulator.verify(token);
  } catch {
    throw new ArmError(401, 'InvalidAuthenticationToken', 'The access token is invalid.');
  }
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud ?? ''];
  if (!audiences.some((a) => ARM_AUDIENCES.includes(a))) {
    throw new ArmError(
      401,
      'InvalidAuthenticationTokenAudience',
      `The access token has been obtained for wrong audience or resource '${String(audiences[0]).slice(0, 200)}'. It should exactly match with one of the allowed audiences ${ARM_AUDIENCES.map((a) => `'${a}'`).join(',')}.`,
    );
  }
  return claims;
}

async function route(
  ctx: EmulatorContext,
  arm: ArmEmulator,
  req: IncomingMessage,
  url: URL,
  principalId: string,
  caller: string,
): Promise<{ status: number; body: unknown; headers?: Record<string, string> }> {
  const parts = url.pathname
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  const method = req.method ?? 'GET';
  const lower = parts.map((p) => p.toLowerCase());
  const notFound = () =>
    new ArmError(
      404,
      'InvalidResourceType',
      `The resource type could not be found in the namespace for api version '${url.searchParams.get('api-version')}'.`,
    );
  const sub = arm.subscription(parts[1] ?? '');
  if (!sub)
    throw new ArmError(
      404,
      'SubscriptionNotFound',
      `The subscription '${(parts[1] ?? '').slice(0, 100)}' could not be found.`,
    );
  const scopeOf = (n: number) => `/${parts.slice(0, n).join('/')}`;
  const authorize = (action: string, scope: string) => {
    if (!arm.allowed(principalId, action, scope)) {
      throw new ArmError(
        403,
        'AuthorizationFailed',
        `The client '${caller}' with object id '${principalId}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
      );
    }
  };
  if (parts.length === 2 && method === 'GET') {
    authorize('Microsoft.Resources/subscriptions/read', scopeOf(2));
    return {
      status: 200,
      body: {
        id: `/subscriptions/${sub.id}`,
        subscriptionId: sub.id,
        displayName: sub.displayName,
        state: 'Enabled',
        tenantId: ctx.emulator.tenantId,
      },
    };
  }
  // /subscriptions/{s}/providers/Microsoft.DBforPostgreSQL/locations/{l}/azureAsyncOperation/{id}
  if (
    lower[2] === 'providers' &&
    lower[3] === PROVIDER.toLowerCase() &&
    lower[6] === 'azureasyncoperation' &&
    parts.length === 8 &&
    method === 'GET'
  ) {
    const operation = arm.operation(parts[7]!);
    if (!operation)
      throw new ArmError(
        404,
        'ResourceNotFound',
        `The operation '${parts[7]!.slice(0, 100)}' was not found.`,
      );
    return { status: 200, body: { name: parts[7], ...operation } };
  }
  if (lower[2] !== 'resourcegroups' || parts.length < 4) throw notFound();
  const group = sub.resourceGroups.get(lower[3]!);
  if (parts.length === 4 && method === 'GET') {
    authorize('Microsoft.Resources/subscriptions/resourceGroups/read', scopeOf(4));
    if (!group)
      throw new ArmError(
        404,
        'ResourceGroupNotFound',
        `Resource group '${parts[3]!.slice(0, 100)}' could not be found.`,
      );
    return {
      status: 200,
      body: {
        id: `/subscriptions/${sub.id}/resourceGroups/${group.name}`,
        name: group.name,
        location: group.location,
        properties: { provisioningState: 'Succeeded' },
      },
    };
  }
  if (lower[4] !== 'providers' || lower[5] !== PROVIDER.toLowerCase() || lower[6] !== 'flexibleservers')
    throw notFound();
  if (parts.length === 7 && method === 'GET') {
    authorize(`${PROVIDER}/flexibleServers/read`, scopeOf(4));
    if (!group)
      throw new ArmError(
        404,
        'ResourceGroupNotFound',
        `Resource group '${parts[3]!.slice(0, 100)}' could not be found.`,
      );
    return {
      status: 200,
      body: { value: arm.servers(sub.id, group.name).map((s) => serverResource(s, ctx.emulator.tenantId)) },
    };
  }
  const server = group ? arm.server(sub.id, group.name, parts[7] ?? '') : undefined;
  const serverMissing = () =>
    group
      ? new ArmError(
          404,
          'ResourceNotFound',
          `The Resource '${PROVIDER}/flexibleServers/${(parts[7] ?? '').slice(0, 100)}' under resource group '${group.name}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
        )
      : new ArmError(
          404,
          'ResourceGroupNotFound',
          `Resource group '${parts[3]!.slice(0, 100)}' could not be found.`,
        );
  if (parts.length === 8 && method === 'GET') {
    authorize(`${PROVIDER}/flexibleServers/read`, scopeOf(8));
    if (!server) throw serverMissing();
    return { status: 200, body: serverResource(server, ctx.emulator.tenantId) };
  }
  if (lower[8] !== 'configurations') throw notFound();
  if (parts.length === 9 && method === 'GET') {
    authorize(`${PROVIDER}/flexibleServers/configurations/read`, scopeOf(9));
    if (!server) throw serverMissing();
    return {
      status: 200,
      body: { value: [...server.configurations.values()].map((c) => configurationResource(server, c)) },
    };
  }
  if (parts.length !== 10) throw notFound();
  const name = parts[9]!;
  if (method === 'GET') {
    authorize(`${PROVIDER}/flexibleServers/configurations/read`, scopeOf(10));
    if (!server) throw serverMissing();
    const c = server.configurations.get(name.toLowerCase());
    if (!c)
      throw new ArmError(
        404,
        'ResourceNotFound',
        `The Resource '${PROVIDER}/flexibleServers/${server.name}/configurations/${name.slice(0, 100)}' under resource group '${server.resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
      );
    return { status: 200, body: configurationResource(server, c) };
  }
  if (method === 'PUT' || method === 'PATCH') {
    authorize(`${PROVIDER}/flexibleServers/configurations/write`, scopeOf(10));
    if (!server) throw serverMissing();
    const c = server.configurations.get(name.toLowerCase());
    if (!c)
      throw new ArmError(
        400,
        'InvalidParameterName',
        `The parameter name '${name.slice(0, 100)}' is not valid for this server.`,
      );
    let body: { properties?: { value?: unknown; source?: unknown } };
    try {
      body = JSON.parse(await readBody(req)) as typeof body;
    } catch {
      throw new ArmError(
        400,
        'InvalidRequestContent',
        'The request content was invalid and could not be deserialized.',
      );
    }
    const value = body?.properties?.value;
    if (typeof value !== 'string')
      throw new ArmError(
        400,
        'InvalidRequestContent',
        "The request content must carry 'properties.value' as a string.",
      );
    if (!validValue(c, value)) {
      throw new ArmError(
        400,
        'InvalidParameterValue',
        `Invalid value given for parameter ${c.name}. Specify a valid parameter value.`,
      );
    }
    c.value = value;
    c.source = value === c.defaultValue ? 'system-default' : 'user-override';
    if (!c.isDynamicConfig) c.isConfigPendingRestart = true;
    const operationId = randomUUID();
    arm.recordOperation(operationId);
    const base = `${ctx.emulator.httpsUrl}/subscriptions/${sub.id}/providers/${PROVIDER}/locations/${server.location}`;
    const version = url.searchParams.get('api-version')!;
    return {
      status: 202,
      body: {},
      headers: {
        'azure-asyncoperation': `${base}/azureAsyncOperation/${operationId}?api-version=${version}`,
        location: `${base}/operationResults/${operationId}?api-version=${version}`,
      },
    };
  }
  throw notFound();
}
