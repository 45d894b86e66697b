// The Postgres tools that go through Azure Resource Manager, as the caller: discovery of flexible
// servers, ARM's view of a server, and reading and changing a server parameter. Real SDK v2 client,
// the example server, On-Behalf-Of for ARM at the emulated Entra ID, the emulator's ARM surface
// (role assignments checked on every call) and the token-gated PostgreSQL behind the discovered server.
import { randomUUID } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, type ToolResult, textOf, type World } from './world.js';

let world: World;
let alice: Client;
let bob: Client;
let subscription: string;
let otherSubscription: string;
const resourceGroup = 'rg-data';
beforeAll(async () => {
  world = await startWorld();
  const arm = world.emulator.arm;
  subscription = arm.addSubscription({ displayName: 'Data' });
  arm.addResourceGroup(subscription, resourceGroup);
  arm.addFlexibleServer({ subscriptionId: subscription, resourceGroup, name: 'pg-prod' });
  arm.addFlexibleServer({
    subscriptionId: subscription,
    resourceGroup,
    name: 'pg-ha',
    sku: { name: 'Standard_E4ds_v5', tier: 'MemoryOptimized' },
    highAvailability: { mode: 'ZoneRedundant' },
    backup: { backupRetentionDays: 35, geoRedundantBackup: 'Enabled' },
  });
  otherSubscription = arm.addSubscription({ displayName: 'Not configured' });
  arm.addResourceGroup(otherSubscription, resourceGroup);
  arm.addFlexibleServer({ subscriptionId: otherSubscription, resourceGroup, name: 'pg-elsewhere' });
  arm.assignRole(
    world.alice.objectId,
    'Contributor',
    `/subscriptions/${subscription}/resourceGroups/${resourceGroup}`,
  );
  arm.assignRole(world.bob.objectId, 'Reader', `/subscriptions/${subscription}`);
  arm.assignRole(world.alice.objectId, 'Reader', `/subscriptions/${otherSubscription}`);

  const server = await world.server({
    inboundAuthentication: { type: 'JwtBearerScheme', azureAd: world.azureAd() },
    outboundAuthentication: {
      type: 'JwtObo',
      clientCredential: { kind: 'ClientSecret', secret: world.apiSecret },
    },
    mcpServer: {
      azureResourceManager: {
        subscriptions: [subscription],
        endpoint: world.emulator.httpsUrl,
        // the discovered server's host name leads to the test's PostgreSQL (as a tunnel would)
        connectOverrides: {
          'pg-prod.postgres.database.azure.com': { host: world.db.gate.host, port: world.db.gate.port },
        },
      },
    },
  });
  alice = await world.clientV2(server.mcpUrl, await world.token(world.alice));
  bob = await world.clientV2(server.mcpUrl, await world.token(world.bob));
}, 120_000);
afterAll(async () => {
  await world?.stop();
});

const call = async (client: Client, name: string, args: Record<string, unknown>) =>
  (await client.callTool({ name, arguments: args })) as ToolResult;
const armRequests = () => world.emulator.requests.filter((r) => r.endpoint === 'arm');

