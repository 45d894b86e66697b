// The stateless Entra front: a client given only the MCP URL registers (and is given the server's
// pre-registered public client), signs in at Entra ID through the front's authorize redirect, and
// redeems its code and refreshes through the front's token relay, without ever sending `scope`.
// The tokens are Entra ID's; On-Behalf-Of uses them natively. Then each quirk, one at a time.
import { randomUUID } from 'node:crypto';
import { EntraFront } from '@mcp-auth-kit/oauth-proxy';
import { freePort } from '@mcp-auth-kit/testing';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SelfRegisteringProvider } from './oauthClients.js';
import { startWorld, type World } from './world.js';

let world: World;
beforeAll(async () => {
  world = await startWorld();
}, 120_000);
afterAll(async () => {
  await world?.stop();
});

async function frontSetup(options: { applicationIdUri?: 'api' } = {}) {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const mcpUrl = `${origin}/mcp`;
  const apiClientId = randomUUID();
  const secret = `secret-${randomUUID()}`;
  const applicationIdUri = options.applicationIdUri ? `api://${apiClientId}` : mcpUrl;
  world.emulator.registerApp({
    clientId: apiClientId,
    secret,
    identifierUris: [applicationIdUri],
    exposedScopes: ['mcp.tools'],
  });
  const publicClient = world.emulator.registerApp({
    publicClient: true,
    redirectUris: ['http://localhost/callback', 'http://127.0.0.1/oauth/callback', 'https://app.example/cb'],
  });
  const logs: string[] = [];
  const front = new EntraFront({
    issuer: origin,
    resource: mcpUrl,
    applicationIdUri,
    instance: world.emulator.instance,
    tenantId: world.emulator.tenantId,
    publicClient: { clientId: publicClient.clientId, redirectUris: publicClient.redirectUris },
    logger: { info() {}, warn: (m: string) => logs.push(m) },
  });
  const server = await world.server(world.oboConfig(apiClientId, secret), {
    port,
    authorizationServer: front,
  });
  return { server, front, origin, mcpUrl, applicationIdUri, publicClient, logs };
}

const query = async (client: Client, sql: string) =>
  (await client.callTool({
    name: 'postgres_database_query',
    arguments: { server: 'local', database: 'demo', query: sql },
  })) as { structuredContent?: { rows: unknown[] }; isError?: boolean; content: Array<{ text: string }> };

/** The person: opens the authorization URL (the front's), is sent to Entra ID, picks a user; answers the client's callback URL. */
async function signIn(authorizationUrl: URL, user: string): Promise<URL> {
  const front = await fetch(authorizationUrl, { redirect: 'manual' });
  expect(front.status).toBe(302);
  const entra = new URL(front.headers.get('location')!);
  expect(entra.href.startsWith(world.emulator.instance)).toBe(true);
  const page = await (await fetch(entra)).text(); // Entra ID's sign-in page lists the accounts
  const link = new RegExp(`href="([^"]+)">${user.replace('.', '\\.')}<`).exec(page)![1]!;
  const picked = await fetch(new URL(link.replaceAll('&#38;', '&'), entra), { redirect: 'manual' });
  expect(picked.status).toBe(302);
  return new URL(picked.headers.get('location')!);
}

