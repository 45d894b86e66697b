// A real MCP client signs in by itself: the SDK v2 client's own OAuth flow (its authProvider) from
// no token to a tool result as alice, against the emulated Entra ID, through On-Behalf-Of and
// PostgreSQL. The client discovers everything from the 401: metadata, authorization server, scope.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing, launchChromium, runBrowserTests } from './browser.js';
import { LoopbackProvider } from './oauthClients.js';
import { startWorld, type World } from './world.js';

let world: World;
beforeAll(async () => {
  world = await startWorld();
}, 120_000);
afterAll(async () => {
  await world?.stop();
});

/**
 * A server as the README sets one up for sign-in: the API's Application ID URI is the MCP URL and
 * it exposes `mcp.tools` (plus `scopes`); a public client application with a loopback redirect.
 */
async function signInSetup(
  options: {
    clockSkewSeconds?: number;
    scopes?: string[];
    toolPolicy?: Record<string, { scopes: string[] }>;
    sdk?: 'v1';
  } = {},
) {
  const apiClientId = randomUUID();
  const secret = `secret-${randomUUID()}`;
  const server = await world.server(
    {
      inboundAuthentication: {
        type: 'JwtBearerScheme',
        azureAd: {
          instance: world.emulator.instance,
          tenantId: world.emulator.tenantId,
          clientId: apiClientId,
          requiredScopes: ['mcp.tools'],
          ...(options.clockSkewSeconds !== undefined ? { clockSkewSeconds: options.clockSkewSeconds } : {}),
        },
      },
      outboundAuthentication: { type: 'JwtObo', clientCredential: { kind: 'ClientSecret', secret } },
      ...(options.toolPolicy ? { mcpServer: { toolPolicy: options.toolPolicy } } : {}),
    },
    options.sdk ? { sdk: options.sdk } : {},
  );
  world.emulator.registerApp({
    clientId: apiClientId,
    secret,
    identifierUris: [server.mcpUrl],
    exposedScopes: ['mcp.tools', ...(options.scopes ?? [])],
  });
  const mcpClient = world.emulator.registerApp({
    publicClient: true,
    redirectUris: ['http://localhost/callback', 'http://127.0.0.1/callback'],
  });
  return { server, mcpClient, apiClientId };
}

describe('the SDK v2 client signs in by itself', () => {
  it('from a 401 to a query as alice: discovery, authorize with PKCE and resource, code exchange with the scope hook', async () => {
    const { server, mcpClient } = await signInSetup();
    const scope = `${server.mcpUrl}/mcp.tools`;
    const signIn = async (provider: LoopbackProvider) => {
      const transport = new StreamableHTTPClientTransport(new URL(server.mcpUrl), { authProvider: provider });
      await expect(new Client({ name: 'e2e', version: '0' }).connect(transport)).rejects.toThrow();
      const url = provider.authorizationUrl!;
      url.searchParams.set('login_hint', 'alice@contoso.com'); // the user picks alice
      const callback = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!);
      return { transport, callback };
    };
    // as the SDK sends it, the code exchange has no scope: Entra refuses it, and so does the emulator
    const bare = await signIn(new LoopbackProvider(mcpClient.clientId));
    await expect(bare.transport.finishAuth(bare.callback.searchParams)).rejects.toThrow(/AADSTS900144/);

    const provider = new LoopbackProvider(mcpClient.clientId, scope);
    const { transport, callback } = await signIn(provider);
    expect(provider.authorizationUrl?.searchParams.get('resource')).toBe(server.mcpUrl);
    expect(provider.authorizationUrl?.searchParams.get('scope')).toContain(scope);
    expect(callback.searchParams.get('code')).toBeTruthy();
    await transport.finishAuth(callback.searchParams);

    const client = new Client({ name: 'e2e', version: '0' }, { versionNegotiation: { mode: 'auto' } });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(server.mcpUrl), { authProvider: provider }),
    );
    const result = (await client.callTool({
      name: 'postgres_database_query',
      arguments: {
        server: 'local',
        database: 'demo',
        query: 'SELECT current_user AS u, note FROM alice_notes',
      },
    })) as { structuredContent?: { rows: unknown[] } };
    expect(result.structuredContent?.rows).toEqual([['alice@contoso.com', 'only alice']]);
    await client.close();
  });

  it('refreshes after the access token expires, with a new refresh token, without signing in again', async () => {
    const { server, mcpClient } = await signInSetup({ clockSkewSeconds: 0 });
    const provider = new LoopbackProvider(mcpClient.clientId, `${server.mcpUrl}/mcp.tools offline_access`);
    const lifetime = world.emulator.tokenLifetimeSeconds;
    world.emulator.tokenLifetimeSeconds = 2;
    try {
      const transport = new StreamableHTTPClientTransport(new URL(server.mcpUrl), { authProvider: provider });
      await expect(new Client({ name: 'e2e', version: '0' }).connect(transport)).rejects.toThrow();
      const url = provider.authorizationUrl!;
      url.searchParams.set('login_hint', 'alice@contoso.com');
      const callback = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!);
      await transport.finishAuth(callback.searchParams);
      const first = provider.tokens();
      expect(first?.refresh_token).toBeTruthy();
      await new Promise((r) => setTimeout(r, 2500));
      const refreshesBefore = world.emulator.countRequests({ grant: 'refresh_token' });
      const client = new Client({ name: 'e2e', version: '0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(server.mcpUrl), { authProvider: provider }),
      );
      const result = (await client.callTool({
        name: 'postgres_database_query',
        arguments: { server: 'local', database: 'demo', query: 'SELECT current_user AS u' },
      })) as { structuredContent?: { rows: unknown[] } };
      expect(result.structuredContent?.rows).toEqual([['alice@contoso.com']]);
      expect(world.emulator.countRequests({ grant: 'refresh_token' })).toBeGreaterThan(refreshesBefore);
      expect(provider.tokens()?.refresh_token).not.toBe(first?.refresh_token);
      await client.close();
    } finally {
      world.emulator.tokenLifetimeSeconds = lifetime;
    }
  });
});

