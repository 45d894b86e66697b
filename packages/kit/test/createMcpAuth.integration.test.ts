// The one-call composition, through real parts: the SDK v2 server and client, JwtObo against the
// emulator, PostgreSQL behind the token gate. Each adapter (node:http, Express, web-standard) serves
// the same thing; a registered custom provider type is used without the kit knowing its name.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  defaultAuthContextAccessor,
  type ITokenCredentialProvider,
  parseServerConfig,
} from '@mcp-auth-kit/auth-core';
import { createMcpAuth, type McpAuth } from '@mcp-auth-kit/kit';
import { createCredentialProviderFactory } from '@mcp-auth-kit/outbound-credentials';
import { createPostgresTools, type PostgresTools } from '@mcp-auth-kit/postgres-tools';
import {
  EntraEmulator,
  POSTGRES_AAD_AUDIENCE,
  startTokenGatedPostgres,
  type TokenGatedPostgres,
} from '@mcp-auth-kit/testing';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let emulator: EntraEmulator;
let db: TokenGatedPostgres;
const closers: Array<() => Promise<unknown> | unknown> = [];
const SECRET = 'kit-secret';

beforeAll(async () => {
  emulator = await EntraEmulator.start();
  db = await startTokenGatedPostgres(emulator);
  await db.admin('CREATE DATABASE demo');
  await db.admin(
    'CREATE ROLE "alice@contoso.com" LOGIN; CREATE ROLE "system-assigned-identity" LOGIN; GRANT CONNECT ON DATABASE demo TO PUBLIC',
  );
}, 120_000);
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await db?.stop();
  await emulator?.stop();
});

