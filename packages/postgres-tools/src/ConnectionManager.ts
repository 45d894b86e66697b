import type { TokenCredential } from '@azure/core-auth';
import pg from 'pg';
import { PostgresToolError } from './errors.js';
import type { ResolvedServer } from './servers.js';

export interface ConnectionLimits {
  /** Most pools (one per server, database, login role and caller); least recently used idle pools close first. Default 100. */
  readonly maxPools?: number;
  /** Connections per pool; default 2. */
  readonly maxConnectionsPerPool?: number;
  /** A pool unused this long is closed; default 60 000. */
  readonly poolIdleMs?: number;
  /** Default 10 000. */
  readonly connectTimeoutMs?: number;
  /**
   * Longest one tool's database work may take once connected (a connection that dies without a
   * word must not hang the call); its connection is then destroyed. Default 60 000.
   */
  readonly operationDeadlineMs?: number;
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

interface PoolEntry {
  readonly pool: pg.Pool;
  credential: TokenCredential;
  lastUsedMs: number;
  busy: number;
}

/** Counters for tests and benchmarks. */
export interface ConnectionStats {
  poolsCreated: number;
  connectionsOpened: number;
  tokenFetches: number;
  openPools: number;
}

/**
 * Bounded pools keyed by server, database, login role and caller. The password of each new
 * physical connection is a fresh token from the caller's credential (pg calls the function per
 * connection), so no pool ever logs in with another caller's token.
 */
export class ConnectionManager {
  readonly #pools = new Map<string, PoolEntry>();
  readonly #maxPools: number;
  readonly #maxConnections: number;
  readonly #idleMs: number;
  readonly #connectTimeoutMs: number;
  readonly #operationDeadlineMs: number;
  readonly #sweeper: NodeJS.Timeout;
  readonly stats: Omit<ConnectionStats, 'openPools'> = {
    poolsCreated: 0,
    connectionsOpened: 0,
    tokenFetches: 0,
  };
  #closed = false;

  constructor(limits: ConnectionLimits = {}) {
    this.#maxPools = limits.maxPools ?? 100;
    this.#maxConnections = limits.maxConnectionsPerPool ?? 2;
    this.#idleMs = limits.poolIdleMs ?? 60_000;
    this.#connectTimeoutMs = limits.connectTimeoutMs ?? 10_000;
    this.#operationDeadlineMs = limits.operationDeadlineMs ?? 60_000;
    this.#sweeper = setInterval(() => this.#sweep(), Math.max(1000, this.#idleMs / 2));
    this.#sweeper.unref();
  }

  get openPools(): number {
    return this.#pools.size;
  }

  /** Runs `fn` with a connection for `target`, returned to its pool afterwards (destroyed if broken). */
  async withClient<T>(target: PoolTarget, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    if (this.#closed) throw new PostgresToolError('unreachable', 'the Postgres tools are shut down');
    const entry = this.#entry(target);
    entry.busy++;
    entry.lastUsedMs = Date.now();
    let client: pg.PoolClient | undefined;
    let broken = false;
    try {
      client = await entry.pool.connect();
      const checkedOut = client;
      // A connection that dies while checked out (server restart, failover) emits 'error' on the
      // client; without a listener that is an uncaught exception. The running query fails anyway.
      if (!guarded.has(client)) {
        guarded.add(client);
        client.on('error', () => {});
      }
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          broken = true;
          reject(
            new PostgresToolError(
              'timeout',
              `the database did not answer within ${this.#operationDeadlineMs} ms`,
            ),
          );
        }, this.#operationDeadlineMs);
      });
      try {
        return await Promise.race([fn(checkedOut), deadline]);
      } finally {
        clearTimeout(timer);
      }
    } catch (error) {
      broken = isConnectionError(error);
      throw error;
    } finally {
      client?.release(broken ? true : undefined);
      entry.busy--;
      entry.lastUsedMs = Date.now();
    }
  }

  #entry(target: PoolTarget): PoolEntry {
    const key = `${target.server.host}:${target.server.port}\n${target.database}\n${target.role}\n${target.callerKey}`;
    const existing = this.#pools.get(key);
    if (existing) {
      existing.credential = target.credential;
      this.#pools.delete(key);
      this.#pools.set(key, existing);
      return existing;
    }
    this.#evictFor(1);
    const entry: PoolEntry = {
      credential: target.credential,
      lastUsedMs: Date.now(),
      busy: 0,
      pool: undefined as never,
    };
    const pool = new pg.Pool({
      host: target.server.host,
      port: target.server.port,
      database: target.database,
      user: target.role,
      ssl: target.server.ssl,
      max: this.#maxConnections,
      idleTimeoutMillis: this.#idleMs,
      connectionTimeoutMillis: this.#connectTimeoutMs,
      application_name: 'mcp-auth-kit',
      password: async () => {
        this.stats.tokenFetches++;
        const token = await entry.credential.getToken(target.server.scope);
        if (!token) throw new PostgresToolError('credential_error', 'the credential returned no token');
        return token.token;
      },
    });
    pool.on('connect', () => {
      this.stats.connectionsOpened++;
    });
    // An idle connection dropped by the server (restart, failover) must not crash the process.
    pool.on('error', () => {});
    (entry as { pool: pg.Pool }).pool = pool;
    this.#pools.set(key, entry);
    this.stats.poolsCreated++;
    return entry;
  }

  #evictFor(room: number): void {
    for (const [key, entry] of this.#pools) {
      if (this.#pools.size + room <= this.#maxPools) return;
      if (entry.busy > 0) continue;
      this.#pools.delete(key);
      entry.pool.end().catch(() => {});
    }
  }

  #sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.#pools) {
      if (entry.busy === 0 && now - entry.lastUsedMs > this.#idleMs) {
        this.#pools.delete(key);
        entry.pool.end().catch(() => {});
      }
    }
  }

  /** Closes every pool; waits for connections in use to be returned. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweeper);
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    // pool.end() waits for connections in use; a connection stuck on a dead server must not hold
    // shutdown forever.
    await Promise.all(
      pools.map((p) =>
        Promise.race([
          p.pool.end().catch(() => {}),
          new Promise<void>((r) => setTimeout(r, CLOSE_TIMEOUT_MS).unref()),
        ]),
      ),
    );
  }
}

const guarded = new WeakSet<pg.PoolClient>();
const CLOSE_TIMEOUT_MS = 5000;

function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: string }).code ?? '';
  return !/^[0-9A-Z]{5}$/.test(code) || code.startsWith('08') || code === '57P01';
}
