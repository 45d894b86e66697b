// The user-facing half of the emulated Entra ID: the authorization code flow with PKCE, driven by
// the real msal-node public client, and a negative test for each Entra rule it enforces.
import { createHash, randomBytes } from 'node:crypto';
import { CryptoProvider, PublicClientApplication } from '@azure/msal-node';
import { type EmulatedApp, EntraEmulator } from '@mcp-auth-kit/testing';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let emulator: EntraEmulator;
let api: EmulatedApp;
let client: EmulatedApp;
const RESOURCE = 'https://mcp.example.test/mcp';
const SCOPE = `${RESOURCE}/mcp.tools`;

beforeAll(async () => {
  emulator = await EntraEmulator.start();
  api = emulator.registerApp({ identifierUris: [RESOURCE], exposedScopes: ['mcp.tools', 'mcp.admin'] });
  client = emulator.registerApp({ publicClient: true, redirectUris: ['http://localhost/callback'] });
  emulator.addUser({ userPrincipalName: 'alice@contoso.com', name: 'Alice' });
  emulator.addUser({ userPrincipalName: 'bob@contoso.com' });
});
afterAll(async () => {
  await emulator?.stop();
});

const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

function authorizeUrl(params: Record<string, string | undefined>): string {
  const url = new URL(`${emulator.authority()}/oauth2/v2.0/authorize`);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url.href;
}

async function codeFor(overrides: Record<string, string | undefined> = {}) {
  const { verifier, challenge } = pkce();
  const res = await fetch(
    authorizeUrl({
      client_id: client.clientId,
      response_type: 'code',
      redirect_uri: 'http://localhost:53123/callback',
      scope: `${SCOPE} openid offline_access`,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 'xyz',
      login_hint: 'alice@contoso.com',
      resource: RESOURCE,
      ...overrides,
    }),
    { redirect: 'manual' },
  );
  return {
    res,
    verifier,
    location: res.headers.get('location') ? new URL(res.headers.get('location')!) : undefined,
  };
}

const token = (form: Record<string, string>) =>
  fetch(`${emulator.authority()}/oauth2/v2.0/token`, { method: 'POST', body: new URLSearchParams(form) });

describe('authorization code with PKCE through msal-node', () => {
  it('signs alice in by login_hint, exchanges the code, and refreshes with a new refresh token', async () => {
    const pca = new PublicClientApplication({
      auth: {
        clientId: client.clientId,
        authority: emulator.authority(),
        knownAuthorities: [new URL(emulator.instance).host],
      },
    });
    const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
    const redirectUri = 'http://localhost:49152/callback';
    const url = await pca.getAuthCodeUrl({
      scopes: [SCOPE],
      redirectUri,
      codeChallenge: challenge,
      codeChallengeMethod: 'S256',
      loginHint: 'alice@contoso.com',
      state: 'state-1',
    });
    const res = await fetch(url, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const back = new URL(res.headers.get('location')!);
    expect(back.origin + back.pathname).toBe(redirectUri);
    expect(back.searchParams.get('state')).toBe('state-1');
    // as Entra ID documents its authorization response: code and state, no RFC 9207 iss
    expect([...back.searchParams.keys()].sort()).toEqual(['code', 'state']);
    const result = await pca.acquireTokenByCode({
      code: back.searchParams.get('code')!,
      scopes: [SCOPE],
      redirectUri,
      codeVerifier: verifier,
    });
    const claims = decodeJwt(result.accessToken);
    expect(claims).toMatchObject({
      aud: api.clientId,
      scp: 'mcp.tools',
      preferred_username: 'alice@contoso.com',
      ver: '2.0',
    });
    expect(result.account?.username).toBe('alice@contoso.com');
    const refreshed = await pca.acquireTokenSilent({
      account: result.account!,
      scopes: [SCOPE],
      forceRefresh: true,
    });
    expect(refreshed.accessToken).not.toBe(result.accessToken);
    expect(emulator.countRequests({ grant: 'refresh_token' })).toBeGreaterThan(0);
  });

  it('shows a browser a sign-in page with one link per user when there is no login_hint', async () => {
    const { res } = await codeFor({ login_hint: undefined });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('alice@contoso.com');
    expect(html).toContain('bob@contoso.com');
    expect(html).toMatch(/href="[^"]*login_hint=alice%40contoso.com/);
    expect(html).not.toContain('<script');
  });

  it('issues v1 tokens (aud = identifier URI) to an app that accepts v1', async () => {
    const v1 = emulator.registerApp({
      identifierUris: ['api://legacy-app'],
      exposedScopes: ['read'],
      accessTokenVersion: 1,
    });
    const { location, verifier } = await codeFor({ scope: 'api://legacy-app/read', resource: undefined });
    const r = await token({
      grant_type: 'authorization_code',
      client_id: client.clientId,
      code: location!.searchParams.get('code')!,
      redirect_uri: 'http://localhost:53123/callback',
      code_verifier: verifier,
      scope: 'api://legacy-app/read',
    });
    const body = (await r.json()) as { access_token: string };
    expect(decodeJwt(body.access_token)).toMatchObject({ aud: 'api://legacy-app', ver: '1.0', scp: 'read' });
    void v1;
  });
});

