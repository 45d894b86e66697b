// Entra ID's own Client ID Metadata Documents (preview), end to end: an SDK v2 client whose
// client_id is its document's https URL finds CIMD advertised by the Entra front, signs in at the
// emulated Entra ID with no registration (as an agent identity), and queries as alice through
// On-Behalf-Of; the operator's client policy admits or refuses it by the agent identity's app id.
import { randomUUID } from 'node:crypto';
import { EntraFront } from '@mcp-auth-kit/oauth-proxy';
import { type DocumentHost, freePort, startDocumentHost } from '@mcp-auth-kit/testing';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SelfRegisteringProvider } from './oauthClients.js';
import { startWorld, type World } from './world.js';

let world: World;
let host: DocumentHost;
const REDIRECT = 'http://localhost:53682/callback';
beforeAll(async () => {
  world = await startWorld();
  world.emulator.cimd.enable({ allowLoopbackDocuments: true });
  host = await startDocumentHost(world.emulator.ca);
}, 120_000);
afterAll(async () => {
  await host?.stop();
  await world?.stop();
});

/** A client's metadata document, published on the loopback https host (its certificate from the dev CA). */
function publishClient(name: string): string {
  const path = `/${name}/client.json`;
  return host.publish(
    path,
    {
      client_id: `${host.origin}${path}`,
      client_name: name,
      redirect_uris: [REDIRECT],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    },
    { 'cache-control': 'max-age=300' },
  );
}

async function serverWith(mcpServer: Record<string, unknown> = {}) {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const mcpUrl = `${origin}/mcp`;
  const apiClientId = randomUUID();
  const secret = `secret-${randomUUID()}`;
  world.emulator.registerApp({
    clientId: apiClientId,
    secret,
    identifierUris: [mcpUrl],
    exposedScopes: ['mcp.tools'],
  });
  const front = new EntraFront({
    issuer: origin,
    resource: mcpUrl,
    instance: world.emulator.instance,
    tenantId: world.emulator.tenantId,
    clientIdMetadataDocuments: true,
    logger: { info() {}, warn() {} },
  });
  const server = await world.server(world.oboConfig(apiClientId, secret, mcpServer), {
    port,
    authorizationServer: front,
  });
  return { server, origin, apiClientId };
}

/** The person: the front's authorize URL → Entra ID's sign-in page → picks `user`; answers the callback URL (or Entra's page). */
async function signIn(authorizationUrl: URL, user: string): Promise<{ callback?: URL; page?: string }> {
  const front = await fetch(authorizationUrl, { redirect: 'manual' });
  expect(front.status).toBe(302);
  const entra = new URL(front.headers.get('location')!);
  entra.searchParams.set('login_hint', user);
  const answer = await fetch(entra, { redirect: 'manual' });
  if (answer.status !== 302) return { page: await answer.text() };
  return { callback: new URL(answer.headers.get('location')!) };
}

/** Connects an SDK v2 client that has a metadata document: sign-in as `user`, then a connected client. */
async function connectWithDocument(mcpUrl: string, documentUrl: string, user: string) {
  const provider = new SelfRegisteringProvider(documentUrl, REDIRECT);
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider });
  await expect(new Client({ name: 'cimd', version: '0' }).connect(transport)).rejects.toThrow();
  const { callback, page } = await signIn(provider.authorizationUrl!, user);
  return { provider, transport, callback, page };
}

const call = async (client: Client, name: string, args: Record<string, unknown> = {}) =>
  (await client.callTool({ name, arguments: args })) as {
    structuredContent?: Record<string, unknown> & { rows?: unknown[] };
    isError?: boolean;
    content: Array<{ text: string }>;
  };