describe('step-up after 403 insufficient_scope (the SDK v2 client)', () => {
  it('a tool needing a further scope: the client asks for it under the resource, signs in again, and the call goes through', async () => {
    const { server, mcpClient } = await signInSetup({
      scopes: ['mcp.query'],
      toolPolicy: { postgres_database_query: { scopes: ['mcp.query'] } },
    });
    // the scope hook sends what the latest authorization asked for (the SDK sends no scope there)
    const provider = new LoopbackProvider(mcpClient.clientId);
    provider.addClientAuthentication = (_headers, params) => {
      params.set('client_id', mcpClient.clientId);
      const asked = provider.authorizationUrl?.searchParams.get('scope');
      if (!params.has('scope') && asked) params.set('scope', asked);
    };
    const follow = async () => {
      const url = provider.authorizationUrl!;
      url.searchParams.set('login_hint', 'alice@contoso.com');
      return new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!).searchParams;
    };
    const transport = new StreamableHTTPClientTransport(new URL(server.mcpUrl), { authProvider: provider });
    await expect(new Client({ name: 'e2e', version: '0' }).connect(transport)).rejects.toThrow();
    expect(provider.authorizationUrl?.searchParams.get('scope')).not.toContain('mcp.query');
    await transport.finishAuth(await follow());

    const call = (client: Client) =>
      client.callTool({
        name: 'postgres_database_query',
        arguments: { server: 'local', database: 'demo', query: 'SELECT current_user AS u' },
      }) as Promise<{ structuredContent?: { rows: unknown[] } }>;
    const first = new StreamableHTTPClientTransport(new URL(server.mcpUrl), { authProvider: provider });
    const client = new Client({ name: 'e2e', version: '0' });
    await client.connect(first);
    const before = provider.authorizationUrl!.href;
    // 403 insufficient_scope: the SDK re-authorizes with the union of the scopes and stops at the redirect
    await expect(call(client)).rejects.toThrow();
    const stepUp = provider.authorizationUrl!;
    expect(stepUp.href).not.toBe(before);
    const asked = (stepUp.searchParams.get('scope') ?? '').split(' ');
    expect(asked).toContain(`${server.mcpUrl}/mcp.query`);
    expect(asked).toContain(`${server.mcpUrl}/mcp.tools`);
    expect(stepUp.searchParams.get('resource')).toBe(server.mcpUrl);
    await first.finishAuth(await follow());
    expect(provider.tokens()?.scope?.split(' ')).toContain(`${server.mcpUrl}/mcp.query`);

    const again = new Client({ name: 'e2e', version: '0' });
    await again.connect(
      new StreamableHTTPClientTransport(new URL(server.mcpUrl), { authProvider: provider }),
    );
    expect((await call(again)).structuredContent?.rows).toEqual([['alice@contoso.com']]);
    await again.close();
    await client.close().catch(() => {});
  });
});

