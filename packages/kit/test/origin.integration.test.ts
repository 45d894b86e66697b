// The transport's Origin rule and DNS rebinding, performed against a real loopback server: with
// inbound None (the documented local set-up) a page on a rebinding domain would otherwise call every
// tool with the developer's own identity. node:http and web-standard adapters alike.
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseServerConfig } from '@mcp-auth-kit/auth-core';
import { createMcpAuth, type McpAuth } from '@mcp-auth-kit/kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const quiet = { info() {}, warn() {} };
let auth: McpAuth;
let server: Server;
let port: number;

beforeAll(async () => {
  auth = await createMcpAuth(
    parseServerConfig({
      inboundAuthentication: { type: 'None' },
      outboundAuthentication: { type: 'ManagedIdentity' },
    }),
    {
      logger: quiet,
      resourceUrl: 'https://mcp.contoso.com/mcp',
      allowedOrigins: ['https://app.contoso.com'],
    },
  );
  server = createServer(auth.node((_req, res) => void res.writeHead(200).end('tool answer')));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server?.close();
  await auth?.close();
});

/** A raw request, so Host can be what a browser on a rebinding domain sends. */
function send(path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', headers }, (res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end('{}');
  });
}

describe('Origin and Host on a loopback server (inbound None)', () => {
  it('serves clients without Origin, loopback origins (the Inspector UI), its own and the allowed origins', async () => {
    const host = `127.0.0.1:${port}`;
    const served: Array<Record<string, string>> = [
      { host },
      { host: `localhost:${port}`, origin: 'http://localhost:6274' },
      { host, origin: `http://127.0.0.1:${port}` },
      { host, origin: 'https://mcp.contoso.com' },
      { host, origin: 'https://app.contoso.com' },
      { host: 'mcp.contoso.com', origin: 'https://mcp.contoso.com' },
    ];
    for (const headers of served) {
      expect((await send('/mcp', headers)).status, JSON.stringify(headers)).toBe(200);
    }
  });

  it('refuses a foreign Origin, an opaque one, and a rebinding Host with 403 and a JSON-RPC error', async () => {
    const cases: Array<Record<string, string>> = [
      { host: `127.0.0.1:${port}`, origin: 'https://evil.example' },
      { host: `127.0.0.1:${port}`, origin: 'null' },
      { host: `127.0.0.1:${port}`, origin: 'not a url' },
      // DNS rebinding: the page's own name in Host and Origin, the socket on loopback
      { host: `rebind.evil.example:${port}`, origin: `http://rebind.evil.example:${port}` },
      { host: `rebind.evil.example:${port}` },
    ];
    for (const headers of cases) {
      const res = await send('/mcp', headers);
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(JSON.parse(res.body)).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32000 } });
      expect(res.body).not.toContain('tool answer');
    }
  });
});

describe('Origin with bearer authentication', () => {
  it('public metadata stays readable from any origin; the MCP endpoint refuses a foreign one before authentication', async () => {
    const bearer = await createMcpAuth(
      parseServerConfig({
        inboundAuthentication: {
          type: 'JwtBearerScheme',
          azureAd: {
            instance: 'https://login.microsoftonline.com/',
            tenantId: '8b7c6d5e-0000-4000-8000-000000000001',
            clientId: '8b7c6d5e-0000-4000-8000-000000000002',
          },
        },
        outboundAuthentication: { type: 'ManagedIdentity' },
      }),
      { logger: quiet },
    );
    const app = bearer.fetch(() => new Response('tool answer'));
    const metadata = await app(
      new Request('http://127.0.0.1:3000/.well-known/oauth-protected-resource/mcp', {
        headers: { origin: 'https://evil.example' },
      }),
    );
    expect(metadata.status).toBe(200);
    const refused = await app(
      new Request('http://127.0.0.1:3000/mcp', {
        method: 'POST',
        headers: { origin: 'https://evil.example', authorization: 'Bearer x.y.z' },
        body: '{}',
      }),
    );
    expect(refused.status).toBe(403);
    await bearer.close();
  });
});

describe('Origin on a fetch-style host', () => {
  it('refuses a foreign Origin, and a rebinding Host when the host passes the local address', async () => {
    const app = auth.fetch(() => new Response('tool answer'));
    const call = (headers: Record<string, string>, info?: { localAddress: string }) =>
      app(new Request('http://127.0.0.1:3000/mcp', { method: 'POST', headers, body: '{}' }), info);
    expect((await call({})).status).toBe(200);
    expect((await call({ origin: 'http://localhost:6274' })).status).toBe(200);
    expect((await call({ origin: 'https://evil.example' })).status).toBe(403);
    const rebinding = new Request('http://rebind.evil.example:3000/mcp', {
      method: 'POST',
      headers: { origin: 'http://rebind.evil.example:3000' },
      body: '{}',
    });
    expect((await app(rebinding, { localAddress: '127.0.0.1' })).status).toBe(403);
  });
});

describe('allowedOrigins as configured', () => {
  it('a value that is not an origin fails at start-up with the path that names it', async () => {
    await expect(
      createMcpAuth(
        parseServerConfig({
          inboundAuthentication: { type: 'None' },
          outboundAuthentication: { type: 'ManagedIdentity' },
        }),
        { logger: quiet, allowedOrigins: ['https://ok.example', 'not an origin'] },
      ),
    ).rejects.toMatchObject({
      code: 'config_invalid',
      message: expect.stringContaining('allowedOrigins[1]'),
    });
  });
});
