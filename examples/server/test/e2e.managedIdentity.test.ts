// ManagedIdentity outbound mode; @azure/identity picks its managed identity source once per process.
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
});