describe('the SDK v1 client signs in by itself', () => {
  it('the same flow with @modelcontextprotocol/sdk 1.32 (2025-11-25), with the same scope hook', async () => {
    const { server, mcpClient } = await signInSetup({ sdk: 'v1' });
    const scope = `${server.mcpUrl}/mcp.tools`;
    // the same provider object fits v1's OAuthClientProvider
    const provider = new LoopbackProvider(mcpClient.clientId, scope);
    const transport = new TransportV1(new URL(server.mcpUrl), { authProvider: provider as never });
    await expect(new ClientV1({ name: 'e2e-v1', version: '0' }).connect(transport)).rejects.toThrow();
    const url = provider.authorizationUrl!;
    expect(url.searchParams.get('resource')).toBe(server.mcpUrl);
    url.searchParams.set('login_hint', 'alice@contoso.com');
    const callback = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!);
    await transport.finishAuth(callback.searchParams.get('code')!);
    const client = new ClientV1({ name: 'e2e-v1', version: '0' });
    await client.connect(new TransportV1(new URL(server.mcpUrl), { authProvider: provider as never }));
    const result = (await client.callTool({
      name: 'postgres_database_query',
      arguments: { server: 'local', database: 'demo', query: 'SELECT current_user AS u' },
    })) as { structuredContent?: { rows: unknown[] } };
    expect(result.structuredContent?.rows).toEqual([['alice@contoso.com']]);
    await client.close();
  });
});

/** A loopback redirect URI as a native client serves one: resolves with the query it receives. */
async function loopbackCallback() {
  let received!: (query: URLSearchParams) => void;
  const query = new Promise<URLSearchParams>((resolve) => {
    received = resolve;
  });
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/callback') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>Signed in</title><p>Signed in. You can close this window.</p>');
    received(url.searchParams);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    redirectUrl: `http://127.0.0.1:${port}/callback`,
    query,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const browserTest = runBrowserTests ? it : it.skip;
describe(`a person signs in in a real browser (headless Chromium)${chromiumMissing ? `: skipped, ${chromiumMissing}` : ''}`, () => {
  browserTest(
    'the SDK v2 client opens the sign-in page, the person picks alice, the client receives its code and queries as alice',
    async () => {
      const { server, mcpClient } = await signInSetup();
      const callback = await loopbackCallback();
      const browser = await launchChromium([world.emulator.httpsUrl]);
      try {
        const provider = new LoopbackProvider(
          mcpClient.clientId,
          `${server.mcpUrl}/mcp.tools`,
          callback.redirectUrl,
        );
        const transport = new StreamableHTTPClientTransport(new URL(server.mcpUrl), {
          authProvider: provider,
        });
        await expect(new Client({ name: 'e2e', version: '0' }).connect(transport)).rejects.toThrow();
        const authorizationUrl = provider.authorizationUrl!;
        expect(authorizationUrl.searchParams.get('login_hint')).toBeNull();

        // a phone-sized window, as the client's system browser opens it
        const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
        await page.goto(authorizationUrl.href);
        await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toMatch(/Sign in/);
        const accounts = await page.getByRole('link').allTextContents();
        expect(accounts).toEqual(expect.arrayContaining(['alice@contoso.com', 'bob@contoso.com']));
        expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);

        await page.getByRole('link', { name: 'alice@contoso.com' }).click();
        const query = await callback.query;
        await page.waitForURL((url) => url.href.startsWith(callback.redirectUrl));
        await expect(page.textContent('body')).resolves.toContain('Signed in');
        expect(query.get('state')).toBe(authorizationUrl.searchParams.get('state'));
        // Entra ID sends no iss in its authorization response (the SDK then has nothing to compare)
        expect(query.get('iss')).toBeNull();
        await transport.finishAuth(query);

        const client = new Client({ name: 'e2e', version: '0' });
        await client.connect(
          new StreamableHTTPClientTransport(new URL(server.mcpUrl), { authProvider: provider }),
        );
        const result = (await client.callTool({
          name: 'postgres_database_query',
          arguments: { server: 'local', database: 'demo', query: 'SELECT current_user AS u' },
        })) as { structuredContent?: { rows: unknown[] } };
        expect(result.structuredContent?.rows).toEqual([['alice@contoso.com']]);
        await client.close();
      } finally {
        await browser.close();
        await callback.close();
      }
    },
    60_000,
  );
});

