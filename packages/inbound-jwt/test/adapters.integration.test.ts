// Every adapter, through the real packages of both MCP SDK generations, over real loopback sockets:
// our node:http middleware, v1's requireBearerAuth (Express), v2's Express middleware, v2's
// web-standard gate, our own web-standard gate, and Hono. Each answers 401 invalid_token with a
// challenge for each kind of invalid token, 403 insufficient_scope for a missing scope, serves the
// metadata, and never answers 401 when signing keys cannot be had.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AzureAdConfig, fromAuthInfo, type McpAuthInfo } from '@mcp-auth-kit/auth-core';
import {
  createAuthMiddleware,
  createFetchAuth,
  createHonoAuthMiddleware,
  createProtectedResourceMetadataFetchHandler,
  createProtectedResourceMetadataHandler,
  JwtBearerInboundSetup,
} from '@mcp-auth-kit/inbound-jwt';
import { EntraEmulator } from '@mcp-auth-kit/testing';
import { requireBearerAuth as v2ExpressBearerAuth } from '@modelcontextprotocol/express';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { requireBearerAuth as v1BearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import { requireBearerAuth as v2Gate } from '@modelcontextprotocol/server';
import express from 'express';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_ID, azureAdFor } from './helpers.js';

let emulator: EntraEmulator;
let downEmulator: EntraEmulator;
beforeAll(async () => {
  [emulator, downEmulator] = await Promise.all([EntraEmulator.start(), EntraEmulator.start()]);
});
afterAll(async () => {
  await Promise.all([emulator?.stop(), downEmulator?.stop()]);
});

/** What each adapter's protected route answers: the caller's UPN as the handler received it. */
function echo(auth: McpAuthInfo | undefined): { upn: string | undefined } {
  return { upn: auth ? fromAuthInfo(auth).principal.userPrincipalName : undefined };
}

type Adapter = {
  /** Serves `/mcp` (protected) and the metadata on a node:http server. */
  listen(azureAd: AzureAdConfig): Promise<{ url: string; server: Server }>;
  /** Status when signing keys cannot be had: ours answer 503, the SDK's middleware its server-error status. */
  unavailableStatus: number;
  /** Whether the adapter serves the protected-resource metadata (the SDK middlewares leave that to a router). */
  servesMetadata: boolean;
};

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const fetchHandler = (fetch: (request: Request) => Promise<Response>) =>
  toNodeHandler({ fetch: (request: Request) => fetch(request) });

const adapters: Record<string, Adapter> = {
  'node:http (createAuthMiddleware)': {
    unavailableStatus: 503,
    servesMetadata: true,
    listen: async (azureAd) => {
      const auth = createAuthMiddleware(new JwtBearerInboundSetup(azureAd), { propagateContext: false });
      const metadata = createProtectedResourceMetadataHandler({ azureAd });
      return listen((req, res) => {
        if (metadata(req, res)) return;
        auth(req, res, () => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(echo((req as { auth?: McpAuthInfo }).auth)));
        });
      });
    },
  },
  'SDK v1 requireBearerAuth (Express)': {
    unavailableStatus: 500,
    servesMetadata: false,
    listen: async (azureAd) => {
      const app = express();
      app.use('/mcp', v1BearerAuth({ verifier: new JwtBearerInboundSetup(azureAd) }));
      app.get('/mcp', (req, res) => {
        res.json(echo((req as { auth?: McpAuthInfo }).auth));
      });
      return listen(app);
    },
  },
  'SDK v2 requireBearerAuth (@modelcontextprotocol/express)': {
    unavailableStatus: 500,
    servesMetadata: false,
    listen: async (azureAd) => {
      const app = express();
      app.use('/mcp', v2ExpressBearerAuth({ verifier: new JwtBearerInboundSetup(azureAd) }));
      app.get('/mcp', (req, res) => {
        res.json(echo((req as { auth?: McpAuthInfo }).auth));
      });
      return listen(app);
    },
  },
  'SDK v2 web-standard gate (@modelcontextprotocol/server)': {
    unavailableStatus: 500,
    servesMetadata: false,
    listen: async (azureAd) => {
      const gate = v2Gate({ verifier: new JwtBearerInboundSetup(azureAd) });
      return listen(
        fetchHandler(async (request) => {
          const auth = await gate(request);
          if (auth instanceof Response) return auth;
          return Response.json(echo(auth as McpAuthInfo));
        }),
      );
    },
  },
  'web-standard (createFetchAuth)': {
    unavailableStatus: 503,
    servesMetadata: true,
    listen: async (azureAd) => {
      const gate = createFetchAuth(new JwtBearerInboundSetup(azureAd));
      const metadata = createProtectedResourceMetadataFetchHandler({ azureAd });
      return listen(
        fetchHandler(async (request) => {
          const served = metadata(request);
          if (served) return served;
          const auth = await gate(request);
          if (auth instanceof Response) return auth;
          return Response.json(echo(auth));
        }),
      );
    },
  },
  'Hono (createHonoAuthMiddleware)': {
    unavailableStatus: 503,
    servesMetadata: true,
    listen: async (azureAd) => {
      const app = new Hono<{ Variables: { authInfo: McpAuthInfo } }>();
      const metadata = createProtectedResourceMetadataFetchHandler({ azureAd });
      app.use('/.well-known/*', async (c, next) => metadata(c.req.raw) ?? next());
      app.use('/mcp', createHonoAuthMiddleware(new JwtBearerInboundSetup(azureAd)));
      app.get('/mcp', (c) => c.json(echo(c.get('authInfo'))));
      return listen(fetchHandler(async (request) => app.fetch(request)));
    },
  },
};

