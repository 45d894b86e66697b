// Bad input that used to get a 500: a JSON body nested 100,000 levels deep, on the 2025 path (the
// kit reads the body for the tool policy) and the 2026-07-28 one; answered 400, and the server
// keeps serving.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { facadeSetup } from './facade.js';
import { startWorld, type World } from './world.js';

let world: World;
beforeAll(async () => {
  world = await startWorld();
}, 120_000);
afterAll(async () => {
  await world?.stop();
});

describe('bad input gets a clear 4xx, never a 500', () => {
  it('a JSON body nested 100,000 levels deep: 400 on every protocol revision, and the next call is served', async () => {
    const server = await world.server({
      inboundAuthentication: { type: 'JwtBearerScheme', azureAd: world.azureAd() },
      outboundAuthentication: { type: 'ManagedIdentity' },
    });
    const token = await world.token(world.alice);
    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(server.mcpUrl, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...headers,
        },
        body,
      });
    const deepArray = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const deepObject = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
    const deepArguments = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami","arguments":${deepObject},"_meta":{}}}`;
    for (const [body, headers] of [
      [deepArray, {}],
      [deepObject, {}],
      [deepArguments, { 'mcp-protocol-version': '2025-11-25' }],
      [deepArray, { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list' }],
      [
        deepArguments,
        { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'whoami' },
      ],
    ] as const) {
      const res = await post(body, headers);
      expect(res.status, `${body.slice(0, 40)} ${JSON.stringify(headers)}`).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(await res.json()).toMatchObject({ jsonrpc: '2.0', error: { code: expect.any(Number) } });
    }
    const client = await world.clientV2(server.mcpUrl, token);
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
  });

  it('a method a web Request cannot carry (TRACE) on the authorization server’s paths: 405, and the server keeps serving (it crashed)', async () => {
    const { issuer } = await facadeSetup(world);
    const { port } = new URL(issuer);
    const raw = (method: string, path: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, method, path }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    for (const method of ['TRACE', 'PUT', 'DELETE', 'OPTIONS']) {
      expect(await raw(method, '/oauth/token'), method).toBe(405);
    }
    expect(await raw('TRACE', '/.well-known/oauth-authorization-server')).toBe(405);
    expect((await fetch(`${issuer}/.well-known/oauth-authorization-server`)).status).toBe(200);
  });
});
