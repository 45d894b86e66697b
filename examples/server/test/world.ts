import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  parseExampleConfig,
  type RunningExampleServer,
  type SessionLimits,
  startExampleServer,
} from '@mcp-auth-kit/example-server';
import type { AuthorizationServerFacade } from '@mcp-auth-kit/kit';
import {
  createSelfSignedCertificate,
  type EmulatedApp,
  type EmulatedUser,
  EntraEmulator,
  startTokenGatedPostgres,
  type TokenGatedPostgres,
} from '@mcp-auth-kit/testing';
import {
  Client as ClientV2,
  StreamableHTTPClientTransport as TransportV2,
} from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

export const PG_AUDIENCE = 'https://ossrdbms-aad.database.windows.net';

export interface World {
  emulator: EntraEmulator;
  db: TokenGatedPostgres;
  api: EmulatedApp;
  apiSecret: string;
  certApp: EmulatedApp;
  certPath: string;
  alice: EmulatedUser;
  bob: EmulatedUser;
  /** Starts the example server on a free port with this config (the auth sections plus optional mcpServer). */
  server(
    config: Record<string, unknown>,
    options?: {
      stateful?: boolean;
      sessions?: SessionLimits;
      sdk?: 'v1' | 'v2';
      port?: number;
      authorizationServer?: AuthorizationServerFacade;
    },
  ): Promise<RunningExampleServer>;
  /** The SDK v1 client (speaks 2025-11-25). */
  client(mcpUrl: string, token: string): Promise<Client>;
  /** The SDK v2 client, negotiating 2026-07-28 where the server speaks it. */
  clientV2(mcpUrl: string, token: string): Promise<Client>;
  token(
    user: EmulatedUser,
    app?: EmulatedApp,
    extra?: { scopes?: string[]; roles?: string[] },
  ): Promise<string>;
  azureAd(app?: EmulatedApp): Record<string, unknown>;
  /** JwtBearerScheme for the API `clientId` (scope mcp.tools) and JwtObo with its client secret. */
  oboConfig(clientId: string, secret: string, mcpServer?: Record<string, unknown>): Record<string, unknown>;
  closeClients(): Promise<void>;
  stop(): Promise<void>;
}

/** The emulator, a token-gated PostgreSQL with database demo, alice and bob, and two app registrations. */
export async function startWorld(): Promise<World> {
  const emulator = await EntraEmulator.start();
  const db = await startTokenGatedPostgres(emulator);
  const apiSecret = 'e2e-app-secret';
  const api = emulator.registerApp({ secret: apiSecret });
  const cert = createSelfSignedCertificate();
  const certApp = emulator.registerApp({ certificatePem: cert.certificatePem });
  const certPath = join(mkdtempSync(join(tmpdir(), 'e2e-cert-')), 'app.pem');
  writeFileSync(certPath, `${cert.privateKeyPem}\n${cert.certificatePem}`);
  const alice = emulator.addUser({ userPrincipalName: 'alice@contoso.com', name: 'Alice' });
  const bob = emulator.addUser({ userPrincipalName: 'bob@contoso.com', name: 'Bob' });
  await db.admin('CREATE DATABASE demo');
  await db.admin(
    'CREATE ROLE "alice@contoso.com" LOGIN; CREATE ROLE "bob@contoso.com" LOGIN; CREATE ROLE "system-assigned-identity" LOGIN',
  );
  await db.admin(
    `CREATE TABLE orders (id int PRIMARY KEY, item text);
     INSERT INTO orders VALUES (1, 'widget'), (2, 'gadget');
     CREATE TABLE alice_notes (id int PRIMARY KEY, note text);
     INSERT INTO alice_notes VALUES (1, 'only alice');
     REVOKE ALL ON SCHEMA public FROM PUBLIC;
     GRANT USAGE ON SCHEMA public TO "alice@contoso.com", "bob@contoso.com", "system-assigned-identity";
     GRANT SELECT ON orders TO "alice@contoso.com", "bob@contoso.com", "system-assigned-identity";
     GRANT SELECT ON alice_notes TO "alice@contoso.com";`,
    'demo',
  );
  const servers: RunningExampleServer[] = [];
  const clients: Client[] = [];
  const azureAd = (app: EmulatedApp = api) => ({
    instance: emulator.instance,
    tenantId: emulator.tenantId,
    clientId: app.clientId,
  });
  return {
    emulator,
    db,
    api,
    apiSecret,
    certApp,
    certPath,
    alice,
    bob,
    azureAd,
    oboConfig: (clientId, secret, mcpServer = {}) => ({
      inboundAuthentication: {
        type: 'JwtBearerScheme',
        azureAd: {
          instance: emulator.instance,
          tenantId: emulator.tenantId,
          clientId,
          requiredScopes: ['mcp.tools'],
        },
      },
      outboundAuthentication: { type: 'JwtObo', clientCredential: { kind: 'ClientSecret', secret } },
      mcpServer,
    }),
    async server(config, options = {}) {
      const withPg = {
        ...config,
        mcpServer: {
          ...((config.mcpServer as Record<string, unknown>) ?? {}),
          postgresServers: { local: { host: db.gate.host, port: db.gate.port } },
        },
      };
      const server = await startExampleServer({
        config: parseExampleConfig(withPg),
        port: options.port ?? 0,
        stateful: options.stateful ?? false,
        ...(options.authorizationServer ? { authorizationServer: options.authorizationServer } : {}),
        ...(options.sessions ? { sessions: options.sessions } : {}),
        ...(options.sdk ? { sdk: options.sdk } : {}),
        logger: { info() {}, warn() {} },
      });
      servers.push(server);
      return server;
    },
    async client(mcpUrl, token) {
      const client = new Client({ name: 'e2e', version: '0.0.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(mcpUrl), {
          requestInit: { headers: { authorization: `Bearer ${token}` } },
        }),
      );
      clients.push(client);
      return client;
    },
    async clientV2(mcpUrl, token) {
      const client = new ClientV2(
        { name: 'e2e-v2', version: '0.0.0' },
        { versionNegotiation: { mode: 'auto' } },
      );
      await client.connect(
        new TransportV2(new URL(mcpUrl), { requestInit: { headers: { authorization: `Bearer ${token}` } } }),
      );
      clients.push(client as unknown as Client);
      return client as unknown as Client;
    },
    token: (user, app = api, extra = {}) =>
      emulator.mintUserToken({
        user,
        audience: app.clientId,
        scopes: extra.scopes ?? ['mcp.tools'],
        roles: extra.roles,
      }),
    async closeClients() {
      await Promise.all(clients.splice(0).map((c) => c.close().catch(() => {})));
    },
    async stop() {
      await Promise.all(clients.map((c) => c.close().catch(() => {})));
      await Promise.all(servers.map((s) => s.close()));
      await db.stop();
      await emulator.stop();
    },
  };
}

export type ToolResult = {
  isError?: boolean;
  content: Array<{ type: string; text?: string }>;
  structuredContent?: Record<string, unknown>;
};

export async function query(client: Client, sql: string): Promise<ToolResult> {
  return (await client.callTool({
    name: 'postgres_database_query',
    arguments: { server: 'local', database: 'demo', query: sql },
  })) as ToolResult;
}

export const textOf = (r: ToolResult) => r.content.map((c) => c.text ?? '').join('\n');
