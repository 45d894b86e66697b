import {
  type EmulatedUser,
  EntraEmulator,
  POSTGRES_AAD_AUDIENCE,
  PostgresTokenGate,
  startPostgres,
  type TestPostgres,
} from '@mcp-auth-kit/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let emulator: EntraEmulator;
let postgres: TestPostgres;
let gate: PostgresTokenGate;
let alice: EmulatedUser;
let bob: EmulatedUser;

beforeAll(async () => {
  emulator = await EntraEmulator.start();
  postgres = await startPostgres();
  gate = await PostgresTokenGate.start({
    emulator,
    upstream: { socketPath: postgres.socketPath },
    tls: true,
  });
  alice = emulator.addUser({ userPrincipalName: 'alice@contoso.com' });
  bob = emulator.addUser({ userPrincipalName: 'bob@contoso.com' });
  const admin = new pg.Client({
    host: postgres.socketDir,
    port: postgres.port,
    user: postgres.superuser,
    database: 'postgres',
  });
  await admin.connect();
  await admin.query('CREATE ROLE "alice@contoso.com" LOGIN');
  await admin.query('CREATE ROLE "bob@contoso.com" LOGIN');
  await admin.query('CREATE ROLE "system-assigned-identity" LOGIN');
  await admin.end();
}, 120_000);

afterAll(async () => {
  await gate?.stop();
  await postgres?.stop();
  await emulator?.stop();
});

async function login(user: string, password: string, ssl: pg.ClientConfig['ssl'] = false) {
  const client = new pg.Client({
    host: gate.host,
    port: gate.port,
    user,
    password,
    database: 'postgres',
    ssl,
  });
  await client.connect();
  try {
    return (await client.query<{ current_user: string }>('SELECT current_user')).rows[0]!.current_user;
  } finally {
    await client.end();
  }
}

describe('Postgres token login (Azure Database for PostgreSQL style)', () => {
  it('admits an unexpired token for the database audience whose user is the login role', async () => {
    const token = await emulator.mintUserToken({
      user: alice,
      audience: POSTGRES_AAD_AUDIENCE,
      version: '1.0',
    });
    expect(await login('alice@contoso.com', token)).toBe('alice@contoso.com');
  });

  it('admits over TLS verified against the emulator CA', async () => {
    const token = await emulator.mintUserToken({
      user: bob,
      audience: POSTGRES_AAD_AUDIENCE,
      version: '1.0',
    });
    expect(
      await login('bob@contoso.com', token, { ca: emulator.ca.certificatePem, servername: 'localhost' }),
    ).toBe('bob@contoso.com');
  });

  it('admits a managed identity by its name', async () => {
    const token = await emulator.mintAppToken({
      app: emulator.systemAssignedIdentity,
      audience: POSTGRES_AAD_AUDIENCE,
    });
    expect(await login('system-assigned-identity', token)).toBe('system-assigned-identity');
  });

  it.each([
    [
      'another user',
      async () => emulator.mintUserToken({ user: bob, audience: POSTGRES_AAD_AUDIENCE }),
      'role_mismatch',
    ],
    [
      'another audience',
      async () => emulator.mintUserToken({ user: alice, audience: 'https://vault.azure.net' }),
      'wrong_audience',
    ],
    [
      'an expired token',
      async () =>
        emulator.mintUserToken({ user: alice, audience: POSTGRES_AAD_AUDIENCE, lifetimeSeconds: -5 }),
      'expired',
    ],
    ['a plain password', async () => 'password', 'not_a_token'],
    [
      'a forged signature',
      async () =>
        `${(await emulator.mintUserToken({ user: alice, audience: POSTGRES_AAD_AUDIENCE })).slice(0, -6)}AAAAAA`,
      'bad_signature',
    ],
  ])('refuses %s with 28P01', async (_name, makePassword, reason) => {
    const password = await makePassword();
    await expect(login('alice@contoso.com', password)).rejects.toMatchObject({ code: '28P01' });
    expect(gate.refusals.at(-1)).toEqual({ role: 'alice@contoso.com', reason });
  });
});
