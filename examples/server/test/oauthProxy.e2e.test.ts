// The authorization-server façade end to end: real SDK clients that register themselves (DCR, or
// a Client ID Metadata Document) sign in through the façade's consent page and Entra ID (the
// emulator), get the façade's tokens, and query PostgreSQL as alice through On-Behalf-Of with the
// stored upstream token. Then the attacks: redirect URI mismatch, open redirect, code replay,
// PKCE mismatch, refresh reuse, consent CSRF, and metadata documents that redirect, are too large
// or resolve to private addresses.
import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { issueServerCertificate } from '@mcp-auth-kit/testing';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing, launchChromium, runBrowserTests } from './browser.js';
import { browser, codeFor, facadeSetup, signInAsAlice, tokenRequest } from './facade.js';
import { SelfRegisteringProvider } from './oauthClients.js';
import { startWorld, type World } from './world.js';

let world: World;
let docs: Server;
let docsOrigin: string;
const documents = new Map<string, { status: number; body: string; headers?: Record<string, string> }>();
beforeAll(async () => {
  world = await startWorld();
  const cert = issueServerCertificate(world.emulator.ca);
  docs = createHttpsServer({ cert: cert.certificatePem, key: cert.privateKeyPem }, (req, res) => {
    const doc = documents.get(req.url ?? '');
    if (!doc) return void res.writeHead(404).end();
    res.writeHead(doc.status, { 'content-type': 'application/json', ...doc.headers }).end(doc.body);
  });
  await new Promise<void>((resolve) => docs.listen(0, '127.0.0.1', resolve));
  docsOrigin = `https://127.0.0.1:${(docs.address() as { port: number }).port}`;
}, 120_000);
afterAll(async () => {
  docs?.close();
  await world?.stop();
});

const query = async (client: { callTool: Client['callTool'] }) =>
  (await client.callTool({
    name: 'postgres_database_query',
    arguments: {
      server: 'local',
      database: 'demo',
      query: 'SELECT current_user AS u, note FROM alice_notes',
    },
  })) as { structuredContent?: { rows: unknown[] }; isError?: boolean; content: Array<{ text: string }> };

