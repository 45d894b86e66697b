import { AuthContextAccessor, createRequestAuthContext, parseServerConfig } from '@mcp-auth-kit/auth-core';
import { createCredentialProviderFactory } from '@mcp-auth-kit/outbound-credentials';
import { createPostgresTools, type PostgresServerEntry } from '@mcp-auth-kit/postgres-tools';
import {
  createCertificateAuthority,
  EntraEmulator,
  startTokenGatedPostgres,
  type TokenGatedPostgres,
} from '@mcp-auth-kit/testing';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let emulator: EntraEmulator;
let db: TokenGatedPostgres;
beforeAll(async () => {
  emulator = await EntraEmulator.start();
  db = await startTokenGatedPostgres(emulator, { tls: true });
  await db.admin('CREATE ROLE "tls@contoso.com" LOGIN');
}, 120_000);
afterAll(async () => {
  await db?.stop();
  await emulator?.stop();
});

async function currentUser(entry: PostgresServerEntry) {
  const api = emulator.registerApp({ secret: 's' });
  const config = parseServerConfig({
    inboundAuthentication: {
      type: 'JwtBearerScheme',
      azureAd: { instance: emulator.instance, tenantId: emulator.tenantId, clientId: api.clientId },
    },
    outboundAuthentication: { type: 'JwtObo', clientCredential: { kind: 'ClientSecret', secret: 's' } },
  });
  const accessor = new AuthContextAccessor();
  const provider = createCredentialProviderFactory().create(config, {
    accessor,
    logger: { info() {}, warn() {} },
  });
  const tools = createPostgresTools({ credentialProvider: provider, servers: { secure: entry }, accessor });
  const server = new McpServer({ name: 't', version: '1' });
  tools.register(server);
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(b);
  const client = new Client({ name: 't', version: '1' });
  await client.connect(a);
  const user =
    emulator
      .principals()
      .find((p) => 'userPrincipalName' in p && p.userPrincipalName === 'tls@contoso.com') ??
    emulator.addUser({ userPrincipalName: 'tls@contoso.com' });
  const token = await emulator.mintUserToken({ user: user as never, audience: api.clientId });
  try {
    return (await accessor.run(createRequestAuthContext(token, decodeJwt(token)), () =>
      client.callTool({
        name: 'postgres_database_query',
        arguments: { server: 'secure', database: 'postgres', query: 'SELECT current_user AS u' },
      }),
    )) as { isError?: boolean; content: Array<{ text: string }>; structuredContent?: { rows: unknown[] } };
  } finally {
    await client.close();
    await tools.close();
  }
}

describe('TLS to the database', () => {
  it('connects with full verification against the configured CA', async () => {
    const r = await currentUser({
      host: db.gate.host,
      port: db.gate.port,
      tls: { ca: emulator.ca.certificatePem, servername: 'localhost' },
    });
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent?.rows).toEqual([['tls@contoso.com']]);
  });

  it('refuses a server whose certificate does not verify, with a clear message', async () => {
    const other = await createCertificateAuthority();
    const r = await currentUser({
      host: db.gate.host,
      port: db.gate.port,
      tls: { ca: other.certificatePem, servername: 'localhost' },
    });
    expect(r.isError).toBe(true);
    expect(r.content[0]!.text).toMatch(/TLS verification of secure failed|certificate/);
  });
});