describe('the Entra front: only the MCP URL, Entra ID’s tokens, nothing stored', () => {
  it('SDK v2 client that registers itself and never sends scope: sign-in, query as alice, refresh; bob is refused alice’s table', async () => {
    const { server, origin, mcpUrl, publicClient } = await frontSetup();
    expect(
      (await (await fetch(`${origin}/.well-known/oauth-protected-resource/mcp`)).json()) as object,
    ).toMatchObject({ authorization_servers: [origin], resource: mcpUrl });
    const metadata = (await (
      await fetch(`${origin}/.well-known/oauth-authorization-server`)
    ).json()) as Record<string, unknown>;
    expect(metadata).toMatchObject({ issuer: origin, code_challenge_methods_supported: ['S256'] });
    expect(metadata.authorization_response_iss_parameter_supported).toBeUndefined();

    for (const [user, canReadNotes] of [
      ['alice@contoso.com', true],
      ['bob@contoso.com', false],
    ] as const) {
      const provider = new SelfRegisteringProvider(undefined, 'http://localhost:53682/callback');
      const transport = new StreamableHTTPClientTransport(new URL(server.mcpUrl), { authProvider: provider });
      await expect(new Client({ name: 'e2e', version: '0' }).connect(transport)).rejects.toThrow();
      expect(provider.clientInformation()?.client_id).toBe(publicClient.clientId);
      const callback = await signIn(provider.authorizationUrl!, user);
      expect(callback.searchParams.get('code')).toBeTruthy();
      expect(callback.searchParams.has('iss')).toBe(false); // Entra ID sends none
      await transport.finishAuth(callback.searchParams);
      const tokens = provider.tokens()!;
      // Entra ID's own token for the API, as the user
      expect(decodeJwt(tokens.access_token)).toMatchObject({
        iss: world.emulator.issuerV2(),
        preferred_username: user,
        scp: 'mcp.tools',
      });
      expect(tokens.refresh_token).toBeTruthy();
      const client = new Client({ name: 'e2e', version: '0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(server.mcpUrl), { authProvider: provider }),
      );
      const notes = await query(client, 'SELECT current_user AS u, note FROM alice_notes');
      if (canReadNotes) expect(notes.structuredContent?.rows).toEqual([[user, 'only alice']]);
      else expect(notes.content[0]!.text).toContain('permission denied for table alice_notes');
      await client.close();
    }
  });

  it('refresh through the front without scope (AADSTS90009 and the Graph fallback of AADSTS650053 avoided)', async () => {
    const { server, origin } = await frontSetup();
    const provider = new SelfRegisteringProvider(undefined, 'http://localhost:53682/callback');
    const transport = new StreamableHTTPClientTransport(new URL(server.mcpUrl), { authProvider: provider });
    await expect(new Client({ name: 'e2e', version: '0' }).connect(transport)).rejects.toThrow();
    await transport.finishAuth((await signIn(provider.authorizationUrl!, 'alice@contoso.com')).searchParams);
    const refreshed = await fetch(`${origin}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: provider.clientInformation()!.client_id,
        refresh_token: provider.tokens()!.refresh_token!,
      }),
    });
    expect(refreshed.status).toBe(200);
    const body = (await refreshed.json()) as { access_token: string; refresh_token: string };
    expect(decodeJwt(body.access_token)).toMatchObject({
      scp: 'mcp.tools',
      preferred_username: 'alice@contoso.com',
    });
    expect(body.refresh_token).toBeTruthy();
  });

  it('each quirk fixed: missing scope, resource ≠ Application ID URI, offline_access alone; PKCE, state and redirect URI untouched', async () => {
    const { origin, mcpUrl, applicationIdUri, publicClient } = await frontSetup({ applicationIdUri: 'api' });
    const authorize = (params: Record<string, string>) =>
      fetch(`${origin}/oauth/authorize?${new URLSearchParams(params)}`, { redirect: 'manual' }).then(
        (r) => new URL(r.headers.get('location')!),
      );
    const base = {
      client_id: publicClient.clientId,
      response_type: 'code',
      redirect_uri: 'http://localhost:7777/callback',
      code_challenge: 'c'.repeat(43),
      code_challenge_method: 'S256',
      state: 'client-state',
    };
    const none = await authorize({ ...base, resource: mcpUrl });
    expect(none.searchParams.get('scope')).toBe(`${applicationIdUri}/mcp.tools offline_access`);
    expect(none.searchParams.get('resource')).toBe(applicationIdUri);
    for (const k of ['client_id', 'redirect_uri', 'code_challenge', 'code_challenge_method', 'state']) {
      expect(none.searchParams.get(k)).toBe(base[k as keyof typeof base]);
    }
    expect((await authorize({ ...base, scope: 'offline_access' })).searchParams.get('scope')).toBe(
      `${applicationIdUri}/mcp.tools offline_access`,
    );
    expect(
      (await authorize({ ...base, scope: `${mcpUrl}/mcp.tools openid` })).searchParams.get('scope'),
    ).toBe(`${applicationIdUri}/mcp.tools openid`);
    // a scope of another API passes unchanged: Entra ID decides (and refuses mixing resources)
    expect(
      (await authorize({ ...base, scope: 'https://graph.microsoft.com/User.Read' })).searchParams.get(
        'scope',
      ),
    ).toBe('https://graph.microsoft.com/User.Read');
    // and Entra ID, given the fixed request, signs the person in (no 9010010, 900144 or 70011)
    const entra = await authorize({ ...base, resource: mcpUrl, login_hint: 'alice@contoso.com' });
    const back = await fetch(entra, { redirect: 'manual' });
    const callback = new URL(back.headers.get('location')!);
    expect(callback.searchParams.get('code')).toBeTruthy();
    expect(callback.searchParams.get('state')).toBe('client-state');
  });

  it('Entra ID’s errors come back unchanged and are logged with their AADSTS code, never with the code or verifier', async () => {
    const { origin, publicClient, logs } = await frontSetup();
    const code = `secret-code-${randomUUID()}`;
    const res = await fetch(`${origin}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: publicClient.clientId,
        code,
        code_verifier: 'v'.repeat(43),
        redirect_uri: 'http://localhost:7777/callback',
      }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; error_codes: number[] };
    expect(body).toMatchObject({ error: 'invalid_grant', error_codes: [70008] });
    expect(logs.join('\n')).toContain('AADSTS70008');
    expect(logs.join('\n')).not.toContain(code);
    expect(logs.join('\n')).not.toContain('v'.repeat(43));
    // a grant the front does not relay
    const password = await fetch(`${origin}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', username: 'a', password: 'b' }),
    });
    expect(await password.json()).toMatchObject({ error: 'unsupported_grant_type' });
  });

  it('registration with only the URL: loopback redirect URIs on any port and registered https ones get the public client; anything else an RFC 7591 error', async () => {
    const { origin, publicClient } = await frontSetup();
    const register = (redirect_uris: unknown) =>
      fetch(`${origin}/oauth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_name: 'Inspector', redirect_uris }),
      });
    for (const ok of [
      ['http://localhost:6274/callback'],
      ['http://127.0.0.1:6276/oauth/callback'],
      ['https://app.example/cb'],
    ]) {
      const res = await register(ok);
      expect(res.status).toBe(201);
      expect(await res.json()).toMatchObject({
        client_id: publicClient.clientId,
        redirect_uris: ok,
        token_endpoint_auth_method: 'none',
      });
    }
    for (const bad of [
      ['http://localhost:6274/elsewhere'],
      ['https://evil.example/cb'],
      ['http://app.example/cb'],
      ['http://localhost:1/callback', 'https://evil.example/cb'],
    ]) {
      const res = await register(bad);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'invalid_redirect_uri' });
    }
    expect((await register('nope')).status).toBe(400);
  });
});