describe('the façade: clients that register themselves sign in and query as alice', () => {
  it('SDK v2 client through Dynamic Client Registration: metadata, register, consent, Entra ID, code, On-Behalf-Of with the stored upstream token', async () => {
    const { server, issuer } = await facadeSetup(world);
    const metadata = (await (
      await fetch(`${issuer}/.well-known/oauth-authorization-server`)
    ).json()) as Record<string, unknown>;
    expect(metadata).toMatchObject({
      issuer,
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      client_id_metadata_document_supported: true,
      registration_endpoint: `${issuer}/oauth/register`,
    });
    const prm = (await (await fetch(`${issuer}/.well-known/oauth-protected-resource/mcp`)).json()) as {
      authorization_servers: string[];
    };
    expect(prm.authorization_servers).toEqual([issuer]);

    const provider = new SelfRegisteringProvider();
    const transport = new StreamableHTTPClientTransport(new URL(server.mcpUrl), { authProvider: provider });
    await expect(new Client({ name: 'e2e', version: '0' }).connect(transport)).rejects.toThrow();
    expect(provider.clientInformation()?.client_id).toMatch(/^dcr-/);
    const callback = await signInAsAlice(world, provider.authorizationUrl!);
    expect(callback.searchParams.get('iss')).toBe(issuer);
    await transport.finishAuth(callback.searchParams);

    const client = new Client({ name: 'e2e', version: '0' }, { versionNegotiation: { mode: 'auto' } });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(server.mcpUrl), { authProvider: provider }),
    );
    expect((await query(client)).structuredContent?.rows).toEqual([['alice@contoso.com', 'only alice']]);
    await client.close();
  });

  it('SDK v2 client with a Client ID Metadata Document (its client_id is an https URL)', async () => {
    const { server } = await facadeSetup(world);
    const url = `${docsOrigin}/clients/${randomUUID()}.json`;
    const provider = new SelfRegisteringProvider(url);
    documents.set(new URL(url).pathname, {
      status: 200,
      body: JSON.stringify({ client_id: url, ...provider.clientMetadata }),
      headers: { 'cache-control': 'max-age=600' },
    });
    const transport = new StreamableHTTPClientTransport(new URL(server.mcpUrl), { authProvider: provider });
    await expect(new Client({ name: 'e2e', version: '0' }).connect(transport)).rejects.toThrow();
    expect(provider.authorizationUrl!.searchParams.get('client_id')).toBe(url);
    const go = browser();
    const consent = await (await go(provider.authorizationUrl!.href)).text();
    expect(consent).toContain('Self-registering e2e client'); // named from its metadata
    expect(consent).toContain('/mcp/mcp.tools');
    await transport.finishAuth((await signInAsAlice(world, provider.authorizationUrl!)).searchParams);
    const client = new Client({ name: 'e2e', version: '0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(server.mcpUrl), { authProvider: provider }),
    );
    expect((await query(client)).structuredContent?.rows).toEqual([['alice@contoso.com', 'only alice']]);
    await client.close();
  });

  it('SDK v1 client with a Client ID Metadata Document; the app authenticates upstream with a certificate', async () => {
    const { server } = await facadeSetup(world, { sdk: 'v1', certificate: true });
    const url = `${docsOrigin}/clients/${randomUUID()}.json`;
    const provider = new SelfRegisteringProvider(url);
    documents.set(new URL(url).pathname, {
      status: 200,
      body: JSON.stringify({ client_id: url, ...provider.clientMetadata }),
    });
    const transport = new TransportV1(new URL(server.mcpUrl), { authProvider: provider as never });
    await expect(new ClientV1({ name: 'e2e-v1', version: '0' }).connect(transport)).rejects.toThrow();
    expect(provider.authorizationUrl!.searchParams.get('client_id')).toBe(url);
    const callback = await signInAsAlice(world, provider.authorizationUrl!);
    await transport.finishAuth(callback.searchParams.get('code')!);
    const client = new ClientV1({ name: 'e2e-v1', version: '0' });
    await client.connect(new TransportV1(new URL(server.mcpUrl), { authProvider: provider as never }));
    expect((await query(client as never)).structuredContent?.rows).toEqual([
      ['alice@contoso.com', 'only alice'],
    ]);
    await client.close();
  });

  it('SDK v1 client (2025-11-25) through Dynamic Client Registration, on the v1 server', async () => {
    const { server } = await facadeSetup(world, { sdk: 'v1' });
    const provider = new SelfRegisteringProvider();
    const transport = new TransportV1(new URL(server.mcpUrl), { authProvider: provider as never });
    await expect(new ClientV1({ name: 'e2e-v1', version: '0' }).connect(transport)).rejects.toThrow();
    const callback = await signInAsAlice(world, provider.authorizationUrl!);
    await transport.finishAuth(callback.searchParams.get('code')!);
    const client = new ClientV1({ name: 'e2e-v1', version: '0' });
    await client.connect(new TransportV1(new URL(server.mcpUrl), { authProvider: provider as never }));
    expect((await query(client as never)).structuredContent?.rows).toEqual([
      ['alice@contoso.com', 'only alice'],
    ]);
    await client.close();
  });
});

