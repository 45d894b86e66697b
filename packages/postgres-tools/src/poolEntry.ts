// One pool of the ConnectionManager: a server, database, login role and caller. Each new physical
// connection logs in with a fresh token from the caller's latest credential (pg asks for the
// password per connection), so no pool ever logs in with another caller's token.
import type { TokenCredential } from '@azure/core-auth';
import pg from 'pg';
import type { PoolTarget } from './connectionTypes.js';
import { PostgresToolError } from './errors.js';

export interface PoolEntry {
  readonly key: string;
  readonly callerKey: string;
  readonly pool: pg.Pool;
  readonly config: pg.ClientConfig;
  credential: TokenCredential;
  lastUsedMs: number;
  busy: number;
}

export function newPoolEntry(
  key: string,
  target: PoolTarget,
  names: { readonly database: string; readonly role: string },
  options: {
    readonly max: number;
    readonly idleTimeoutMillis: number;
    readonly connectionTimeoutMillis: number;
    readonly onTokenFetch: () => void;
    readonly onConnect: () => void;
  },
): PoolEntry {
  const config: pg.ClientConfig = {
    host: target.server.host,
    port: target.server.port,
    database: names.database,
    user: names.role,
    ssl: target.server.ssl,
    application_name: 'mcp-auth-kit',
    // long queries must not be dropped by idle middleboxes
    keepAlive: true,
    password: async () => {
      options.onTokenFetch();
      const token = await entry.credential.getToken(target.server.scope);
      if (!token) throw new PostgresToolError('credential_error', 'the credential returned no token');
      return token.token;
    },
  };
  const pool = new pg.Pool({
    ...config,
    max: options.max,
    idleTimeoutMillis: options.idleTimeoutMillis,
    connectionTimeoutMillis: options.connectionTimeoutMillis,
  });
  pool.on('connect', options.onConnect);
  // An idle connection dropped by the server (restart, failover) must not crash the process.
  pool.on('error', () => {});
  const entry: PoolEntry = {
    key,
    callerKey: target.callerKey,
    credential: target.credential,
    lastUsedMs: Date.now(),
    busy: 0,
    pool,
    config,
  };
  return entry;
}
