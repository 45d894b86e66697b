// The attacks found against the façade on the open internet (issue #26), each performed for real
// against a running server: a forwarded sign-in link, an anonymous flood, a dripping metadata
// document, rate limits behind an ingress, a planted cookie, a disguised client name, IPv4 hidden in
// IPv6, parallel refreshes and a replayed code.

import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { parseServerConfig } from '@mcp-auth-kit/auth-core';
import { createMcpAuth } from '@mcp-auth-kit/kit';
import { MemoryFacadeStore, OAuthProxy } from '@mcp-auth-kit/oauth-proxy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  browser,
  consentIn,
  facadeSetup,
  mcpStatus,
  REDIRECT_URI,
  registerClient,
  tokenRequest,
  tokensFor,
} from './facade.js';
import { startWorld, type World } from './world.js';

let world: World;
beforeAll(async () => {
  world = await startWorld();
}, 120_000);
afterAll(async () => {
  await world?.stop();
});

const quiet = { info() {}, warn() {} };
const from = (address: string) => ({ 'x-forwarded-for': address });

describe('the façade on the open internet: attacks', () => {
  it('a sign-in link forwarded to another person yields no code: the callback refuses a browser that did not consent', async () => {
    const { issuer } = await facadeSetup(world);
    // the attacker registers a client whose redirect URI is on their own host, then runs authorize
    // and consent in their own browser, keeping the PKCE verifier
    const reg = (await (
      await fetch(`${issuer}/oauth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          redirect_uris: ['https://attacker.example/cb'],
          token_endpoint_auth_method: 'none',
        }),
      })
    ).json()) as { client_id: string };
    const authorize = new URL(`${issuer}/oauth/authorize`);
    authorize.search = new URLSearchParams({
      client_id: reg.client_id,
      response_type: 'code',
      redirect_uri: 'https://attacker.example/cb',
      code_challenge: randomBytes(32).toString('base64url').slice(0, 43),
      code_challenge_method: 'S256',
    }).toString();
    const attacker = browser();
    const entraLink = await consentIn(attacker, authorize, world.emulator.instance);
    // the genuine Microsoft link goes to the victim, who signs in (as alice) in their own browser
    const victim = browser();
    entraLink.searchParams.set('login_hint', 'alice@contoso.com');
    const signedIn = await victim(entraLink.href);
    expect(signedIn.status).toBe(302);
    const callback = await victim(signedIn.headers.get('location')!);
    expect(callback.status).toBe(403);
    expect(callback.headers.get('location')).toBeNull();
    const page = await callback.text();
    expect(page).toContain('started in another browser');
    expect(page).not.toContain('attacker.example');
    // and the answer cannot be replayed from the attacker's browser afterwards: it was used up
    const replay = await attacker(signedIn.headers.get('location')!);
    expect(replay.status).toBe(400);
    expect(replay.headers.get('location')).toBeNull();
  });

  it('an anonymous flood of authorization requests from many addresses cannot evict a sign-in: 429 per address, 503 at the quota, parameters capped', async () => {
    const store = new MemoryFacadeStore({ quotas: { pending: 150 } });
    const { issuer, server } = await facadeSetup(world, {
      proxy: {
        store,
        trustedProxies: ['127.0.0.1'],
        // one client id for the whole flood: its own limit is lifted to show the per-address one
        rateLimits: { authorizationsPerMinute: 3, perClientPerMinute: 10_000 },
      },
    });
    const alice = await tokensFor(world, issuer);
    const { authorizeUrl } = await registerClient(issuer);
    const statuses = new Map<number, number>();
    for (let wave = 0; wave < 4; wave++) {
      await Promise.all(
        Array.from({ length: 200 }, async (_, i) => {
          const res = await fetch(authorizeUrl, {
            headers: from(`198.18.${i >> 8}.${i & 255}`),
            redirect: 'manual',
          });
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          if (res.status === 503) {
            expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
            expect(await res.json()).toMatchObject({ error: 'temporarily_unavailable' });
          } else await res.arrayBuffer();
        }),
      );
    }
    // 200 addresses, 4 requests each, 3 allowed each: 150 consent pages (the quota), 450 refused at
    // the quota (nothing evicted), 200 refused by the rate limit
    expect(statuses.get(200)).toBe(150);
    expect(statuses.get(503)).toBe(450);
    expect(statuses.get(429)).toBe(200);
    expect(store.size('pending')).toBe(150);
    // alice's sign-in, her refresh token and her client are all still there
    expect((await mcpStatus(server.mcpUrl, alice.access_token)).status).toBe(200);
    const refreshed = await tokenRequest(issuer, {
      grant_type: 'refresh_token',
      client_id: alice.clientId,
      refresh_token: alice.refresh_token,
    });
    expect(refreshed.status).toBe(200);
    // parameters that are stored are capped (checked before anything is stored)
    const longState = new URL(authorizeUrl);
    longState.searchParams.set('state', 's'.repeat(1025));
    const refusedState = await fetch(longState, { headers: from('192.0.2.200'), redirect: 'manual' });
    expect(refusedState.status).toBe(400);
    expect(refusedState.headers.get('location')).toBeNull();
    const longHint = new URL(authorizeUrl);
    longHint.searchParams.set('login_hint', `${'a'.repeat(250)}@contoso.com`);
    const refusedHint = await fetch(longHint, { headers: from('192.0.2.201'), redirect: 'manual' });
    expect(new URL(refusedHint.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
  });

  it('a metadata document that drips one byte at a time is cut off by one overall deadline, and callers asking at once share one fetch', async () => {
    let fetches = 0;
    const drips: NodeJS.Timeout[] = [];
    const slow: Server = createServer((_req, res) => {
      fetches++;
      res.writeHead(200, { 'content-type': 'application/json' });
      drips.push(setInterval(() => res.write(' '), 200));
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    try {
      const { issuer } = await facadeSetup(world, { proxy: { metadataDocumentTimeoutMs: 1500 } });
      const clientId = `http://127.0.0.1:${(slow.address() as { port: number }).port}/client.json`;
      const ask = () =>
        fetch(`${issuer}/oauth/authorize?client_id=${encodeURIComponent(clientId)}&response_type=code`, {
          redirect: 'manual',
        });
      const answers = await Promise.all([ask(), ask(), ask()]);
      for (const res of answers) {
        expect(res.status).toBe(400);
        expect(await res.text()).toContain('did not arrive within 1500 ms');
      }
      expect(fetches).toBe(1);
    } finally {
      for (const d of drips) clearInterval(d);
      slow.closeAllConnections();
      slow.close();
    }
  }, 15_000);

  it('behind an ingress: forwarded addresses count only from trusted proxies (rightmost untrusted hop), IPv6 per /64, registered clients also per client id', async () => {
    const register = (issuer: string, headers: Record<string, string>) =>
      fetch(`${issuer}/oauth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'none' }),
      }).then((r) => r.status);
    // not trusted by default: a header the client writes itself changes nothing
    const plain = await facadeSetup(world, { proxy: { rateLimits: { registrationsPerMinute: 2 } } });
    expect(await register(plain.issuer, from('203.0.113.1'))).toBe(201);
    expect(await register(plain.issuer, from('203.0.113.2'))).toBe(201);
    expect(await register(plain.issuer, from('203.0.113.3'))).toBe(429);

    const behind = await facadeSetup(world, {
      proxy: {
        trustedProxies: ['127.0.0.1', '10.0.0.0/8'],
        rateLimits: { registrationsPerMinute: 2, perClientPerMinute: 3 },
      },
    });
    // hops left of the client's own address are the client's to write: spoofing them does not help
    expect(await register(behind.issuer, from('1.1.1.1, 198.51.100.7, 10.1.2.3'))).toBe(201);
    expect(await register(behind.issuer, from('8.8.8.8, 198.51.100.7'))).toBe(201);
    expect(await register(behind.issuer, from('9.9.9.9, 198.51.100.7, 10.0.0.9'))).toBe(429);
    expect(await register(behind.issuer, from('198.51.100.8'))).toBe(201);
    expect(await register(behind.issuer, { forwarded: 'for=198.51.100.8;proto=https' })).toBe(201);
    expect(await register(behind.issuer, { forwarded: 'for="198.51.100.8:4711"' })).toBe(429);
    // IPv6: one /64 is one subscriber
    expect(await register(behind.issuer, { forwarded: 'for="[2001:db8:1:2::1]"' })).toBe(201);
    expect(await register(behind.issuer, from('2001:db8:1:2:ffff::9'))).toBe(201);
    expect(await register(behind.issuer, from('2001:db8:1:2::abcd'))).toBe(429);
    expect(await register(behind.issuer, from('2001:db8:1:3::1'))).toBe(201);
    // a registered client's token requests count per client too, whatever address they come from
    const client = await registerClient(behind.issuer, { headers: from('198.51.100.50') });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await tokenRequest(
        behind.issuer,
        { grant_type: 'refresh_token', client_id: client.clientId, refresh_token: 'x' },
        from(`198.51.100.${60 + i}`),
      );
      statuses.push(res.status);
    }
    expect(statuses).toEqual([400, 400, 400, 429]);
  });

  it('the kit’s fetch() passes the client address to the façade: one client’s burst is not everyone’s 429', async () => {
    const proxy = new OAuthProxy({
      issuer: 'https://mcp.contoso.example',
      resource: 'https://mcp.contoso.example/mcp',
      rateLimits: { registrationsPerMinute: 1 },
      upstream: {
        instance: world.emulator.instance,
        tenantId: world.emulator.tenantId,
        clientId: world.api.clientId,
        scopes: ['https://mcp.contoso.example/mcp/mcp.tools'],
        credential: { clientSecret: world.apiSecret },
      },
      logger: quiet,
    });
    const auth = await createMcpAuth(
      parseServerConfig({
        inboundAuthentication: { type: 'JwtBearerScheme', azureAd: world.azureAd() },
        outboundAuthentication: { type: 'ManagedIdentity' },
      }),
      { resourceUrl: 'https://mcp.contoso.example/mcp', authorizationServer: proxy, logger: quiet },
    );
    const app = auth.fetch(() => new Response('mcp'));
    const register = (remoteAddress: string) =>
      app(
        new Request('https://mcp.contoso.example/oauth/register', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'none' }),
        }),
        { remoteAddress },
      ).then((r) => r.status);
    expect(await register('203.0.113.10')).toBe(201);
    expect(await register('203.0.113.10')).toBe(429);
    expect(await register('203.0.113.11')).toBe(201);
    await auth.close();
  });

  it('the browser-binding cookie is __Host-, Secure, HttpOnly, SameSite=Lax, Path=/, and a value the browser brings is never adopted', async () => {
    const { issuer } = await facadeSetup(world);
    const { authorizeUrl } = await registerClient(issuer);
    const planted = randomBytes(32).toString('base64url');
    const first = await fetch(authorizeUrl);
    const [name] = first.headers.getSetCookie()[0]!.split('=') as [string];
    const res = await fetch(authorizeUrl, {
      headers: { cookie: `${name}=${planted}; mcp_auth_kit_consent=${planted}` },
    });
    const cookie = res.headers.getSetCookie()[0]!;
    expect(cookie).toMatch(/^__Host-mcp-auth-kit-[0-9a-f]+=[A-Za-z0-9_-]{43}; /);
    expect(cookie).not.toContain(planted);
    for (const attribute of ['Path=/', 'Secure', 'HttpOnly', 'SameSite=Lax']) {
      expect(cookie.split('; ')).toContain(attribute);
    }
    expect(cookie).not.toMatch(/Domain=/i);
    // the planted value does not pass the consent either
    const page = await res.text();
    const field = (n: string) => new RegExp(`name="${n}" value="([^"]+)"`).exec(page)![1]!;
    const consent = await fetch(`${issuer}/oauth/consent`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: `${cookie.split('=')[0]}=${planted}`,
      },
      body: new URLSearchParams({
        transaction: field('transaction'),
        csrf: field('csrf'),
        decision: 'allow',
      }),
    });
    expect(consent.status).toBe(403);
  });

  it('a client name with bidi overrides and zero-width characters is shown stripped and isolated', async () => {
    const { issuer } = await facadeSetup(world);
    const reg = (await (
      await fetch(`${issuer}/oauth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          client_name: 'Visual\u202EedoC SV\u202C\u200B\u2066 Studio\u0007',
          redirect_uris: [REDIRECT_URI],
          token_endpoint_auth_method: 'none',
        }),
      })
    ).json()) as { client_id: string; client_name: string };
    expect(reg.client_name).toBe('VisualedoC SV Studio');
    const url = new URL(`${issuer}/oauth/authorize`);
    url.search = new URLSearchParams({
      client_id: reg.client_id,
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      code_challenge: 'a'.repeat(43),
      code_challenge_method: 'S256',
    }).toString();
    const page = await (await fetch(url)).text();
    expect(page).toContain('<h1>Allow <bdi>VisualedoC SV Studio</bdi>?</h1>');
    expect(page).not.toMatch(/[\u202A-\u202E\u2066-\u2069\u200B-\u200F]/);
  });

  it('a metadata document URL whose host is IPv4 hidden in IPv6 is judged as that IPv4 address', async () => {
    const { issuer } = await facadeSetup(world, { proxy: { devMode: false } });
    for (const host of [
      '[::ffff:7f00:1]',
      '[::127.0.0.1]',
      '[64:ff9b::a9fe:a9fe]',
      '[64:ff9b:1:a00:0:100::]',
      '[2002:c0a8:101::]',
    ]) {
      const res = await fetch(
        `${issuer}/oauth/authorize?client_id=${encodeURIComponent(`https://${host}/client.json`)}&response_type=code`,
        { redirect: 'manual' },
      );
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('is an address that is not public');
    }
  });

  it('parallel refreshes with one refresh token both succeed; the old token presented after the grace window still revokes the sign-in', async () => {
    const { issuer, server } = await facadeSetup(world, { proxy: { refreshReuseGraceSeconds: 1 } });
    const alice = await tokensFor(world, issuer);
    const refresh = (token: string) =>
      tokenRequest(issuer, { grant_type: 'refresh_token', client_id: alice.clientId, refresh_token: token });
    const [a, b] = await Promise.all([refresh(alice.refresh_token), refresh(alice.refresh_token)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const [ta, tb] = (await Promise.all([a.json(), b.json()])) as Array<{
      refresh_token: string;
      access_token: string;
    }>;
    expect(ta!.refresh_token).toBe(tb!.refresh_token);
    expect((await mcpStatus(server.mcpUrl, tb!.access_token)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1200));
    const stolen = await refresh(alice.refresh_token);
    expect(await stolen.json()).toMatchObject({ error: 'invalid_grant' });
    expect((await refresh(ta!.refresh_token)).status).toBe(400);
    expect((await mcpStatus(server.mcpUrl, ta!.access_token)).status).toBe(401);
  });

  it('a replayed code revokes the tokens it already issued', async () => {
    const { issuer, server } = await facadeSetup(world);
    const alice = await tokensFor(world, issuer);
    expect((await mcpStatus(server.mcpUrl, alice.access_token)).status).toBe(200);
    const replay = await tokenRequest(issuer, {
      grant_type: 'authorization_code',
      client_id: alice.clientId,
      code: alice.code,
      code_verifier: alice.verifier,
      redirect_uri: REDIRECT_URI,
    });
    expect(await replay.json()).toMatchObject({
      error: 'invalid_grant',
      error_description: expect.stringContaining('revoked'),
    });
    const refused = await mcpStatus(server.mcpUrl, alice.access_token);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain('the sign-in was revoked');
    const refresh = await tokenRequest(issuer, {
      grant_type: 'refresh_token',
      client_id: alice.clientId,
      refresh_token: alice.refresh_token,
    });
    expect(refresh.status).toBe(400);
  });
});
