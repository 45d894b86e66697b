export type { ConnectionLimits, ConnectionStats, Lease, PoolTarget } from './connectionTypes.js';

import { withSpan } from '@mcp-auth-kit/auth-core/internal';
import type pg from 'pg';
import { CallerSlots } from './CallerSlots.js';
import type { ConnectionLimits, ConnectionStats, Lease, PoolTarget } from './connectionTypes.js';
import { PostgresToolError } from './errors.js';
import { clipIdentifier } from './identifiers.js';
import { newPoolEntry, type PoolEntry } from './poolEntry.js';
import { terminateBackend } from './terminateBackend.js';

const MAX_WAITERS_PER_CALLER = 32;

/**
 * Bounded pools keyed by server, database, login role and caller. The password of each new
 * physical connection is a fresh token from the caller's credential (pg calls the function per
 * connection), so no pool ever logs in with another caller's token. Bounds hold on every path:
 * pools in all and per caller, connections per pool, and database work running per caller (a
 * connection whose backend is being ended still counts).
 */
export class ConnectionManager {
  readonly #pools = new Map<string, PoolEntry>();
  readonly #slots: CallerSlots;
  /** Pools per caller, and each caller's chain of backend terminations (one at a time). */
  readonly #poolsPerCaller = new Map<string, number>();
  readonly #terminations = new Map<string, Promise<void>>();
  readonly #maxPools: number;
  readonly #maxConnections: number;
  readonly #maxPerCaller: number;
  readonly #maxPoolsPerCaller: number;
  readonly #idleMs: number;
  readonly #connectTimeoutMs: number;
  readonly #operationDeadlineMs: number;
  readonly #terminateTimeoutMs: number;
  readonly #sweeper: NodeJS.Timeout;
  readonly #retiring = new Set<Promise<void>>();
  readonly #stats: Omit<ConnectionStats, 'openPools'> = {
    poolsCreated: 0,
    connectionsOpened: 0,
    tokenFetches: 0,
    backendsTerminated: 0,
    callsRefusedBusy: 0,
  };
  #closed = false;

  constructor(limits: ConnectionLimits = {}) {
    this.#maxPools = positive(limits.maxPools, 100, 'maxPools');
    this.#maxConnections = positive(limits.maxConnectionsPerPool, 2, 'maxConnectionsPerPool');
    this.#maxPerCaller = positive(limits.maxConnectionsPerCaller, 2, 'maxConnectionsPerCaller');
    this.#maxPoolsPerCaller = positive(limits.maxPoolsPerCaller, 4, 'maxPoolsPerCaller');
    this.#idleMs = positive(limits.poolIdleMs, 60_000, 'poolIdleMs');
    this.#connectTimeoutMs = positive(limits.connectTimeoutMs, 10_000, 'connectTimeoutMs');
    this.#operationDeadlineMs = positive(limits.operationDeadlineMs, 60_000, 'operationDeadlineMs');
    this.#terminateTimeoutMs = positive(limits.terminateTimeoutMs, 30_000, 'terminateTimeoutMs');
    this.#slots = new CallerSlots({
      max: this.#maxPerCaller,
      waitMs: this.#connectTimeoutMs,
      maxWaiters: MAX_WAITERS_PER_CALLER,
    });
    this.#sweeper = setInterval(() => this.#sweep(), Math.max(1000, this.#idleMs / 2));
    this.#sweeper.unref();
  }

  get openPools(): number {
    return this.#pools.size;
  }

  /** The counters so far (a copy: they are read-only to callers). */
  stats(): ConnectionStats {
    return { ...this.#stats, openPools: this.#pools.size };
  }

  /** Connections open now across the pools: checked out (busy) and idle. */
  connections(): { busy: number; idle: number } {
    let total = 0;
    let idle = 0;
    for (const entry of this.#pools.values()) {
      total += entry.pool.totalCount;
      idle += entry.pool.idleCount;
    }
    return { busy: total - idle, idle };
  }

  /** Connections in use by one caller right now (including ones whose backend is being ended). */
  activeFor(callerKey: string): number {
    return this.#slots.active(callerKey);
  }

  /** Runs `fn` with a connection for `target`, returned to its pool afterwards (or retired if abandoned). */
  /** Runs `fn` with a connection for `target`; `deadlineMs` overrides `operationDeadlineMs` for this call. */
  async withClient<T>(
    target: PoolTarget,
    fn: (lease: Lease) => Promise<T>,
    options: { deadlineMs?: number } = {},
  ): Promise<T> {
    const deadlineMs = options.deadlineMs ?? this.#operationDeadlineMs;
    if (this.#closed) throw new PostgresToolError('unreachable', 'the Postgres tools are shut down');
    const callerKey = target.callerKey;
    await this.#slots.acquire(callerKey, () => this.#busy());
    let entry: PoolEntry;
    try {
      entry = this.#entry(target);
    } catch (error) {
      this.#slots.release(callerKey);
      throw error;
    }
    entry.busy++;
    entry.lastUsedMs = Date.now();
    let client: pg.PoolClient;
    const connectStarted = Date.now();
    try {
      const reused = entry.pool.idleCount > 0;
      client = await withSpan(
        'postgres.connect',
        {
          'db.system.name': 'postgresql',
          'server.address': target.server.name,
          'db.client.connection.reused': reused,
        },
        () => entry.pool.connect(),
      );
    } catch (error) {
      this.#done(entry);
      // pg reports its connect timeout with a bare message; we know it by the time it took
      if (!(error as { code?: unknown }).code && Date.now() - connectStarted >= this.#connectTimeoutMs - 50) {
        throw new PostgresToolError(
          'unreachable',
          `server ${target.server.name} did not answer within ${this.#connectTimeoutMs} ms`,
          { cause: error },
        );
      }
      throw error;
    }
    // A connection that dies while checked out (server restart, failover) emits 'error' on the
    // client; without a listener that is an uncaught exception. The running query fails anyway.
    if (!guarded.has(client)) {
      guarded.add(client);
      client.on('error', () => {});
    }
    let abandoned = false;
    const lease: Lease = {
      client,
      backendPid: undefined,
      abandon: () => {
        abandoned = true;
      },
    };
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abandoned = true;
        reject(new PostgresToolError('timeout', `the database did not answer within ${deadlineMs} ms`));
      }, deadlineMs);
    });
    let broken = false;
    try {
      return await Promise.race([fn(lease), deadline]);
    } catch (error) {
      broken = isConnectionError(error);
      throw error;
    } finally {
      clearTimeout(timer);
      if (abandoned) {
        this.#retire(entry, client, lease.backendPid ?? processIdOf(client));
      } else {
        client.release(broken ? true : undefined);
        this.#done(entry);
      }
    }
  }

  #busy(): PostgresToolError {
    this.#stats.callsRefusedBusy++;
    return new PostgresToolError(
      'busy',
      `too many database calls are running for this caller (at most ${this.#maxPerCaller} at once); retry when one has finished`,
      { retryable: true },
    );
  }

  #done(entry: PoolEntry): void {
    entry.busy--;
    entry.lastUsedMs = Date.now();
    this.#slots.release(entry.callerKey);
  }

  /**
   * Cuts the connection, ends its backend by pid on a separate connection, and only then gives the
   * slot back. Terminations run one at a time per caller (each needs one extra connection).
   */
  #retire(entry: PoolEntry, client: pg.PoolClient, pid: number | undefined): void {
    streamOf(client)?.destroy();
    const key = entry.callerKey;
    const previous = this.#terminations.get(key) ?? Promise.resolve();
    const run = previous
      .then(async () => {
        const options = { timeoutMs: this.#terminateTimeoutMs, connectTimeoutMs: this.#connectTimeoutMs };
        if (pid !== undefined && (await terminateBackend(entry.config, pid, options))) {
          this.#stats.backendsTerminated++;
        }
      })
      .catch(() => {})
      .finally(() => {
        client.release(true);
        this.#done(entry);
      });
    this.#terminations.set(key, run);
    this.#retiring.add(run);
    run.then(() => {
      this.#retiring.delete(run);
      if (this.#terminations.get(key) === run) this.#terminations.delete(key);
    });
  }

  #entry(target: PoolTarget): PoolEntry {
    const database = clipIdentifier(target.database);
    const role = clipIdentifier(target.role);
    const key = `${target.server.host}:${target.server.port}\n${database}\n${role}\n${target.callerKey}`;
    const existing = this.#pools.get(key);
    if (existing) {
      existing.credential = target.credential;
      this.#pools.delete(key);
      this.#pools.set(key, existing);
      return existing;
    }
    const poolsOfCaller = () => this.#poolsPerCaller.get(target.callerKey) ?? 0;
    if (poolsOfCaller() >= this.#maxPoolsPerCaller) this.#evict((e) => e.callerKey === target.callerKey);
    if (poolsOfCaller() >= this.#maxPoolsPerCaller) throw this.#busy();
    if (this.#pools.size >= this.#maxPools) this.#evict(() => true);
    if (this.#pools.size >= this.#maxPools) {
      this.#stats.callsRefusedBusy++;
      throw new PostgresToolError(
        'busy',
        'the server has as many database pools open as it allows, all in use; retry shortly',
        { retryable: true },
      );
    }
    const entry = newPoolEntry(
      key,
      target,
      { database, role },
      {
        max: this.#maxConnections,
        idleTimeoutMillis: this.#idleMs,
        connectionTimeoutMillis: this.#connectTimeoutMs,
        onTokenFetch: () => this.#stats.tokenFetches++,
        onConnect: () => this.#stats.connectionsOpened++,
      },
    );
    this.#pools.set(key, entry);
    this.#poolsPerCaller.set(target.callerKey, poolsOfCaller() + 1);
    this.#stats.poolsCreated++;
    return entry;
  }

  /** Closes the least recently used idle pool that `which` selects. */
  #evict(which: (entry: PoolEntry) => boolean): void {
    for (const entry of this.#pools.values()) {
      if (entry.busy > 0 || !which(entry)) continue;
      this.#closePool(entry);
      return;
    }
  }

  #closePool(entry: PoolEntry): void {
    this.#pools.delete(entry.key);
    const left = (this.#poolsPerCaller.get(entry.callerKey) ?? 1) - 1;
    if (left > 0) this.#poolsPerCaller.set(entry.callerKey, left);
    else this.#poolsPerCaller.delete(entry.callerKey);
    entry.pool.end().catch(() => {});
  }

  #sweep(): void {
    const now = Date.now();
    for (const entry of [...this.#pools.values()]) {
      if (entry.busy === 0 && now - entry.lastUsedMs > this.#idleMs) this.#closePool(entry);
    }
  }

  /** Closes every pool; waits for connections in use to be returned and abandoned backends to end. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweeper);
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    // pool.end() waits for connections in use; a connection stuck on a dead server must not hold
    // shutdown forever.
    const bounded = (p: Promise<unknown>) =>
      Promise.race([p.catch(() => {}), new Promise<void>((r) => setTimeout(r, CLOSE_TIMEOUT_MS).unref())]);
    await bounded(Promise.all(this.#retiring));
    await Promise.all(pools.map((p) => bounded(p.pool.end())));
  }
}

const guarded = new WeakSet<pg.PoolClient>();
const CLOSE_TIMEOUT_MS = 5000;

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw new TypeError(`ConnectionManager: ${name} must be a positive number (got ${value})`);
  }
  return value;
}

/** pg's client keeps its socket and BackendKeyData on itself; @types/pg does not describe them. */
function streamOf(client: pg.PoolClient): { destroy(): void } | undefined {
  return (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream;
}

function processIdOf(client: pg.PoolClient): number | undefined {
  const pid = (client as unknown as { processID?: unknown }).processID;
  return typeof pid === 'number' && pid > 0 ? pid : undefined;
}

function isConnectionError(error: unknown): boolean {
  if (error instanceof PostgresToolError) return error.code === 'unreachable';
  const code = (error as { code?: string }).code ?? '';
  return !/^[0-9A-Z]{5}$/.test(code) || code.startsWith('08') || code === '57P01';
}
