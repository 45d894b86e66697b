import type { ArmLocation } from './AzureResourceManager.js';

export interface DiscoveredServer extends ArmLocation {
  readonly fqdn: string;
}

/**
 * The flexible servers each caller found through Azure Resource Manager (`postgres_list` with a
 * subscription and resource group), so that later calls may name them alone. Per caller: one
 * caller's discoveries never resolve another's names. Bounded in callers and in servers per
 * caller, and each entry expires.
 */
export class DiscoveredServers {
  readonly #byCaller = new Map<string, Map<string, DiscoveredServer & { atMs: number }>>();
  constructor(
    private readonly limits: { maxCallers: number; maxPerCaller: number; ttlMs: number } = {
      maxCallers: 10_000,
      maxPerCaller: 256,
      ttlMs: 30 * 60_000,
    },
  ) {}

  remember(callerKey: string, name: string, server: DiscoveredServer): void {
    let mine = this.#byCaller.get(callerKey);
    if (mine) {
      this.#byCaller.delete(callerKey); // most recently used last
    } else {
      mine = new Map();
      if (this.#byCaller.size >= this.limits.maxCallers) {
        this.#byCaller.delete(this.#byCaller.keys().next().value!);
      }
    }
    this.#byCaller.set(callerKey, mine);
    mine.delete(name);
    if (mine.size >= this.limits.maxPerCaller) mine.delete(mine.keys().next().value!);
    mine.set(name, { ...server, atMs: Date.now() });
  }

  lookup(callerKey: string, name: string): DiscoveredServer | undefined {
    const found = this.#byCaller.get(callerKey)?.get(name);
    if (!found) return undefined;
    if (Date.now() - found.atMs > this.limits.ttlMs) {
      this.#byCaller.get(callerKey)?.delete(name);
      return undefined;
    }
    return found;
  }

  get size(): number {
    let n = 0;
    for (const mine of this.#byCaller.values()) n += mine.size;
    return n;
  }
}
