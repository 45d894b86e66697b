// Entra ID's Client ID Metadata Documents (preview), as the emulator implements them: a client
// whose client_id is its document's https URL signs in with no registration, as an agent identity;
// each rule Entra applies to the document, the redirect URI, consent and grants, one at a time.
import { createHash, randomBytes } from 'node:crypto';
import { type DocumentHost, type EmulatedApp, EntraEmulator, startDocumentHost } from '@mcp-auth-kit/testing';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let emulator: EntraEmulator;
let api: EmulatedApp;
let host: DocumentHost;
const RESOURCE = 'https://mcp.example.test/mcp';
const SCOPE = `${RESOURCE}/mcp.tools`;
const REDIRECT = 'http://127.0.0.1:53682/callback';

beforeAll(async () => {
  emulator = await EntraEmulator.start();
  api = emulator.registerApp({ identifierUris: [RESOURCE], exposedScopes: ['mcp.tools'] });
  emulator.addUser({ userPrincipalName: 'alice@contoso.com' });
  emulator.addUser({ userPrincipalName: 'bob@contoso.com' });
  host = await startDocumentHost(emulator.ca);
});
afterAll(async () => {
  await host?.stop();
  await emulator?.stop();
});

/** Publishes a valid document at `path` (fields overridable) and answers its URL. */
function publish(path: string, fields: Record<string, unknown> = {}): string {
  const url = `${host.origin}${path}`;
  return host.publish(path, {
    client_id: url,
    client_name: 'Agent client',
    redirect_uris: [REDIRECT],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
    ...fields,
  });
}