describe('the façade under attack', () => {
  it('registration is rate limited per address (429 slow_down with Retry-After), and bad metadata gets RFC 7591 errors', async () => {
    const { issuer } = await facadeSetup(world, { proxy: { rateLimits: { registrationsPerMinute: 3 } } });
    const register = (body: unknown, type = 'application/json') =>
      fetch(`${issuer}/oauth/register`, {
        method: 'POST',
        headers: { 'content-type': type },
        body: JSON.stringify(body),
      });
    expect(await (await register({ redirect_uris: ['http://evil.example/cb'] })).json()).toMatchObject({
      error: 'invalid_redirect_uri',
    });
    expect(
      await (await register({ redirect_uris: ['https://a.example/cb'], grant_types: ['password'] })).json(),
    ).toMatchObject({
      error: 'invalid_client_metadata',
    });
    expect((await register({ redirect_uris: ['https://a.example/cb'] })).status).toBe(201);
    const limited = await register({ redirect_uris: ['https://a.example/cb'] });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await limited.json()).toMatchObject({ error: 'slow_down' });
    // the token endpoint: form bodies only, known grant types only, no stack in any answer
    const wrongType = await fetch(`${issuer}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(await wrongType.json()).toEqual({
      error: 'invalid_request',
      error_description: 'the body must be application/x-www-form-urlencoded',
    });
    const unknownClient = await tokenRequest(issuer, {
      grant_type: 'client_credentials',
      client_id: 'dcr-nope',
    });
    expect(unknownClient.status).toBe(401);
    expect(await unknownClient.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('client metadata documents fetched are rate limited per address (each is an outbound request a caller causes)', async () => {
    const { issuer } = await facadeSetup(world, { proxy: { rateLimits: { metadataDocumentsPerMinute: 1 } } });
    const ask = (clientId: string) =>
      fetch(`${issuer}/oauth/authorize?client_id=${encodeURIComponent(clientId)}&response_type=code`, {
        redirect: 'manual',
      });
    expect((await ask(`${docsOrigin}/clients/${randomUUID()}.json`)).status).toBe(400); // fetched: 404
    const limited = await ask(`${docsOrigin}/clients/${randomUUID()}.json`);
    expect(limited.status).toBe(429);
    expect(await limited.json()).toMatchObject({ error: 'slow_down' });
  });

  it('the upstream token is renewed at Entra ID (with scope) when it is about to expire, and the query goes through', async () => {
    const { issuer, server } = await facadeSetup(world);
    const lifetime = world.emulator.tokenLifetimeSeconds;
    world.emulator.tokenLifetimeSeconds = 90; // within the façade's two-minute renewal margin
    let tokens: { access_token: string };
    try {
      const { clientId, verifier, code } = await codeFor(world, issuer);
      tokens = (await (
        await tokenRequest(issuer, {
          grant_type: 'authorization_code',
          client_id: clientId,
          code,
          code_verifier: verifier,
          redirect_uri: 'http://127.0.0.1:9999/cb',
        })
      ).json()) as { access_token: string };
    } finally {
      world.emulator.tokenLifetimeSeconds = lifetime;
    }
    const before = world.emulator.countRequests({ grant: 'refresh_token' });
    const client = await world.clientV2(server.mcpUrl, tokens.access_token);
    expect((await query(client as never)).structuredContent?.rows).toEqual([
      ['alice@contoso.com', 'only alice'],
    ]);
    expect(world.emulator.countRequests({ grant: 'refresh_token' })).toBe(before + 1);
  });

  it('a redirect URI that was not registered (or points elsewhere) gets an error page, never a redirect', async () => {
    const { issuer } = await facadeSetup(world);
    const { clientId, authorizeUrl } = await codeFor(world, issuer);
    for (const target of ['http://127.0.0.1:9999/other', 'https://evil.example/cb']) {
      const url = new URL(authorizeUrl);
      url.searchParams.set('redirect_uri', target);
      const res = await fetch(url, { redirect: 'manual' });
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(await res.text()).toContain('Redirect URI mismatch');
    }
    const unknown = new URL(authorizeUrl);
    unknown.searchParams.set('client_id', 'dcr-not-registered');
    expect((await fetch(unknown, { redirect: 'manual' })).status).toBe(400);
    void clientId;
  });

  it('codes are single use and bound to the PKCE verifier, client and redirect URI', async () => {
    const { issuer } = await facadeSetup(world);
    const { clientId, verifier, code } = await codeFor(world, issuer);
    const bad = await tokenRequest(issuer, {
      grant_type: 'authorization_code',
      client_id: clientId,
      code,
      code_verifier: 'x'.repeat(43),
      redirect_uri: 'http://127.0.0.1:9999/cb',
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'invalid_grant' });
    // the failed attempt consumed it: a code is redeemed at most once
    const again = await tokenRequest(issuer, {
      grant_type: 'authorization_code',
      client_id: clientId,
      code,
      code_verifier: verifier,
      redirect_uri: 'http://127.0.0.1:9999/cb',
    });
    expect(await again.json()).toMatchObject({ error: 'invalid_grant' });

    const second = await codeFor(world, issuer);
    const ok = await tokenRequest(issuer, {
      grant_type: 'authorization_code',
      client_id: second.clientId,
      code: second.code,
      code_verifier: second.verifier,
      redirect_uri: 'http://127.0.0.1:9999/cb',
    });
    expect(ok.status).toBe(200);
    const replay = await tokenRequest(issuer, {
      grant_type: 'authorization_code',
      client_id: second.clientId,
      code: second.code,
      code_verifier: second.verifier,
      redirect_uri: 'http://127.0.0.1:9999/cb',
    });
    expect(await replay.json()).toMatchObject({
      error: 'invalid_grant',
      error_description: expect.stringContaining('already used'),
    });
  });

  it('a rotated refresh token used again revokes the whole family', async () => {
    const { issuer, server } = await facadeSetup(world, { proxy: { refreshReuseGraceSeconds: 0 } });
    const { clientId, verifier, code } = await codeFor(world, issuer);
    const first = (await (
      await tokenRequest(issuer, {
        grant_type: 'authorization_code',
        client_id: clientId,
        code,
        code_verifier: verifier,
        redirect_uri: 'http://127.0.0.1:9999/cb',
      })
    ).json()) as { refresh_token: string; access_token: string };
    const second = (await (
      await tokenRequest(issuer, {
        grant_type: 'refresh_token',
        client_id: clientId,
        refresh_token: first.refresh_token,
      })
    ).json()) as { refresh_token: string; access_token: string };
    expect(second.refresh_token).not.toBe(first.refresh_token);
    // the thief replays the old one: refused, and the legitimate newer one is dead too
    const reuse = await tokenRequest(issuer, {
      grant_type: 'refresh_token',
      client_id: clientId,
      refresh_token: first.refresh_token,
    });
    expect(await reuse.json()).toMatchObject({ error: 'invalid_grant' });
    const after = await tokenRequest(issuer, {
      grant_type: 'refresh_token',
      client_id: clientId,
      refresh_token: second.refresh_token,
    });
    expect(await after.json()).toMatchObject({ error: 'invalid_grant' });
    // and the access token already issued is refused at the door (401), on every request
    const res = await fetch(server.mcpUrl, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${second.access_token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error_description="the sign-in was revoked"');
  });

  it('revocation (RFC 7009) ends the sign-in; unknown tokens get 200 too', async () => {
    const { issuer } = await facadeSetup(world);
    const { clientId, verifier, code } = await codeFor(world, issuer);
    const tokens = (await (
      await tokenRequest(issuer, {
        grant_type: 'authorization_code',
        client_id: clientId,
        code,
        code_verifier: verifier,
        redirect_uri: 'http://127.0.0.1:9999/cb',
      })
    ).json()) as { refresh_token: string };
    const revoke = (token: string) =>
      fetch(`${issuer}/oauth/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, client_id: clientId }),
      });
    expect((await revoke(tokens.refresh_token)).status).toBe(200);
    expect((await revoke('not-a-token')).status).toBe(200);
    const refresh = await tokenRequest(issuer, {
      grant_type: 'refresh_token',
      client_id: clientId,
      refresh_token: tokens.refresh_token,
    });
    expect(await refresh.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('only the client a token was issued to can revoke it; malformed Basic credentials are a 401, not a 500', async () => {
    const { issuer } = await facadeSetup(world);
    const { clientId, verifier, code } = await codeFor(world, issuer);
    const tokens = (await (
      await tokenRequest(issuer, {
        grant_type: 'authorization_code',
        client_id: clientId,
        code,
        code_verifier: verifier,
        redirect_uri: 'http://127.0.0.1:9999/cb',
      })
    ).json()) as { refresh_token: string };
    const other = (await (
      await fetch(`${issuer}/oauth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          redirect_uris: ['http://127.0.0.1:9999/cb'],
          token_endpoint_auth_method: 'none',
        }),
      })
    ).json()) as { client_id: string };
    const byOther = await fetch(`${issuer}/oauth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: tokens.refresh_token, client_id: other.client_id }),
    });
    expect(byOther.status).toBe(200);
    // the rightful client's refresh token still works
    expect(
      (
        await tokenRequest(issuer, {
          grant_type: 'refresh_token',
          client_id: clientId,
          refresh_token: tokens.refresh_token,
        })
      ).status,
    ).toBe(200);

    const malformed = await fetch(`${issuer}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from('%E0%A4%A:secret').toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'x' }),
    });
    expect(malformed.status).toBe(401);
    expect(await malformed.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('the consent form refuses a POST without this browser’s cookie or with another CSRF value', async () => {
    const { issuer } = await facadeSetup(world);
    const { authorizeUrl } = await codeFor(world, issuer);
    const go = browser();
    const page = await (await go(authorizeUrl.href)).text();
    const transaction = /name="transaction" value="([^"]+)"/.exec(page)![1]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)![1]!;
    const post = (fetcher: typeof go, body: Record<string, string>) =>
      fetcher(`${issuer}/oauth/consent`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(body),
      });
    // a cross-site form post: the attacker's browser has no cookie for this transaction
    expect((await post(browser(), { transaction, csrf, decision: 'allow' })).status).toBe(403);
    expect((await post(go, { transaction, csrf: 'forged', decision: 'allow' })).status).toBe(403);
    expect((await post(go, { transaction, csrf, decision: 'allow' })).status).toBe(302);
  });

  it('client metadata documents that redirect, are too large, name another client or resolve to a private address are refused', async () => {
    const { issuer } = await facadeSetup(world);
    const authorize = async (clientId: string) => {
      const url = new URL(`${issuer}/oauth/authorize`);
      url.searchParams.set('client_id', clientId);
      url.searchParams.set('response_type', 'code');
      url.searchParams.set('redirect_uri', 'http://localhost:53682/callback');
      url.searchParams.set('code_challenge', 'a'.repeat(43));
      url.searchParams.set('code_challenge_method', 'S256');
      const res = await fetch(url, { redirect: 'manual' });
      return { status: res.status, location: res.headers.get('location'), text: await res.text() };
    };
    const path = () => `/clients/${randomUUID()}.json`;
    const redirecting = path();
    documents.set(redirecting, {
      status: 302,
      body: '',
      headers: { location: `${docsOrigin}/elsewhere.json` },
    });
    expect(await authorize(`${docsOrigin}${redirecting}`)).toMatchObject({
      status: 400,
      location: null,
      text: expect.stringContaining('redirects are not followed'),
    });
    const large = path();
    documents.set(large, {
      status: 200,
      body: JSON.stringify({
        client_id: `${docsOrigin}${large}`,
        redirect_uris: ['http://localhost:53682/callback'],
        padding: 'x'.repeat(20_000),
      }),
    });
    expect((await authorize(`${docsOrigin}${large}`)).text).toContain('larger than 5120 bytes');
    const other = path();
    documents.set(other, {
      status: 200,
      body: JSON.stringify({
        client_id: 'https://someone-else.example/c.json',
        redirect_uris: ['http://localhost:53682/callback'],
      }),
    });
    expect((await authorize(`${docsOrigin}${other}`)).text).toContain('names another client_id');

    // outside dev mode a loopback (or any private) address is refused before anything is fetched
    const strict = await facadeSetup(world, { proxy: { devMode: false } });
    const fetched = documents.size;
    const privateDoc = path();
    documents.set(privateDoc, { status: 200, body: '{}' });
    const refused = await fetch(
      `${strict.issuer}/oauth/authorize?client_id=${encodeURIComponent(`${docsOrigin}${privateDoc}`)}&response_type=code`,
      { redirect: 'manual' },
    );
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('is an address that is not public');
    const byName = await fetch(
      `${strict.issuer}/oauth/authorize?client_id=${encodeURIComponent(`https://localhost:${new URL(docsOrigin).port}${privateDoc}`)}&response_type=code`,
      { redirect: 'manual' },
    );
    expect(await byName.text()).toContain('resolves to an address that is not public');
    expect(documents.size).toBe(fetched + 1);
  });
});

const browserTest = runBrowserTests ? it : it.skip;
describe(`the façade in a real browser (headless Chromium, JavaScript off)${chromiumMissing ? `: skipped, ${chromiumMissing}` : ''}`, () => {
  browserTest(
    'a person allows the client on the consent page, picks alice at Entra ID, and the client gets its code and queries as alice',
    async () => {
      const { server, resource } = await facadeSetup(world);
      let received!: (q: URLSearchParams) => void;
      const callbackQuery = new Promise<URLSearchParams>((resolve) => {
        received = resolve;
      });
      const loopback = createHttpServer((req, res) => {
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        res
          .writeHead(200, { 'content-type': 'text/html' })
          .end('<p>Signed in. You can close this window.</p>');
        if (url.pathname === '/callback') received(url.searchParams);
      });
      await new Promise<void>((resolve) => loopback.listen(0, '127.0.0.1', resolve));
      const redirectUrl = `http://127.0.0.1:${(loopback.address() as { port: number }).port}/callback`;
      const chromium = await launchChromium([world.emulator.httpsUrl]);
      try {
        const provider = new SelfRegisteringProvider(undefined, redirectUrl);
        const transport = new StreamableHTTPClientTransport(new URL(server.mcpUrl), {
          authProvider: provider,
        });
        await expect(new Client({ name: 'e2e', version: '0' }).connect(transport)).rejects.toThrow();

        const context = await chromium.newContext({
          javaScriptEnabled: false,
          viewport: { width: 390, height: 844 },
        });
        const page = await context.newPage();
        await page.goto(provider.authorizationUrl!.href);
        // the consent page names the client (from its registration) and the scopes it asks for
        await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(
          'Allow Self-registering e2e client?',
        );
        await expect(page.textContent('body')).resolves.toContain(`${resource}/mcp.tools`);
        // fits a phone: no element reaches past the 390-pixel viewport (measured by the browser's
        // layout, which needs no page script)
        const boxes = await Promise.all((await page.locator('body *').all()).map((e) => e.boundingBox()));
        expect(boxes.length).toBeGreaterThan(5);
        for (const box of boxes) if (box) expect(box.x + box.width).toBeLessThanOrEqual(390);
        await page.getByRole('button', { name: 'Allow' }).click();
        // Entra ID's sign-in page (the emulator's): the person picks alice
        await page.getByRole('link', { name: 'alice@contoso.com' }).click();
        const query = await callbackQuery;
        expect(query.get('iss')).toBe(new URL(resource).origin);
        await transport.finishAuth(query);
        await context.close();

        const client = new Client({ name: 'e2e', version: '0' });
        await client.connect(
          new StreamableHTTPClientTransport(new URL(server.mcpUrl), { authProvider: provider }),
        );
        expect((await query_(client)).structuredContent?.rows).toEqual([['alice@contoso.com', 'only alice']]);
        await client.close();
      } finally {
        await chromium.close();
        loopback.close();
      }
    },
    60_000,
  );
});
const query_ = query;
