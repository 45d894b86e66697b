import type { TokenCredential } from '@azure/core-auth';
import pg from 'pg';
import { PostgresToolError } from './errors.js';
import { clipIdentifier } from './identifiers.js';
import type { ResolvedServer } from './servers.js';

export interface ConnectionLimits {
  /**
   * Most pools (one per server, database, login role and caller); least recently used idle pools
   * close first; when every pool is busy a call is refused with a retryable error. Default 100.
   */
  readonly maxPools?: number;
  /** Connections per pool; default 2. */
  readonly maxConnectionsPerPool?: number;
  /**
   * Database work one caller may have running at once, across all their pools (connections in use,
   * including one whose backend is being ended). More calls wait up to `connectTimeoutMs`, then are
   * refused with a retryable error. Default 2.
   */
  readonly maxConnectionsPerCaller?: number;
  /** Pools one caller may hold (their least recently used idle pool closes first); default 4. */
  readonly maxPoolsPerCaller?: number;
  /** A pool unused this long is closed; default 60 000. */
  readonly poolIdleMs?: number;
  /** Default 10 000. */
  readonly connectTimeoutMs?: number;
  /**
   * Longest one tool's database work may take once connected. Past it the call fails, and its
   * backend is ended on a separate connection (a statement can catch its own statement timeout;
   * it cannot catch pg_terminate_backend). Default 60 000.
   */
  readonly operationDeadlineMs?: number;
  /** How long ending an abandoned backend may take before its slot is given back anyway; default 30 000. */
  readonly terminateTimeoutMs?: number;
}

/** What one pool is for. */
export interface PoolTarget {
  readonly server: ResolvedServer;
  readonly database: string;
  readonly role: string;
  /** The caller's object id for per-caller credentials, or `host` for the host's identity. */
  readonly callerKey: string;
  /** The credential to fetch the password with; refreshed on every use (the caller's latest token). */
  readonly credential: TokenCredential;
}

/** A connection lent to one tool call. */
export interface Lease {
  readonly client: pg.PoolClient;
  /** The server process behind the connection, once known (the envelope reports it). */
  backendPid: number | undefined;
  /**
   * The connection must not be reused: its socket is cut and its backend may still be running.
   * Its backend is ended for certain before its slot counts as free again.
   */
  abandon(): void;
}

interface PoolEntry {
  readonly key: string;
  readonly callerKey: string;
  readonly pool: pg.Pool;
  readonly config: pg.ClientConfig;
  credential: TokenCredential;
  lastUsedMs: number;
  busy: number;
}

interface CallerState {
  active: number;
  readonly waiters: Array<() => void>;
  pools: number;
  /** Backend terminations run one at a time per caller (each needs one extra connection). */
  terminations: Promise<void>;
}