describe.each(Object.entries(adapters))('%s', (_name, adapter) => {
  let url: string;
  let server: Server;
  let scoped: { url: string; server: Server };
  const alice = () =>
    emulator.addUser({ userPrincipalName: `alice-${Math.random().toString(36).slice(2)}@contoso.com` });
  const tokenFor = (claims: Record<string, unknown> = {}, scopes = ['mcp.tools']) =>
    emulator.mintUserToken({ user: alice(), audience: APP_ID, scopes, claims });
  const get = (headers: Record<string, string> = {}, base = url) => fetch(`${base}/mcp`, { headers });

  beforeAll(async () => {
    ({ url, server } = await adapter.listen(azureAdFor(emulator)));
    scoped = await adapter.listen(azureAdFor(emulator, { requiredScopes: ['mcp.admin'] }));
  });
  afterAll(async () => {
    server?.closeAllConnections();
    scoped?.server.closeAllConnections();
    await Promise.all([new Promise((r) => server?.close(r)), new Promise((r) => scoped?.server.close(r))]);
  });

  it('accepts a valid token and hands the caller to the handler', async () => {
    const user = emulator.addUser({ userPrincipalName: 'valid@contoso.com' });
    const res = await get({
      authorization: `Bearer ${await emulator.mintUserToken({ user, audience: APP_ID, scopes: ['mcp.tools'] })}`,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ upn: 'valid@contoso.com' });
  });

  it.each([
    ['garbage', async () => 'Bearer not-a-jwt'],
    [
      'a wrong audience',
      async () => `Bearer ${await emulator.mintUserToken({ user: alice(), audience: 'someone-else' })}`,
    ],
    [
      'an expired token',
      async () => `Bearer ${await tokenFor({ exp: Math.floor(Date.now() / 1000) - 600 })}`,
    ],
    ['a wrong issuer', async () => `Bearer ${await tokenFor({ iss: 'https://evil.example/v2.0' })}`],
    ['an absurd lifetime', async () => `Bearer ${await tokenFor({ exp: 1e20 })}`],
  ])('answers %s with 401 invalid_token and a challenge, never 500', async (_kind, header) => {
    const res = await get({ authorization: await header() });
    expect(res.status).toBe(401);
    const challenge = res.headers.get('www-authenticate') ?? '';
    expect(challenge).toMatch(/^Bearer /);
    expect(challenge).toContain('error="invalid_token"');
    expect(((await res.json()) as { error: string }).error).toBe('invalid_token');
  });

  it('answers a missing token with 401 and a challenge', async () => {
    const res = await get();
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
  });

  it('answers a token without the required scope with 403 insufficient_scope', async () => {
    const res = await get({ authorization: `Bearer ${await tokenFor()}` }, scoped.url);
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    const ok = await get({ authorization: `Bearer ${await tokenFor({}, ['mcp.admin'])}` }, scoped.url);
    expect(ok.status).toBe(200);
  });

  // (the SDK middlewares leave the metadata to a router of the author's: no metadata case for them)
  const itServesMetadata = adapter.servesMetadata ? it : () => {};
  itServesMetadata('serves the protected-resource metadata', async () => {
    const res = await fetch(`${url}/.well-known/oauth-protected-resource/mcp`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { resource: string; authorization_servers: string[] };
    expect(body.resource).toBe(`${url}/mcp`);
    expect(body.authorization_servers).toEqual([`${emulator.instance}${emulator.tenantId}/v2.0`]);
  });

  it(`answers ${adapter.unavailableStatus} (never 401) when signing keys cannot be had`, async () => {
    downEmulator.setFault('discovery', { kind: 'status', status: 500 });
    const { url: downUrl, server: downServer } = await adapter.listen(azureAdFor(downEmulator));
    try {
      const user = downEmulator.addUser({ userPrincipalName: 'down@contoso.com' });
      const token = await downEmulator.mintUserToken({ user, audience: APP_ID, scopes: ['mcp.tools'] });
      const res = await get({ authorization: `Bearer ${token}` }, downUrl);
      expect(res.status).toBe(adapter.unavailableStatus);
      if (adapter.unavailableStatus === 503) expect(res.headers.get('retry-after')).toBe('5');
      expect(res.headers.get('www-authenticate')).toBeNull();
    } finally {
      downEmulator.clearFaults();
      downServer.closeAllConnections();
      await new Promise((r) => downServer.close(r));
    }
  });
});