async function listen(listener: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server: Server = createServer(listener);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  closers.push(() => {
    server.closeAllConnections();
    return new Promise((r) => server.close(r));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
}

function mcpFor(tools: PostgresTools) {
  return createMcpHandler(() => {
    const server = new McpServer({ name: 'kit', version: '0.0.0' });
    tools.register(server);
    server.registerTool('explode', { description: 'fails' }, async () => {
      throw new Error('kaboom');
    });
    return server;
  });
}

async function compose(logs: string[]) {
  const api = emulator.registerApp({ secret: SECRET });
  const config = parseServerConfig({
    inboundAuthentication: {
      type: 'JwtBearerScheme',
      azureAd: { instance: emulator.instance, tenantId: emulator.tenantId, clientId: api.clientId },
    },
    outboundAuthentication: { type: 'JwtObo', clientCredential: { kind: 'ClientSecret', secret: SECRET } },
  });
  const auth = await createMcpAuth(config, {
    toolPolicy: { postgres_server_config_get: { scopes: ['mcp.admin'] } },
    logger: { info: (m) => logs.push(m), warn: (m) => logs.push(m) },
  });
  const tools = createPostgresTools({
    credentialProvider: auth.credentialProvider,
    servers: { local: { host: db.gate.host, port: db.gate.port } },
  });
  closers.push(
    () => tools.close(),
    () => auth.close(),
  );
  return { auth, tools, api };
}

async function client(url: string, token: string) {
  const c = new Client({ name: 'kit-test', version: '0.0.0' }, { versionNegotiation: { mode: 'auto' } });
  await c.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  closers.push(() => c.close());
  return c;
}

type Result = {
  isError?: boolean;
  content: Array<{ text: string }>;
  structuredContent?: Record<string, unknown>;
};

const adapters: Record<string, (auth: McpAuth, tools: PostgresTools) => Promise<string>> = {
  'node:http': (auth, tools) => {
    const mcp = toNodeHandler(mcpFor(tools));
    return listen(auth.node((req, res) => mcp(req, res, req.body)));
  },
  Express: (auth, tools) => {
    const mcp = toNodeHandler(mcpFor(tools));
    const app = express();
    app.use(auth.express());
    app.all('/mcp', (req, res) => void mcp(req, res, (req as { body?: unknown }).body));
    return listen(app);
  },
  'web-standard': (auth, tools) => {
    const mcp = mcpFor(tools);
    const handler = auth.fetch((request, authInfo) => mcp.fetch(request, authInfo ? { authInfo } : {}));
    return listen(toNodeHandler({ fetch: handler }));
  },
};

describe.each(Object.entries(adapters))('createMcpAuth, %s', (_name, serve) => {
  let url: string;
  let api: { clientId: string };
  const logs: string[] = [];
  beforeAll(async () => {
    const composed = await compose(logs);
    api = composed.api;
    url = await serve(composed.auth, composed.tools);
  });
  const alice = () => emulator.addUser({ userPrincipalName: 'alice@contoso.com' });

  it('challenges without a token and serves the metadata it points at', async () => {
    const res = await fetch(url, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(401);
    const metadataUrl = /resource_metadata="([^"]+)"/.exec(res.headers.get('www-authenticate') ?? '')?.[1];
    const metadata = (await (await fetch(metadataUrl!)).json()) as { resource: string };
    expect(metadata.resource).toBe(url);
  });

  it('queries PostgreSQL as the caller through On-Behalf-Of', async () => {
    const token = await emulator.mintUserToken({
      user: alice(),
      audience: api.clientId,
      scopes: ['mcp.tools'],
    });
    const c = await client(url, token);
    const r = (await c.callTool({
      name: 'postgres_database_query',
      arguments: { server: 'local', database: 'demo', query: 'SELECT current_user AS u' },
    })) as Result;
    expect(r.structuredContent?.rows).toEqual([['alice@contoso.com']]);
  });

  it('applies the tool policy (403 insufficient_scope) and answers a throwing tool without leaking', async () => {
    const token = await emulator.mintUserToken({
      user: alice(),
      audience: api.clientId,
      scopes: ['mcp.tools'],
    });
    const c = await client(url, token);
    await expect(
      c.callTool({ name: 'postgres_server_config_get', arguments: { server: 'local' } }),
    ).rejects.toThrow(/403|insufficient_scope|scope/i);
    const exploded = (await c.callTool({ name: 'explode', arguments: {} })) as Result;
    expect(exploded.isError).toBe(true);
    expect(logs.join('\n')).not.toContain(token.split('.')[2]!);
  });
});

describe('an error thrown by the author’s handler', () => {
  it('is logged once, without the token, and answered 500', async () => {
    const logs: string[] = [];
    const { auth, api } = await compose(logs);
    const url = await listen(
      auth.node(() => {
        throw new Error('handler broke while holding eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln');
      }),
    );
    const token = await emulator.mintUserToken({
      user: emulator.addUser({ userPrincipalName: 'h@contoso.com' }),
      audience: api.clientId,
    });
    const res = await fetch(url, { method: 'GET', headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(500);
    const failures = logs.filter((l) => l.includes('MCP handler failed'));
    expect(failures).toHaveLength(1);
    expect(failures[0]).toContain('handler broke while holding [token]');
    expect(logs.join('\n')).not.toContain(token.split('.')[2]!);
  });
});

describe('the bearer token once authenticated', () => {
  it('reaches the handler as req.auth.token, not as a header anything downstream could copy or log; a second request on the same connection is the same caller', async () => {
    const { auth, api } = await compose([]);
    const seen: Array<{ header: unknown; raw: boolean; token: string | undefined; oid: unknown }> = [];
    const url = await listen(
      auth.node((req, res) => {
        seen.push({
          header: req.headers.authorization,
          raw: req.rawHeaders.some((h) => h.toLowerCase() === 'authorization'),
          token: req.auth?.token,
          oid: (req.auth?.extra?.claims as { oid?: unknown } | undefined)?.oid,
        });
        res.end('ok');
      }),
    );
    const user = emulator.addUser({ userPrincipalName: 'drop@contoso.com' });
    const token = await emulator.mintUserToken({ user, audience: api.clientId });
    // keep-alive: the second request may reuse the connection (and its remembered token)
    for (let i = 0; i < 2; i++) {
      const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      await res.text();
    }
    expect(seen).toEqual([
      { header: undefined, raw: false, token, oid: user.objectId },
      { header: undefined, raw: false, token, oid: user.objectId },
    ]);
    // another user's token on a fresh request is that user, not the one remembered
    const other = emulator.addUser({ userPrincipalName: 'drop2@contoso.com' });
    const otherToken = await emulator.mintUserToken({ user: other, audience: api.clientId });
    await (await fetch(url, { headers: { authorization: `Bearer ${otherToken}` } })).text();
    expect(seen[2]).toEqual({ header: undefined, raw: false, token: otherToken, oid: other.objectId });
  });
});

/** A new app registration and a configuration that validates its tokens, with no outbound identity. */
function bearerOnly() {
  const api = emulator.registerApp({ secret: SECRET });
  const config = parseServerConfig({
    inboundAuthentication: {
      type: 'JwtBearerScheme',
      azureAd: { instance: emulator.instance, tenantId: emulator.tenantId, clientId: api.clientId },
    },
    outboundAuthentication: { type: 'Default' },
  });
  return { api, config };
}

describe('one pipeline behind every adapter', () => {
  it('with propagateContext, the handler finds the caller in the accessor on node:http, Express and fetch alike; Express keeps the header for the middleware after it', async () => {
    const { api, config } = bearerOnly();
    const auth = await createMcpAuth(config, { propagateContext: true });
    closers.push(() => auth.close());
    const seen: Record<string, unknown> = {};
    const caller = () => defaultAuthContextAccessor.current()?.principal.objectId;
    const nodeUrl = await listen(
      auth.node(async (_req, res) => {
        await Promise.resolve(); // across an await, as a tool would be
        seen.node = caller();
        res.end('ok');
      }),
    );
    const app = express();
    app.use(auth.express());
    app.all('/mcp', async (req, res) => {
      await Promise.resolve();
      seen.express = caller();
      seen.expressHeader = req.headers.authorization;
      seen.expressToken = (req as { auth?: { token?: string } }).auth?.token;
      res.end('ok');
    });
    const expressUrl = await listen(app);
    const fetchUrl = await listen(
      toNodeHandler({
        fetch: auth.fetch(async () => {
          await Promise.resolve();
          seen.fetch = caller();
          return new Response('ok');
        }),
      }),
    );
    const user = emulator.addUser({ userPrincipalName: 'context@contoso.com' });
    const token = await emulator.mintUserToken({ user, audience: api.clientId });
    for (const url of [nodeUrl, expressUrl, fetchUrl]) {
      const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      await res.text();
    }
    expect(seen).toEqual({
      node: user.objectId,
      express: user.objectId,
      expressHeader: `Bearer ${token}`,
      expressToken: token,
      fetch: user.objectId,
    });
    expect(defaultAuthContextAccessor.current()).toBeUndefined();
  });
});

describe('a façade that throws', () => {
  it('is answered 500 and logged without the token, and the server keeps serving', async () => {
    const { api, config } = bearerOnly();
    const logs: string[] = [];
    let throwOnce = true;
    const auth = await createMcpAuth(config, {
      logger: { info: (m) => logs.push(m), warn: (m) => logs.push(m) },
      authorizationServer: {
        issuer: 'https://facade.example',
        handle() {
          if (throwOnce) {
            throwOnce = false;
            throw new Error('façade bug');
          }
          return false;
        },
        async fetch() {
          if (throwOnce) {
            throwOnce = false;
            throw new Error('façade bug');
          }
          return undefined;
        },
        inbound: (entra) => entra!,
        assertionFor: async () => undefined,
      },
    });
    closers.push(() => auth.close());
    const url = await listen(auth.node((_req, res) => res.end('ok')));
    const user = emulator.addUser({ userPrincipalName: 'facade-bug@contoso.com' });
    const token = await emulator.mintUserToken({ user, audience: api.clientId });
    const first = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    expect(first.status).toBe(500);
    expect(await first.json()).toEqual({ error: 'internal_error' });
    const second = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    expect(second.status).toBe(200);
    expect(logs.filter((m) => m.includes('façade bug'))).toHaveLength(1);
    // the same on a fetch-style host
    throwOnce = true;
    const fetchUrl = await listen(toNodeHandler({ fetch: auth.fetch(() => new Response('ok')) }));
    const viaFetch = await fetch(fetchUrl, { headers: { authorization: `Bearer ${token}` } });
    expect(viaFetch.status).toBe(500);
    expect((await fetch(fetchUrl, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect(logs.join('\n')).not.toContain(token);
  });
});

describe('a provider type the application registers', () => {
  it('is composed like a built-in one; the tool pack logs in as the host because the provider says it acts for the host', async () => {
    const identity = emulator.systemAssignedIdentity;
    class HostSignedProvider implements ITokenCredentialProvider {
      readonly type = 'HostSigned';
      readonly actsFor = 'host' as const;
      getTokenCredential() {
        return {
          getToken: async () => {
            const now = Math.floor(Date.now() / 1000);
            const token = await emulator.sign({
              aud: POSTGRES_AAD_AUDIENCE,
              iss: emulator.issuerV1(),
              tid: emulator.tenantId,
              oid: identity.objectId,
              iat: now,
              exp: now + 600,
              ver: '1.0',
            });
            return { token, expiresOnTimestamp: (now + 600) * 1000 };
          },
        };
      }
      describe() {
        return { type: this.type, identity: 'the host (a custom provider)' };
      }
    }
    const factory = createCredentialProviderFactory();
    factory.register('HostSigned', () => new HostSignedProvider());
    const api = emulator.registerApp({ secret: SECRET });
    const config = parseServerConfig(
      {
        inboundAuthentication: {
          type: 'JwtBearerScheme',
          azureAd: { instance: emulator.instance, tenantId: emulator.tenantId, clientId: api.clientId },
        },
        outboundAuthentication: { type: 'HostSigned' },
      },
      { extraOutboundTypes: ['HostSigned'] },
    );
    const auth = await createMcpAuth(config, {
      credentialProviderFactory: factory,
      logger: { info() {}, warn() {} },
    });
    const tools = createPostgresTools({
      credentialProvider: auth.credentialProvider,
      servers: { local: { host: db.gate.host, port: db.gate.port } },
      managedIdentityRoleName: identity.name,
    });
    closers.push(
      () => tools.close(),
      () => auth.close(),
    );
    const mcp = toNodeHandler(mcpFor(tools));
    const url = await listen(auth.node((req, res) => mcp(req, res, req.body)));
    const token = await emulator.mintUserToken({
      user: emulator.addUser({ userPrincipalName: 'c@contoso.com' }),
      audience: api.clientId,
    });
    const c = await client(url, token);
    const r = (await c.callTool({
      name: 'postgres_database_query',
      arguments: { server: 'local', database: 'demo', query: 'SELECT current_user AS u' },
    })) as Result;
    expect(r.structuredContent?.rows).toEqual([['system-assigned-identity']]);
  });
});