describe("Entra ID's Client ID Metadata Documents through the Entra front", () => {
  it('an SDK v2 client with a document signs in with no registration, as an agent identity, and queries as alice', async () => {
    const { server, origin, apiClientId } = await serverWith();
    const metadata = (await (
      await fetch(`${origin}/.well-known/oauth-authorization-server`)
    ).json()) as Record<string, unknown>;
    expect(metadata.client_id_metadata_document_supported).toBe(true);
    const documentUrl = publishClient('sdk-v2-agent');
    const { provider, transport, callback } = await connectWithDocument(
      server.mcpUrl,
      documentUrl,
      'alice@contoso.com',
    );
    // no registration: the client id is the document URL, and Entra ID fetched the document
    expect(provider.clientInformation()?.client_id).toBe(documentUrl);
    expect(provider.authorizationUrl!.searchParams.get('client_id')).toBe(documentUrl);
    expect(host.fetches('/sdk-v2-agent/client.json')).toBeGreaterThanOrEqual(1);
    await transport.finishAuth(callback!.searchParams);
    const agent = world.emulator.cimd.agent(documentUrl)!;
    // Entra ID's own token (not the façade's), obtained by the agent identity for alice
    expect(decodeJwt(provider.tokens()!.access_token)).toMatchObject({
      iss: world.emulator.issuerV2(),
      aud: apiClientId,
      azp: agent.appId,
      preferred_username: 'alice@contoso.com',
      xms_act_fct: '11',
    });
    const client = new Client({ name: 'cimd', version: '0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(server.mcpUrl), { authProvider: provider }),
    );
    const who = await call(client, 'whoami');
    expect(who.structuredContent?.caller).toMatchObject({
      kind: 'user',
      appId: agent.appId,
      agentIdentity: true,
    });
    // On-Behalf-Of works for an agent identity's caller: the database sees alice
    const notes = await call(client, 'postgres_database_query', {
      server: 'local',
      database: 'demo',
      query: 'SELECT current_user AS u, note FROM alice_notes',
    });
    expect(notes.structuredContent?.rows).toEqual([['alice@contoso.com', 'only alice']]);
    await client.close();
  });

  it('the operator admits clients by app id: a listed agent identity is described by its document URL; another client is refused with 403 saying why', async () => {
    const documentUrl = publishClient('listed-agent');
    // the agent identity exists once the client has signed in (or an administrator added it)
    const agent = world.emulator.cimd.grantAdminConsent(documentUrl, randomUUID(), []);
    const admitted = await serverWith({
      allowedClients: [{ appId: agent.appId, documentUrl, name: 'Listed' }],
    });
    const ok = await connectWithDocument(admitted.server.mcpUrl, documentUrl, 'alice@contoso.com');
    await ok.transport.finishAuth(ok.callback!.searchParams);
    const client = new Client({ name: 'cimd', version: '0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(admitted.server.mcpUrl), { authProvider: ok.provider }),
    );
    expect((await call(client, 'whoami')).structuredContent?.caller).toMatchObject({
      appId: agent.appId,
      clientDocumentUrl: documentUrl,
    });
    await client.close();

    const other = publishClient('unlisted-agent');
    const refused = await serverWith({ allowedClients: [agent.appId] });
    const no = await connectWithDocument(refused.server.mcpUrl, other, 'alice@contoso.com');
    await no.transport.finishAuth(no.callback!.searchParams);
    const res = await fetch(refused.server.mcpUrl, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${no.provider.tokens()!.access_token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(res.status).toBe(403);
    const challenge = res.headers.get('www-authenticate') ?? '';
    expect(challenge).toContain('insufficient_scope');
    expect(challenge).toContain(`agent identity ${world.emulator.cimd.agent(other)!.appId}`);
    expect(challenge).toContain('allowedClients');
  });

  it('a document URL alone in allowedClients is refused at start-up with what to write instead', async () => {
    await expect(
      serverWith({ allowedClients: ['https://vscode.dev/oauth/client-metadata.json'] }),
    ).rejects.toThrow(/document URL alone cannot be matched/);
  });

  it('where users may not consent, the person sees Entra’s admin-approval page (AADSTS90094) until an administrator grants consent', async () => {
    const { server, apiClientId } = await serverWith();
    const documentUrl = publishClient('needs-admin');
    world.emulator.cimd.userConsent = false;
    try {
      const blocked = await connectWithDocument(server.mcpUrl, documentUrl, 'bob@contoso.com');
      expect(blocked.callback).toBeUndefined();
      expect(blocked.page).toContain('AADSTS90094');
      world.emulator.cimd.grantAdminConsent(documentUrl, apiClientId, ['mcp.tools']);
      const granted = await connectWithDocument(server.mcpUrl, documentUrl, 'bob@contoso.com');
      expect(granted.callback?.searchParams.get('code')).toBeTruthy();
    } finally {
      world.emulator.cimd.userConsent = true;
    }
  });

  it("an agent acting on its own (idtyp app, unscoped scp '/') follows the app-only policy: refused under On-Behalf-Of", async () => {
    const { server, apiClientId } = await serverWith();
    const agent = world.emulator.cimd.grantAdminConsent(publishClient('autonomous'), apiClientId, []);
    const token = await world.emulator.sign({
      aud: apiClientId,
      iss: world.emulator.issuerV2(),
      iat: Math.floor(Date.now() / 1000),
      exp: Math.floor(Date.now() / 1000) + 600,
      tid: world.emulator.tenantId,
      oid: agent.objectId,
      sub: agent.objectId,
      azp: agent.appId,
      idtyp: 'app',
      scp: '/',
      roles: ['mcp.tools'],
      xms_act_fct: '11',
      xms_sub_fct: '11',
      ver: '2.0',
    });
    const res = await fetch(server.mcpUrl, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toContain(
      'application tokens (no signed-in user) are not served',
    );
  });
});