describe('Entra’s rules, each refused as Entra refuses it', () => {
  it('AADSTS50011: a redirect URI not registered is answered on the page, never redirected to', async () => {
    for (const redirect of [
      'http://evil.example:53123/callback',
      'http://localhost:53123/other',
      'https://localhost/callback',
    ]) {
      const { res } = await codeFor({ redirect_uri: redirect });
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(await res.text()).toContain('AADSTS50011');
    }
    // a confidential client gets no loopback port freedom
    const web = emulator.registerApp({ secret: 's', redirectUris: ['http://localhost/callback'] });
    const { res } = await codeFor({
      client_id: web.clientId,
      redirect_uri: 'http://localhost:53123/callback',
    });
    expect(res.status).toBe(400);
  });

  it('AADSTS9010010: the resource must be the identifier URI of the scopes’ app', async () => {
    const { location } = await codeFor({ resource: 'https://other.example.test/mcp' });
    expect(location?.searchParams.get('error')).toBe('invalid_target');
    expect(location?.searchParams.get('error_description')).toContain('AADSTS9010010');
    expect(location?.searchParams.get('state')).toBe('xyz');
  });

  it('AADSTS900144 / 90009: scope is required on the code exchange and on refresh', async () => {
    const { location, verifier } = await codeFor();
    const noScope = await token({
      grant_type: 'authorization_code',
      client_id: client.clientId,
      code: location!.searchParams.get('code')!,
      redirect_uri: 'http://localhost:53123/callback',
      code_verifier: verifier,
    });
    expect(noScope.status).toBe(400);
    expect(((await noScope.json()) as { error_codes: number[] }).error_codes).toEqual([900144]);
    const again = await codeFor();
    const ok = await token({
      grant_type: 'authorization_code',
      client_id: client.clientId,
      code: again.location!.searchParams.get('code')!,
      redirect_uri: 'http://localhost:53123/callback',
      code_verifier: again.verifier,
      scope: `${SCOPE} offline_access`,
    });
    const { refresh_token } = (await ok.json()) as { refresh_token: string };
    const refreshNoScope = await token({
      grant_type: 'refresh_token',
      client_id: client.clientId,
      refresh_token,
    });
    expect(((await refreshNoScope.json()) as { error_codes: number[] }).error_codes).toEqual([90009]);
  });

  it('AADSTS50148 / 54005: the verifier must match, and a code is redeemed once', async () => {
    const { location, verifier } = await codeFor();
    const code = location!.searchParams.get('code')!;
    const form = {
      grant_type: 'authorization_code',
      client_id: client.clientId,
      code,
      redirect_uri: 'http://localhost:53123/callback',
      scope: SCOPE,
    };
    const wrong = await token({ ...form, code_verifier: pkce().verifier });
    expect(((await wrong.json()) as { error_codes: number[] }).error_codes).toEqual([50148]);
    const replay = await token({ ...form, code_verifier: verifier });
    expect(((await replay.json()) as { error_codes: number[] }).error_codes).toEqual([54005]);
  });

  it('requires PKCE with S256, and a scope on the authorize request', async () => {
    const plain = await codeFor({ code_challenge_method: 'plain' });
    expect(plain.location?.searchParams.get('error')).toBe('invalid_request');
    const none = await codeFor({ code_challenge: undefined, code_challenge_method: undefined });
    expect(none.location?.searchParams.get('error')).toBe('invalid_request');
    const noScope = await codeFor({ scope: undefined });
    expect(noScope.location?.searchParams.get('error_description')).toContain('AADSTS900144');
  });

  it('advertises only what it serves: PKCE S256, no device code or logout endpoint', async () => {
    const doc = (await (
      await fetch(`${emulator.authority()}/v2.0/.well-known/openid-configuration`)
    ).json()) as Record<string, unknown>;
    expect(doc.code_challenge_methods_supported).toEqual(['S256']);
    expect(doc.device_authorization_endpoint).toBeUndefined();
    expect(doc.end_session_endpoint).toBeUndefined();
    expect(doc.authorization_endpoint).toBe(`${emulator.authority()}/oauth2/v2.0/authorize`);
  });
});