async function authorize(clientId: string, overrides: Record<string, string> = {}) {
  const verifier = randomBytes(32).toString('base64url');
  const url = new URL(`${emulator.authority()}/oauth2/v2.0/authorize`);
  const params = {
    client_id: clientId,
    response_type: 'code',
    redirect_uri: REDIRECT,
    scope: `${SCOPE} offline_access`,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    state: 's1',
    login_hint: 'alice@contoso.com',
    ...overrides,
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const res = await fetch(url, { redirect: 'manual' });
  const location = res.headers.get('location') ? new URL(res.headers.get('location')!) : undefined;
  return { res, verifier, location, text: location ? '' : await res.text() };
}

async function token(form: Record<string, string>) {
  const res = await fetch(`${emulator.authority()}/oauth2/v2.0/token`, {
    method: 'POST',
    body: new URLSearchParams(form),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function signIn(clientId: string) {
  const { location, verifier } = await authorize(clientId);
  expect(location?.searchParams.get('error_description') ?? null).toBeNull();
  return token({
    grant_type: 'authorization_code',
    client_id: clientId,
    code: location!.searchParams.get('code')!,
    redirect_uri: REDIRECT,
    code_verifier: verifier,
    scope: `${SCOPE} offline_access`,
  });
}

describe('a tenant without CIMD', () => {
  it('does not advertise it, and a document URL is an unknown application (AADSTS700016)', async () => {
    const url = publish('/off/client.json');
    const discovery = (await (
      await fetch(`${emulator.authority()}/v2.0/.well-known/openid-configuration`)
    ).json()) as Record<string, unknown>;
    expect(discovery.client_id_metadata_document_supported).toBeUndefined();
    const { res, text } = await authorize(url);
    expect(res.status).toBe(400);
    expect(text).toContain('AADSTS700016');
    expect(host.fetches('/off/client.json')).toBe(0);
  });
});

describe('a tenant with CIMD on', () => {
  beforeAll(() => emulator.cimd.enable({ allowLoopbackDocuments: true }));

  it('advertises client_id_metadata_document_supported in its discovery document', async () => {
    const discovery = (await (
      await fetch(`${emulator.authority()}/v2.0/.well-known/openid-configuration`)
    ).json()) as Record<string, unknown>;
    expect(discovery.client_id_metadata_document_supported).toBe(true);
  });

  it('signs a user in with no registration: an agent identity with a stable app id obtains a v2 token with the agent claims', async () => {
    const url = publish('/vscode/client.json');
    const first = await signIn(url);
    expect(first.status).toBe(200);
    const claims = decodeJwt(first.body.access_token as string);
    const agent = emulator.cimd.agent(url)!;
    expect(agent.displayName).toBe('Agent client');
    expect(claims).toMatchObject({ ver: '2.0', aud: api.clientId, azp: agent.appId, scp: 'mcp.tools' });
    expect(claims).toMatchObject({ idtyp: 'user', xms_act_fct: '11', xms_idrel: '1' });
    // the refresh works with the document URL as client_id, and the app id stays the same
    const refreshed = await token({
      grant_type: 'refresh_token',
      client_id: url,
      refresh_token: first.body.refresh_token as string,
      scope: `${SCOPE} offline_access`,
    });
    expect(refreshed.status).toBe(200);
    expect(decodeJwt(refreshed.body.access_token as string).azp).toBe(agent.appId);
    const again = await signIn(url);
    expect(decodeJwt(again.body.access_token as string).azp).toBe(agent.appId);
  });

  it('refuses a document whose client_id is not its URL', async () => {
    const url = publish('/liar/client.json', { client_id: `${host.origin}/someone-else.json` });
    const { res, text, location } = await authorize(url);
    expect(location).toBeUndefined();
    expect(res.status).toBe(400);
    expect(text).toContain('AADSTS700016');
    expect(text).toContain('client_id is not the URL it was fetched from');
    expect(emulator.cimd.agent(url)).toBeUndefined();
  });

  it('refuses a redirect URI the document does not list, on its own page (AADSTS50011), with no loopback port leeway', async () => {
    const url = publish('/strict/client.json');
    for (const redirect of ['https://attacker.example/cb', 'http://127.0.0.1:1/callback']) {
      const { res, text, location } = await authorize(url, { redirect_uri: redirect });
      expect(location).toBeUndefined();
      expect(res.status).toBe(400);
      expect(text).toContain('AADSTS50011');
    }
  });

  it('refuses confidential-client documents, a missing redirect_uris and oversized documents', async () => {
    const cases: Array<[string, unknown]> = [
      ['/secret.json', { token_endpoint_auth_method: 'client_secret_post' }],
      ['/keys.json', { token_endpoint_auth_method: 'private_key_jwt' }],
      ['/none.json', { redirect_uris: [] }],
      ['/implicit.json', { response_types: ['token'] }],
      ['/big.json', { client_name: 'x'.repeat(6_000) }],
    ];
    for (const [path, fields] of cases) {
      const url = publish(path, fields as Record<string, unknown>);
      const { text, location } = await authorize(url);
      expect(location, path).toBeUndefined();
      expect(text, path).toContain('AADSTS700016');
    }
  });

  it('requires admin consent where users may not consent (AADSTS90094), until an administrator grants it', async () => {
    const url = publish('/admin/client.json');
    emulator.cimd.userConsent = false;
    try {
      const blocked = await authorize(url);
      expect(blocked.location).toBeUndefined();
      expect(blocked.res.status).toBe(403);
      expect(blocked.text).toContain('AADSTS90094');
      const silent = await authorize(url, { prompt: 'none' });
      expect(silent.location?.searchParams.get('error')).toBe('consent_required');
      expect(silent.location?.searchParams.get('error_description')).toContain('AADSTS65001');
      emulator.cimd.grantAdminConsent(url, api.clientId, ['mcp.tools']);
      const granted = await signIn(url);
      expect(granted.status).toBe(200);
      expect(decodeJwt(granted.body.access_token as string).azp).toBe(emulator.cimd.agent(url)!.appId);
    } finally {
      emulator.cimd.userConsent = true;
    }
  });

  it('refuses the client credentials grant to a document client (AADSTS70003)', async () => {
    const url = publish('/daemon/client.json');
    await signIn(url);
    const { status, body } = await token({
      grant_type: 'client_credentials',
      client_id: url,
      client_secret: 'anything',
      scope: `${RESOURCE}/.default`,
    });
    expect(status).toBe(400);
    expect(body.error).toBe('unauthorized_client');
    expect(body.error_codes).toEqual([70003]);
  });

  it('fetches documents only from public addresses unless loopback documents are allowed (dev mode)', async () => {
    const url = publish('/private/client.json');
    emulator.cimd.enable({ allowLoopbackDocuments: false });
    try {
      const { text } = await authorize(url);
      expect(text).toContain('AADSTS700016');
      expect(text).toContain('not public');
      expect(host.fetches('/private/client.json')).toBe(0);
    } finally {
      emulator.cimd.enable({ allowLoopbackDocuments: true });
    }
  });
});