describe('Postgres tools through Azure Resource Manager, as the caller', () => {
  it('postgres_list with subscription and resourceGroup lists the flexible servers there; one is then queried by name alone, as alice', async () => {
    const before = armRequests().length;
    const listed = await call(alice, 'postgres_list', { subscription, resourceGroup });
    expect(listed.isError).toBeFalsy();
    const servers = (
      listed.structuredContent as { servers: Array<{ name: string; fullyQualifiedDomainName: string }> }
    ).servers;
    expect(servers.map((s) => s.name).sort()).toEqual(['pg-ha', 'pg-prod']);
    expect(servers.find((s) => s.name === 'pg-prod')?.fullyQualifiedDomainName).toBe(
      'pg-prod.postgres.database.azure.com',
    );
    // ARM saw alice herself (her On-Behalf-Of token for ARM), not the server's identity
    const seen = armRequests().slice(before);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((r) => r.objectId === world.alice.objectId)).toBe(true);

    const rows = await call(alice, 'postgres_database_query', {
      server: 'pg-prod',
      database: 'demo',
      query: 'SELECT current_user AS u, note FROM alice_notes',
    });
    expect(rows.structuredContent?.rows).toEqual([['alice@contoso.com', 'only alice']]);

    // bob has not discovered it: the name alone means nothing for him
    const refused = await call(bob, 'postgres_database_query', {
      server: 'pg-prod',
      database: 'demo',
      query: 'SELECT 1',
    });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/server "pg-prod" is not allowed/);
    // with the subscription and resource group he finds it himself, and is bob there
    const asBob = await call(bob, 'postgres_database_query', {
      server: 'pg-prod',
      subscription,
      resourceGroup,
      database: 'demo',
      query: 'SELECT current_user AS u',
    });
    expect(asBob.structuredContent?.rows).toEqual([['bob@contoso.com']]);
  });

  it('postgres_server_config_get adds what ARM knows: SKU and tier, storage, backup, high availability, network', async () => {
    const result = await call(alice, 'postgres_server_config_get', {
      server: 'pg-prod',
      subscription,
      resourceGroup,
    });
    expect(result.isError).toBeFalsy();
    const config = result.structuredContent as {
      version: string;
      azure: Record<string, unknown> & {
        storage: unknown;
        backup: unknown;
        highAvailability: unknown;
        network: unknown;
      };
    };
    expect(config.version).toMatch(/PostgreSQL/); // from SQL, on the server ARM pointed at
    expect(config.azure).toMatchObject({
      sku: 'Standard_D2ds_v5',
      tier: 'GeneralPurpose',
      version: '16',
      storage: { sizeGB: 128, autoGrow: 'Disabled' },
      backup: { retentionDays: 7, geoRedundant: 'Disabled' },
      highAvailability: { mode: 'Disabled' },
      network: { publicNetworkAccess: 'Enabled', mode: 'public access' },
    });
  });

  it('postgres_server_param_get reads through ARM: value, default, allowed values, restart needed', async () => {
    const result = await call(bob, 'postgres_server_param_get', {
      server: 'pg-ha',
      subscription,
      resourceGroup,
      param: 'max_connections',
    });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({
      name: 'max_connections',
      value: '859',
      defaultValue: '859',
      allowedValues: '25-5000',
      restartRequired: true,
    });
  });

  it("postgres_server_param_set changes a parameter as alice (a Contributor), waiting for ARM's operation", async () => {
    const tools = await alice.listTools();
    const set = tools.tools.find((t) => t.name === 'postgres_server_param_set');
    expect(set?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    const before = armRequests().length;
    const result = await call(alice, 'postgres_server_param_set', {
      subscription,
      resourceGroup,
      server: 'pg-ha',
      param: 'log_min_duration_statement',
      value: '500',
    });
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toContain('log_min_duration_statement is now "500" on pg-ha');
    expect(result.structuredContent).toMatchObject({
      value: '500',
      source: 'user-override',
      restartRequired: false,
    });
    // the PUT was accepted (202) and its operation polled until it succeeded
    const seen = armRequests().slice(before);
    expect(seen.some((r) => r.method === 'PUT' && r.status === 202)).toBe(true);
    expect(seen.some((r) => /azureAsyncOperation/i.test(r.path) && r.status === 200)).toBe(true);

    const after = await call(bob, 'postgres_server_param_get', {
      server: 'pg-ha',
      subscription,
      resourceGroup,
      param: 'log_min_duration_statement',
    });
    expect(after.structuredContent).toMatchObject({ value: '500' });

    // a static parameter: the answer says a restart is pending
    const restart = await call(alice, 'postgres_server_param_set', {
      subscription,
      resourceGroup,
      server: 'pg-ha',
      param: 'max_connections',
      value: '1000',
    });
    expect(textOf(restart)).toContain('takes effect after the server restarts');
    // a value Azure refuses comes back as its message
    const invalid = await call(alice, 'postgres_server_param_set', {
      subscription,
      resourceGroup,
      server: 'pg-ha',
      param: 'max_connections',
      value: 'lots',
    });
    expect(invalid.isError).toBe(true);
    expect(textOf(invalid)).toContain('InvalidParameterValue');
  });

  it('postgres_server_param_set is refused for bob (a Reader) with a message that says why, and nothing changes', async () => {
    const result = await call(bob, 'postgres_server_param_set', {
      subscription,
      resourceGroup,
      server: 'pg-ha',
      param: 'work_mem',
      value: '8192',
    });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/your Azure role does not allow this \(AuthorizationFailed\)/);
    expect(textOf(result)).toContain('configurations/write');
    expect(textOf(result)).toContain('Contributor');
    const now = await call(bob, 'postgres_server_param_get', {
      server: 'pg-ha',
      subscription,
      resourceGroup,
      param: 'work_mem',
    });
    expect(now.structuredContent).toMatchObject({ value: '4096' });
  });

  it('throttling (429 with Retry-After) becomes a retryable tool error that says when to retry', async () => {
    world.emulator.setFault('arm', { kind: 'status', status: 429, retryAfterSeconds: 17 });
    try {
      const result = await call(alice, 'postgres_list', { subscription, resourceGroup });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/throttling .*TooManyRequests.*retry after 17 s/);
    } finally {
      world.emulator.setFault('arm', undefined);
    }
    expect((await call(alice, 'postgres_list', { subscription, resourceGroup })).isError).toBeFalsy();
  });

  it('a server outside the configured subscriptions is refused before any ARM call; missing ones say so', async () => {
    const before = armRequests().length;
    const elsewhere = await call(alice, 'postgres_list', { subscription: otherSubscription, resourceGroup });
    expect(elsewhere.isError).toBe(true);
    expect(textOf(elsewhere)).toContain(
      `subscription ${otherSubscription} is not one this server is configured for`,
    );
    const query = await call(alice, 'postgres_database_query', {
      server: 'pg-elsewhere',
      subscription: otherSubscription,
      resourceGroup,
      database: 'demo',
      query: 'SELECT 1',
    });
    expect(textOf(query)).toContain('is not one this server is configured for');
    expect(armRequests().length).toBe(before);

    const missing = await call(alice, 'postgres_server_config_get', {
      server: 'pg-gone',
      subscription,
      resourceGroup,
    });
    expect(textOf(missing)).toMatch(
      /ResourceNotFound: The Resource 'Microsoft.DBforPostgreSQL\/flexibleServers\/pg-gone'/,
    );
    const noGroup = await call(alice, 'postgres_list', {
      subscription,
      resourceGroup: `rg-${randomUUID().slice(0, 8)}`,
    });
    expect(textOf(noGroup)).toMatch(/permission_denied|AuthorizationFailed|ResourceGroupNotFound/);
    const badId = await call(alice, 'postgres_list', { subscription: 'not-a-guid', resourceGroup });
    expect(textOf(badId)).toContain('subscription must be a subscription id');
  });
});