/** Counters for tests and benchmarks. */
export interface ConnectionStats {
  poolsCreated: number;
  connectionsOpened: number;
  tokenFetches: number;
  /** Backends ended on a separate connection after a deadline or an oversized result. */
  backendsTerminated: number;
  /** Calls refused because their caller, or the server, had no connection slot free in time. */
  callsRefusedBusy: number;
  openPools: number;
}

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
  readonly #callers = new Map<string, CallerState>();
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

  /** Connections in use by one caller right now (including ones whose backend is being ended). */
  activeFor(callerKey: string): number {
    return this.#callers.get(callerKey)?.active ?? 0;
  }

  /** Runs `fn` with a connection for `target`, returned to its pool afterwards (or retired if abandoned). */
  async withClient<T>(target: PoolTarget, fn: (lease: Lease) => Promise<T>): Promise<T> {
    if (this.#closed) throw new PostgresToolError('unreachable', 'the Postgres tools are shut down');
    const caller = this.#caller(target.callerKey);
    await this.#acquireSlot(caller);
    let entry: PoolEntry;
    try {
      entry = this.#entry(target);
    } catch (error) {
      this.#releaseSlot(target.callerKey, caller);
      throw error;
    }
    entry.busy++;
    entry.lastUsedMs = Date.now();
    let client: pg.PoolClient;
    const connectStarted = Date.now();
    try {
      client = await entry.pool.connect();
    } catch (error) {
      this.#done(entry, caller);
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
        reject(
          new PostgresToolError(
            'timeout',
            `the database did not answer within ${this.#operationDeadlineMs} ms`,
          ),
        );
      }, this.#operationDeadlineMs);
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
        this.#retire(entry, caller, client, lease.backendPid ?? processIdOf(client));
      } else {
        client.release(broken ? true : undefined);
        this.#done(entry, caller);
      }
    }
  }

  #caller(callerKey: string): CallerState {
    let state = this.#callers.get(callerKey);
    if (!state) {
      state = { active: 0, waiters: [], pools: 0, terminations: Promise.resolve() };
      this.#callers.set(callerKey, state);
    }
    return state;
  }

  async #acquireSlot(caller: CallerState): Promise<void> {
    if (caller.active < this.#maxPerCaller) {
      caller.active++;
      return;
    }
    if (caller.waiters.length >= MAX_WAITERS_PER_CALLER) throw this.#busy();
    await new Promise<void>((resolve, reject) => {
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const i = caller.waiters.indexOf(wake);
        if (i >= 0) caller.waiters.splice(i, 1);
        reject(this.#busy());
      }, this.#connectTimeoutMs);
      caller.waiters.push(wake);
    });
    // the slot was handed over by #releaseSlot (active was not decremented)
  }

  #busy(): PostgresToolError {
    this.#stats.callsRefusedBusy++;
    return new PostgresToolError(
      'busy',
      `too many database calls are running for this caller (at most ${this.#maxPerCaller} at once); retry when one has finished`,
      { retryable: true },
    );
  }

  #releaseSlot(callerKey: string, caller: CallerState): void {
    const next = caller.waiters.shift();
    if (next) {
      next();
      return;
    }
    caller.active--;
    if (caller.active === 0 && caller.pools === 0) this.#callers.delete(callerKey);
  }

  #done(entry: PoolEntry, caller: CallerState): void {
    entry.busy--;
    entry.lastUsedMs = Date.now();
    this.#releaseSlot(entry.callerKey, caller);
  }

  /**
   * Cuts the connection, ends its backend by pid on a separate connection (the role may end its
   * own backends) and only then gives the slot back. Terminations run one at a time per caller.
   */
  #retire(entry: PoolEntry, caller: CallerState, client: pg.PoolClient, pid: number | undefined): void {
    streamOf(client)?.destroy();
    const run = caller.terminations.then(async () => {
      try {
        if (pid !== undefined && (await this.#terminate(entry, pid))) this.#stats.backendsTerminated++;
      } finally {
        client.release(true);
        this.#done(entry, caller);
      }
    });
    caller.terminations = run.catch(() => {});
    const tracked = caller.terminations;
    this.#retiring.add(tracked);
    tracked.then(() => this.#retiring.delete(tracked));
  }

  /** True once the backend is confirmed gone; false when that could not be confirmed in time. */
  async #terminate(entry: PoolEntry, pid: number): Promise<boolean> {
    const until = Date.now() + this.#terminateTimeoutMs;
    let killer: pg.Client | undefined;
    try {
      while (Date.now() < until) {
        try {
          if (!killer) {
            killer = new pg.Client({
              ...entry.config,
              application_name: 'mcp-auth-kit-terminator',
              connectionTimeoutMillis: Math.max(1000, Math.min(this.#connectTimeoutMs, until - Date.now())),
            });
            killer.on('error', () => {});
            await killer.connect();
          }
          const { rows } = await killer.query<{ alive: boolean }>(
            'SELECT pg_terminate_backend(pid) IS NULL AS alive FROM pg_stat_activity WHERE pid = $1::int',
            [pid],
          );
          if (rows.length === 0) return true;
        } catch {
          await killer?.end().catch(() => {});
          killer = undefined;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      return false;
    } finally {
      await killer?.end().catch(() => {});
    }
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
    const caller = this.#caller(target.callerKey);
    if (caller.pools >= this.#maxPoolsPerCaller) this.#evict((e) => e.callerKey === target.callerKey);
    if (caller.pools >= this.#maxPoolsPerCaller) throw this.#busy();
    if (this.#pools.size >= this.#maxPools) this.#evict(() => true);
    if (this.#pools.size >= this.#maxPools) {
      this.#stats.callsRefusedBusy++;
      throw new PostgresToolError(
        'busy',
        'the server has as many database pools open as it allows, all in use; retry shortly',
        { retryable: true },
      );
    }
    const entry: PoolEntry = {
      key,
      callerKey: target.callerKey,
      credential: target.credential,
      lastUsedMs: Date.now(),
      busy: 0,
      pool: undefined as never,
      config: {
        host: target.server.host,
        port: target.server.port,
        database,
        user: role,
        ssl: target.server.ssl,
        application_name: 'mcp-auth-kit',
        // long queries must not be dropped by idle middleboxes
        keepAlive: true,
        password: async () => {
          this.#stats.tokenFetches++;
          const token = await entry.credential.getToken(target.server.scope);
          if (!token) throw new PostgresToolError('credential_error', 'the credential returned no token');
          return token.token;
        },
      },
    };
    const pool = new pg.Pool({
      ...entry.config,
      max: this.#maxConnections,
      idleTimeoutMillis: this.#idleMs,
      connectionTimeoutMillis: this.#connectTimeoutMs,
    });
    pool.on('connect', () => {
      this.#stats.connectionsOpened++;
    });
    // An idle connection dropped by the server (restart, failover) must not crash the process.
    pool.on('error', () => {});
    (entry as { pool: pg.Pool }).pool = pool;
    this.#pools.set(key, entry);
    caller.pools++;
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
    const caller = this.#callers.get(entry.callerKey);
    if (caller) {
      caller.pools--;
      if (caller.active === 0 && caller.pools === 0) this.#callers.delete(entry.callerKey);
    }
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
