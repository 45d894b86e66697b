import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseServerConfig } from '@mcp-auth-kit/auth-core';
import { createAuthMiddleware, JwtBearerInboundSetup } from '@mcp-auth-kit/inbound-jwt';
import { createCredentialProviderFactory } from '@mcp-auth-kit/outbound-credentials';
import {
  createPostgresTools,
  type PostgresTools,
  type PostgresToolsOptions,
} from '@mcp-auth-kit/postgres-tools';
import {
  type EmulatedApp,
  type EmulatedUser,
  EntraEmulator,
  type PostgresTokenGate,
  startTokenGatedPostgres,
  type TestPostgres,
} from '@mcp-auth-kit/testing';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type pg from 'pg';

export interface Stack {
  emulator: EntraEmulator;
  postgres: TestPostgres;
  gate: PostgresTokenGate;
  api: EmulatedApp;
  alice: EmulatedUser;
  bob: EmulatedUser;
  tools: PostgresTools;
  /** The JwtBearerScheme setup the v1 server authenticates with (for other servers over the same tools). */
  inboundSetup: JwtBearerInboundSetup;
  url: string;
  admin(sql: string, database?: string): Promise<pg.QueryResult>;
  tokenFor(user: EmulatedUser, claims?: Record<string, unknown>): Promise<string>;
  client(token: string): Promise<Client>;
  stop(): Promise<void>;
}

/** Emulator + real PostgreSQL behind the token gate + an MCP server (stateless Streamable HTTP) with JwtObo and the tool pack. */
export async function startStack(options: Partial<PostgresToolsOptions> = {}): Promise<Stack> {
  const emulator = await EntraEmulator.start();
  const db = await startTokenGatedPostgres(emulator);
  const { postgres, gate, admin } = db;
  const api = emulator.registerApp({ secret: 'stack-secret' });
  const alice = emulator.addUser({ userPrincipalName: 'alice@contoso.com' });
  const bob = emulator.addUser({ userPrincipalName: 'bob@contoso.com' });

  await admin('CREATE DATABASE demo');
  await admin(
    `CREATE ROLE "alice@contoso.com" LOGIN; CREATE ROLE "bob@contoso.com" LOGIN; CREATE ROLE "system-assigned-identity" LOGIN`,
  );
  await admin(
    `CREATE TABLE orders (id int PRIMARY KEY, item text NOT NULL, qty int DEFAULT 1, placed timestamptz DEFAULT now(), data bytea);
     INSERT INTO orders SELECT g, 'item-' || g, g % 7, now(), '\\x01ff' FROM generate_series(1, 3000) g;
     CREATE TABLE alice_private (id int PRIMARY KEY, note text, order_id int REFERENCES orders(id));
     CREATE INDEX alice_private_note ON alice_private (note);
     INSERT INTO alice_private VALUES (1, 'alice only', 1);
     CREATE SEQUENCE counter;
     REVOKE ALL ON SCHEMA public FROM PUBLIC;
     GRANT USAGE ON SCHEMA public TO "alice@contoso.com", "bob@contoso.com";
     GRANT SELECT, INSERT, UPDATE, DELETE ON orders TO "alice@contoso.com", "bob@contoso.com";
     GRANT SELECT, INSERT ON alice_private TO "alice@contoso.com";
     GRANT USAGE, UPDATE ON SEQUENCE counter TO "alice@contoso.com";`,
    'demo',
  );

  const config = parseServerConfig({
    inboundAuthentication: {
      type: 'JwtBearerScheme',
      azureAd: { instance: emulator.instance, tenantId: emulator.tenantId, clientId: api.clientId },
    },
    outboundAuthentication: {
      type: 'JwtObo',
      clientCredential: { kind: 'ClientSecret', secret: 'stack-secret' },
    },
  });
  const setup = new JwtBearerInboundSetup(config.inboundAuthentication.azureAd!);
  const credentialProvider = createCredentialProviderFactory().create(config, {
    logger: { info() {}, warn() {} },
  });
  const tools = createPostgresTools({
    credentialProvider,
    servers: { local: { host: gate.host, port: gate.port } },
    ...options,
  });
  const auth = createAuthMiddleware(setup);
  const server: Server = createServer((req, res) => {
    auth(req, res, async () => {
      const mcp = new McpServer({ name: 'postgres-tools-test', version: '0.0.0' });
      tools.register(mcp);
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      res.on('close', () => {
        transport.close().catch(() => {});
        mcp.close().catch(() => {});
      });
      await mcp.connect(transport);
      await transport.handleRequest(req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  const clients: Client[] = [];

  return {
    emulator,
    postgres,
    gate,
    api,
    alice,
    bob,
    tools,
    inboundSetup: setup,
    url,
    admin,
    tokenFor: (user, claims) =>
      emulator.mintUserToken({ user, audience: api.clientId, scopes: ['mcp.tools'], claims }),
    async client(token) {
      const client = new Client({ name: 'test', version: '0.0.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(url), {
          requestInit: { headers: { authorization: `Bearer ${token}` } },
        }),
      );
      clients.push(client);
      return client;
    },
    async stop() {
      await Promise.all(clients.map((c) => c.close().catch(() => {})));
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await tools.close();
      await db.stop();
      await emulator.stop();
    },
  };
}
