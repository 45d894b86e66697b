import { defaultAuthContextAccessor } from '@mcp-auth-kit/auth-core';
import {
  createAuthMiddleware,
  createProtectedResourceMetadataHandler,
  JwtBearerInboundSetup,
} from '@mcp-auth-kit/inbound-jwt';
import { EntraEmulator } from '@mcp-auth-kit/testing';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_ID, azureAdFor } from './helpers.js';

let emulator: EntraEmulator;
beforeAll(async () => {
  emulator = await EntraEmulator.start();
});
afterAll(async () => {
  await emulator.stop();
});

async function serve(app: express.Express): Promise<{ url: string; close(): void }> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () => server.close(),
  };
}

describe('createAuthMiddleware as express middleware', () => {
  it('authenticates, runs the route inside the caller context, and challenges without a token', async () => {
    const azureAd = azureAdFor(emulator);
    const app = express();
    const metadata = createProtectedResourceMetadataHandler({ azureAd });
    app.use((req, res, next) => (metadata(req, res) ? undefined : next()));
    app.use('/mcp', createAuthMiddleware(new JwtBearerInboundSetup(azureAd)));
    app.get('/mcp', (_req, res) => {
      res.json({ upn: defaultAuthContextAccessor.require().principal.userPrincipalName });
    });
    const { url, close } = await serve(app);
    try {
      const user = emulator.addUser({ userPrincipalName: 'express@contoso.com' });
      const ok = await fetch(`${url}/mcp`, {
        headers: { authorization: `Bearer ${await emulator.mintUserToken({ user, audience: APP_ID })}` },
      });
      expect(await ok.json()).toEqual({ upn: 'express@contoso.com' });
      const anonymous = await fetch(`${url}/mcp`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toBe(
        `Bearer realm="mcp", resource_metadata="${url}/.well-known/oauth-protected-resource/mcp", scope="${url}/mcp/.default"`,
      );
    } finally {
      close();
    }
  });

  it('uses forwarded host and proto for the metadata URLs only when trusted', async () => {
    const azureAd = azureAdFor(emulator);
    const app = express();
    app.use(
      '/mcp',
      createAuthMiddleware(new JwtBearerInboundSetup(azureAd), { trustForwardedHeaders: true }),
    );
    const trusted = createProtectedResourceMetadataHandler({ azureAd, trustForwardedHeaders: true });
    app.use((req, res, next) => (trusted(req, res) ? undefined : next()));
    const { url, close } = await serve(app);
    try {
      const headers = { 'x-forwarded-host': 'mcp.contoso.com', 'x-forwarded-proto': 'https' };
      const challenge = (await fetch(`${url}/mcp`, { headers })).headers.get('www-authenticate');
      expect(challenge).toContain(
        'resource_metadata="https://mcp.contoso.com/.well-known/oauth-protected-resource/mcp"',
      );
      const metadata = (await (
        await fetch(`${url}/.well-known/oauth-protected-resource/mcp`, { headers })
      ).json()) as { resource: string };
      expect(metadata.resource).toBe('https://mcp.contoso.com/mcp');
    } finally {
      close();
    }
  });
});

describe('discovery coherent by construction', () => {
  it('derives scopes from the resource URL, accepts it as audience, and refuses scopes Entra would refuse with it', async () => {
    const azureAd = azureAdFor(emulator, { requiredScopes: ['mcp.tools'] });
    const resourceUrl = 'https://mcp.contoso.com/mcp';
    const metadata = createProtectedResourceMetadataHandler({ azureAd, resourceUrl });
    const app = express();
    app.use((req, res, next) => (metadata(req, res) ? undefined : next()));
    app.use('/mcp', createAuthMiddleware(new JwtBearerInboundSetup(azureAd, { resourceUrl })));
    app.get('/mcp', (_req, res) => {
      res.json({ ok: true });
    });
    const { url, close } = await serve(app);
    try {
      const doc = (await (await fetch(`${url}/.well-known/oauth-protected-resource/mcp`)).json()) as {
        resource: string;
        scopes_supported: string[];
      };
      expect(doc).toMatchObject({ resource: resourceUrl, scopes_supported: [`${resourceUrl}/mcp.tools`] });
      const challenge = (await fetch(`${url}/mcp`)).headers.get('www-authenticate');
      expect(challenge).toContain(`scope="${resourceUrl}/mcp.tools"`);
      // a v1 token carries the Application ID URI as its audience
      const user = emulator.addUser({ userPrincipalName: 'v1@contoso.com' });
      const v1 = await emulator.mintUserToken({
        user,
        audience: resourceUrl,
        scopes: ['mcp.tools'],
        version: '1.0',
      });
      expect((await fetch(`${url}/mcp`, { headers: { authorization: `Bearer ${v1}` } })).status).toBe(200);
    } finally {
      close();
    }
    expect(() =>
      createProtectedResourceMetadataHandler({
        azureAd,
        resourceUrl,
        scopesSupported: [`api://${APP_ID}/mcp.tools`],
      }),
    ).toThrow(/AADSTS9010010/);
  });
});
