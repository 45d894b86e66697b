// The façade on a fetch-style host (Hono, Bun, Deno, Workers): the kit's fetch() serves its paths
// through OAuthProxy.fetch, and a whole sign-in runs through web-standard Requests only, against
// the emulated Entra ID, to a request authenticated as alice with the façade's token.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { parseServerConfig } from '@mcp-auth-kit/auth-core';
import { createMcpAuth } from '@mcp-auth-kit/kit';
import { OAuthProxy } from '@mcp-auth-kit/oauth-proxy';
import { EntraEmulator } from '@mcp-auth-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let emulator: EntraEmulator;
beforeAll(async () => {
  emulator = await EntraEmulator.start();
  emulator.addUser({ userPrincipalName: 'alice@contoso.com' });
});
afterAll(async () => {
  await emulator?.stop();
});

describe('the façade through the kit’s fetch() adapter', () => {
  it('metadata, registration, consent, Entra ID, callback, code and a request as alice, with Requests only', async () => {
    const issuer = 'https://mcp.contoso.example';
    const resource = `${issuer}/mcp`;
    const clientId = randomUUID();
    const secret = `s-${randomUUID()}`;
    emulator.registerApp({
      clientId,
      secret,
      identifierUris: [resource],
      exposedScopes: ['mcp.tools'],
      redirectUris: [`${issuer}/oauth/callback`],
    });
    const proxy = new OAuthProxy({
      issuer,
      resource,
      upstream: {
        instance: emulator.instance,
        tenantId: emulator.tenantId,
        clientId,
        scopes: [`${resource}/mcp.tools`],
        credential: { clientSecret: secret },
      },
      logger: { info() {}, warn() {} },
    });
    const config = parseServerConfig({
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
    });
    const auth = await createMcpAuth(config, {
      resourceUrl: resource,
      authorizationServer: proxy,
      logger: { info() {}, warn() {} },
    });
    const app = auth.fetch(async (_request, info) =>
      Response.json({
        user: (info?.extra as { principal?: { userPrincipalName?: string } })?.principal?.userPrincipalName,
      }),
    );
    const call = (path: string, init: RequestInit = {}) => app(new Request(new URL(path, issuer), init));

    expect(await (await call('/.well-known/oauth-authorization-server')).json()).toMatchObject({
      issuer,
      registration_endpoint: `${issuer}/oauth/register`,
    });
    expect(await (await call('/.well-known/oauth-protected-resource/mcp')).json()).toMatchObject({
      authorization_servers: [issuer],
    });
    const registered = await call('/oauth/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'Workers client',
        redirect_uris: ['http://127.0.0.1:7777/cb'],
        token_endpoint_auth_method: 'none',
      }),
    });
    expect(registered.status).toBe(201);
    const { client_id } = (await registered.json()) as { client_id: string };

    const verifier = randomBytes(32).toString('base64url');
    const authorize = new URL('/oauth/authorize', issuer);
    for (const [k, v] of Object.entries({
      client_id,
      response_type: 'code',
      redirect_uri: 'http://127.0.0.1:7777/cb',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      state: 'w',
      login_hint: 'alice@contoso.com',
    }))
      authorize.searchParams.set(k, v);
    const consent = await call(authorize.href);
    expect(consent.status).toBe(200);
    const cookie = consent.headers.get('set-cookie')!.split(';')[0]!;
    const page = await consent.text();
    expect(page).toContain('Allow <bdi>Workers client</bdi>?');
    const field = (n: string) => new RegExp(`name="${n}" value="([^"]+)"`).exec(page)![1]!;
    const upstream = await call('/oauth/consent', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: new URLSearchParams({
        transaction: field('transaction'),
        csrf: field('csrf'),
        decision: 'allow',
      }),
    });
    expect(upstream.status).toBe(302);
    const entra = await fetch(upstream.headers.get('location')!, { redirect: 'manual' });
    // back in the browser that consented: its binding cookie goes with Entra ID's answer
    const callback = await call(entra.headers.get('location')!, { headers: { cookie } });
    expect(callback.status).toBe(302);
    const back = new URL(callback.headers.get('location')!);
    expect(back.searchParams.get('state')).toBe('w');
    const tokens = (await (
      await call('/oauth/token', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          client_id,
          code: back.searchParams.get('code')!,
          code_verifier: verifier,
          redirect_uri: 'http://127.0.0.1:7777/cb',
        }),
      })
    ).json()) as { access_token: string };
    const asAlice = await call('/mcp', {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.access_token}` },
      body: '{}',
    });
    expect(await asAlice.json()).toEqual({ user: 'alice@contoso.com' });
    // an oversized form is refused (413), as on node:http
    const big = await call('/oauth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'x='.padEnd(40_000, 'y'),
    });
    expect(big.status).toBe(413);
    await auth.close();
  });
});
