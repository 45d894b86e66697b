// ManagedIdentity outbound mode; @azure/identity picks its managed identity source once per process.
import { freePort } from '@mcp-auth-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query, startWorld, type World } from './world.js';

let world: World;
beforeAll(async () => {
  world = await startWorld();
  Object.assign(process.env, world.emulator.appServiceEnvironment());
}, 120_000);
afterAll(async () => {
  await world?.stop();
});

describe('ManagedIdentity', () => {
  it("queries as the host's identity for every caller, and says so in whoami", async () => {
    const server = await world.server({
      inboundAuthentication: { type: 'JwtBearerScheme', azureAd: world.azureAd() },
      outboundAuthentication: { type: 'ManagedIdentity' },
      mcpServer: { managedIdentityRoleName: 'system-assigned-identity' },
    });
    const alice = await world.client(server.mcpUrl, await world.token(world.alice));
    const bob = await world.client(server.mcpUrl, await world.token(world.bob));
    for (const client of [alice, bob]) {
      expect((await query(client, 'SELECT current_user AS u')).structuredContent?.rows).toEqual([
        ['system-assigned-identity'],
      ]);
    }
    const who = (await bob.callTool({ name: 'whoami', arguments: {} })) as unknown as {
      structuredContent: { outbound: { identity: string } };
    };
    expect(who.structuredContent.outbound.identity).toBe('managed identity (system-assigned)');
    expect(
      world.emulator.countRequests({
        endpoint: 'managedIdentity',
        objectId: world.emulator.systemAssignedIdentity.objectId,
        status: 200,
      }),
    ).toBe(1);
  });

  it("goes to Azure Resource Manager as the host's identity too: its role decides, not the caller's", async () => {
    const arm = world.emulator.arm;
    const subscription = arm.addSubscription();
    arm.addResourceGroup(subscription, 'rg-mi');
    arm.addFlexibleServer({ subscriptionId: subscription, resourceGroup: 'rg-mi', name: 'pg-mi' });
    const server = await world.server({
      inboundAuthentication: { type: 'JwtBearerScheme', azureAd: world.azureAd() },
      outboundAuthentication: { type: 'ManagedIdentity' },
      mcpServer: {
        managedIdentityRoleName: 'system-assigned-identity',
        azureResourceManager: { subscriptions: [subscription], endpoint: world.emulator.httpsUrl },
      },
    });
    const alice = await world.client(server.mcpUrl, await world.token(world.alice));
    const list = () =>
      alice.callTool({
        name: 'postgres_list',
        arguments: { subscription, resourceGroup: 'rg-mi' },
      }) as Promise<{
        isError?: boolean;
        content: Array<{ text: string }>;
        structuredContent?: { servers: Array<{ name: string }> };
      }>;
    // alice's own roles do not matter here; the identity has none yet
    arm.assignRole(world.alice.objectId, 'Owner', `/subscriptions/${subscription}`);
    const refused = await list();
    expect(refused.isError).toBe(true);
    expect(refused.content[0]!.text).toContain(
      `with object id '${world.emulator.systemAssignedIdentity.objectId}'`,
    );
    arm.assignRole(
      world.emulator.systemAssignedIdentity.objectId,
      'Reader',
      `/subscriptions/${subscription}`,
    );
    expect((await list()).structuredContent?.servers.map((s) => s.name)).toEqual(['pg-mi']);
  });

  it('app-only callers under JwtObo: refused at the door with 403 and why by default; served as the host when configured', async () => {
    const daemon = world.emulator.registerApp({ secret: 'daemon-secret' });
    const appToken = await world.emulator.mintAppToken({
      app: daemon,
      audience: world.api.clientId,
      roles: ['Tools.Call'],
    });
    const obo = { type: 'JwtObo', clientCredential: { kind: 'ClientSecret', secret: world.apiSecret } };
    const refusing = await world.server({
      inboundAuthentication: { type: 'JwtBearerScheme', azureAd: world.azureAd() },
      outboundAuthentication: obo,
    });
    const res = await fetch(refusing.mcpUrl, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${appToken}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    });
    expect(res.status).toBe(403);
    const challenge = res.headers.get('www-authenticate') ?? '';
    expect(challenge).toContain('error="insufficient_scope"');
    expect(challenge).toMatch(/error_description="application tokens \(no signed-in user\) are not served/);

    const serving = await world.server({
      inboundAuthentication: { type: 'JwtBearerScheme', azureAd: world.azureAd() },
      outboundAuthentication: { ...obo, appOnlyCallers: 'ManagedIdentity' },
      mcpServer: { managedIdentityRoleName: 'system-assigned-identity' },
    });
    const asApp = await world.client(serving.mcpUrl, appToken);
    expect((await query(asApp, 'SELECT current_user AS u')).structuredContent?.rows).toEqual([
      ['system-assigned-identity'],
    ]);
    // users on the same server still go On-Behalf-Of as themselves
    const alice = await world.client(serving.mcpUrl, await world.token(world.alice));
    expect((await query(alice, 'SELECT current_user AS u')).structuredContent?.rows).toEqual([
      ['alice@contoso.com'],
    ]);
  });

  it('/ready: 200 while signing keys and the outbound credential are usable, else 503 with the reason and no secret', async () => {
    const ready = async (mcpUrl: string) => {
      const res = await fetch(mcpUrl.replace(/\/mcp$/, '/ready'));
      return {
        status: res.status,
        body: (await res.json()) as {
          status: string;
          checks: Array<{ name: string; ok: boolean; reason?: string }>;
        },
      };
    };
    const good = await world.server({
      inboundAuthentication: { type: 'JwtBearerScheme', azureAd: world.azureAd() },
      outboundAuthentication: { type: 'ManagedIdentity' },
      mcpServer: { managedIdentityRoleName: 'system-assigned-identity' },
    });
    expect(await ready(good.mcpUrl)).toEqual({
      status: 200,
      body: {
        status: 'ready',
        checks: [
          { name: 'signing keys', ok: true },
          { name: 'outbound credential', ok: true },
        ],
      },
    });
    // the identity provider's address refuses connections; the app's certificate is not in Key Vault
    const closedPort = await freePort();
    const bad = await world.server({
      inboundAuthentication: {
        type: 'JwtBearerScheme',
        azureAd: { ...world.azureAd(), instance: `https://127.0.0.1:${closedPort}/` },
      },
      outboundAuthentication: {
        type: 'JwtObo',
        clientCredential: {
          kind: 'CertificateKeyVault',
          keyVaultUrl: world.emulator.keyVaultUrl,
          certificateName: 'not-there',
        },
      },
    });
    const { status, body } = await ready(bad.mcpUrl);
    expect(status).toBe(503);
    expect(body.status).toBe('not_ready');
    expect(body.checks[0]).toMatchObject({ name: 'signing keys', ok: false });
    expect(body.checks[0]!.reason).toMatch(
      /signing keys could not be fetched from https:\/\/127\.0\.0\.1:\d+\/.*ECONNREFUSED/,
    );
    expect(body.checks[1]).toEqual({
      name: 'outbound credential',
      ok: false,
      reason: expect.stringContaining('Key Vault certificate not-there was not found'),
    });
    // liveness stays up
    expect((await fetch(bad.mcpUrl.replace(/\/mcp$/, '/health'))).status).toBe(200);
  });
});