describe('Conditional Access: a claims challenge', () => {
  it('On-Behalf-Of refused for MFA: 401 insufficient_claims to the 2026-07-28 client; signing in again with the claims gets alice through', async () => {
    const { server, mcpClient } = await signInSetup();
    const scope = `${server.mcpUrl}/mcp.tools`;
    world.emulator.requireMfa(world.alice);
    try {
      const provider = new LoopbackProvider(mcpClient.clientId, scope);
      const challenges: string[] = [];
      // the client's own fetch, so the test sees the challenge the SDK client receives
      const watching: typeof fetch = async (input, init) => {
        const response = await fetch(input, init);
        const header = response.headers.get('www-authenticate');
        if (response.status === 401 && header) challenges.push(header);
        return response;
      };
      const connect = async () => {
        const client = new Client({ name: 'e2e', version: '0' }, { versionNegotiation: { mode: 'auto' } });
        await client.connect(
          new StreamableHTTPClientTransport(new URL(server.mcpUrl), {
            authProvider: provider,
            fetch: watching,
          }),
        );
        return client;
      };
      const call = (client: Client) =>
        client.callTool({
          name: 'postgres_database_query',
          arguments: { server: 'local', database: 'demo', query: 'SELECT current_user AS u' },
        }) as Promise<{ structuredContent?: { rows: unknown[] } }>;
      const transport = new StreamableHTTPClientTransport(new URL(server.mcpUrl), { authProvider: provider });
      await expect(new Client({ name: 'e2e', version: '0' }).connect(transport)).rejects.toThrow();
      const url = provider.authorizationUrl!;
      url.searchParams.set('login_hint', 'alice@contoso.com');
      const first = new URL((await fetch(url, { redirect: 'manual' })).headers.get('location')!);
      await transport.finishAuth(first.searchParams);

      // the sign-in satisfied the MCP server, not the database's policy: On-Behalf-Of is refused,
      // and the tool call is answered 401 with the claims the user must satisfy
      const client = await connect();
      await expect(call(client)).rejects.toThrow();
      const challenge = challenges.find((c) => c.includes('insufficient_claims')) ?? '';
      expect(challenge).toContain('error="insufficient_claims"');
      expect(challenge).toContain(`authorization_uri="${world.emulator.authority()}/oauth2/v2.0/authorize"`);
      expect(challenge).toContain('resource_metadata=');
      const claims = Buffer.from(/claims="([^"]+)"/.exec(challenge)![1]!, 'base64').toString('utf8');
      expect(JSON.parse(claims)).toMatchObject({ access_token: { capolids: { essential: true } } });

      // the SDK client started a new authorization on the 401; a claims-aware client passes the
      // claims on, and the user completes MFA
      const again = new URL(provider.authorizationUrl!.href);
      expect(again.searchParams.get('code_challenge')).not.toBe(url.searchParams.get('code_challenge'));
      again.searchParams.set('login_hint', 'alice@contoso.com');
      again.searchParams.set('claims', claims);
      const second = new URL((await fetch(again, { redirect: 'manual' })).headers.get('location')!);
      await transport.finishAuth(second.searchParams);
      const after = await connect();
      expect((await call(after)).structuredContent?.rows).toEqual([['alice@contoso.com']]);
      await after.close();
    } finally {
      world.emulator.requireMfa(world.alice, false);
    }
  });

  it('where the answer is already streaming (a 2025-era client), the tool error says what the user must do', async () => {
    const { server, apiClientId } = await signInSetup();
    world.emulator.requireMfa(world.bob);
    try {
      const token = await world.emulator.mintUserToken({
        user: world.bob,
        audience: apiClientId,
        scopes: ['mcp.tools'],
      });
      const client = await world.client(server.mcpUrl, token); // SDK v1: 2025-11-25, answered over SSE
      const result = (await client.callTool({
        name: 'postgres_database_query',
        arguments: { server: 'local', database: 'demo', query: 'SELECT 1' },
      })) as { isError?: boolean; content: Array<{ text: string }> };
      expect(result.isError).toBe(true);
      expect(result.content[0]!.text).toContain(
        'a Conditional Access policy requires multi-factor authentication for this resource (AADSTS50076): sign in again and complete the multi-factor prompt',
      );
    } finally {
      world.emulator.requireMfa(world.bob, false);
    }
  });
});
