import { describe, expect, it } from 'vitest';
import { DiscoveredServers } from '../src/azure/DiscoveredServers.js';

const server = (fqdn: string) => ({ subscription: 's', resourceGroup: 'rg', fqdn });

describe('DiscoveredServers (names a caller found through ARM)', () => {
  it("is per caller: one caller's discovery never resolves another's name", () => {
    const d = new DiscoveredServers();
    d.remember('alice', 'pg-prod', server('pg-prod.postgres.database.azure.com'));
    expect(d.lookup('alice', 'pg-prod')?.fqdn).toBe('pg-prod.postgres.database.azure.com');
    expect(d.lookup('bob', 'pg-prod')).toBeUndefined();
  });

  it('is bounded in callers and in servers per caller, oldest first, and entries expire', async () => {
    const d = new DiscoveredServers({ maxCallers: 3, maxPerCaller: 2, ttlMs: 50 });
    for (const caller of ['a', 'b', 'c', 'd']) d.remember(caller, 'x', server(`${caller}.host`));
    expect(d.lookup('a', 'x')).toBeUndefined(); // the oldest caller went first
    expect(d.lookup('d', 'x')?.fqdn).toBe('d.host');
    for (const name of ['one', 'two', 'three']) d.remember('d', name, server(`${name}.host`));
    expect(d.lookup('d', 'x')).toBeUndefined();
    expect(d.lookup('d', 'three')?.fqdn).toBe('three.host');
    expect(d.size).toBeLessThanOrEqual(3 * 2);
    await new Promise((r) => setTimeout(r, 80));
    expect(d.lookup('d', 'three')).toBeUndefined();
  });
});
