import type { TokenCredential } from '@azure/core-auth';
import type pg from 'pg';
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
