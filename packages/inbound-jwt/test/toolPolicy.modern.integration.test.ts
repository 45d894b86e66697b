// The per-tool policy in front of a real SDK v2 server (createMcpHandler): 2026-07-28 requests are
// decided from Mcp-Method / Mcp-Name without reading the body; a body that disagrees with them is
// refused; 2025 requests keep body inspection. A refused call is 403 insufficient_scope naming the
// tool's scopes.
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createAuthMiddleware,
  createToolPolicyMiddleware,
  decodeMcpNameHeader,
  JwtBearerInboundSetup,
} from '@mcp-auth-kit/inbound-jwt';
import { EntraEmulator } from '@mcp-auth-kit/testing';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { APP_ID, azureAdFor } from './helpers.js';

let emulator: EntraEmulator;
let server: Server;
let url: string;
let toolsRun: string[];

beforeAll(async () => {
  emulator = await EntraEmulator.start();
  const azureAd = azureAdFor(emulator);
  const auth = createAuthMiddleware(new JwtBearerInboundSetup(azureAd), { propagateContext: false });
  const policy = createToolPolicyMiddleware({ admin_tool: { scopes: ['mcp.admin'] } });
  toolsRun = [];
  const handler = toNodeHandler(
    createMcpHandler(() => {
      const mcp = new McpServer({ name: 'policy', version: '0.0.0' });
      for (const name of ['admin_tool', 'open_tool']) {
        mcp.registerTool(name, { description: name, inputSchema: z.object({}) }, async () => {
          toolsRun.push(name);
          return { content: [{ type: 'text', text: `${name} ran` }] };
        });
      }
      return mcp;
    }),
  );
  server = createServer((req, res) =>
    auth(req, res, () => policy(req, res, () => void handler(req, res, (req as { body?: unknown }).body))),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  await emulator?.stop();
});

const token = (scopes: string[]) =>
  emulator.mintUserToken({
    user: emulator.addUser({ userPrincipalName: `p-${Math.random().toString(36).slice(2)}@contoso.com` }),
    audience: APP_ID,
    scopes,
  });

const modernCall = (name: string) => ({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: {
    name,
    arguments: {},
    _meta: {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
      'io.modelcontextprotocol/clientCapabilities': {},
    },
  },
});

async function post(body: unknown, headers: Record<string, string>) {
  const res = await fetch(url, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

describe('2026-07-28 requests', () => {
  it('the real v2 client calls an open tool, and is refused the scoped one with 403 naming its scope', async () => {
    const client = new Client({ name: 'v2', version: '0.0.0' }, { versionNegotiation: { mode: 'auto' } });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(url), {
        requestInit: { headers: { authorization: `Bearer ${await token(['mcp.tools'])}` } },
      }),
    );
    const ok = (await client.callTool({ name: 'open_tool', arguments: {} })) as {
      content: Array<{ text: string }>;
    };
    expect(ok.content[0]?.text).toBe('open_tool ran');
    await expect(client.callTool({ name: 'admin_tool', arguments: {} })).rejects.toThrow();
    expect(toolsRun).not.toContain('admin_tool');
    await client.close();
  });

  it('decides from the headers without reading the body: the refusal comes before the body is sent', async () => {
    const auth = `Bearer ${await token(['mcp.tools'])}`;
    const { port } = server.address() as AddressInfo;
    const answer = await new Promise<{ status: number; challenge: string | undefined }>((resolve, reject) => {
      const req = httpRequest({
        host: '127.0.0.1',
        port,
        path: '/mcp',
        method: 'POST',
        headers: {
          authorization: auth,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': '2026-07-28',
          'mcp-method': 'tools/call',
          'mcp-name': 'admin_tool',
          'content-length': '100000',
        },
      });
      req.on('response', (res) => {
        res.resume();
        resolve({
          status: res.statusCode ?? 0,
          challenge: res.headers['www-authenticate'] as string | undefined,
        });
        req.destroy();
      });
      req.on('error', reject);
      req.flushHeaders(); // the headers only: not one byte of the promised body is ever sent
    });
    expect(answer.status).toBe(403);
    expect(answer.challenge).toContain('error="insufficient_scope"');
    // as the client must request it from Entra ID: under the resource URL (the Application ID URI)
    expect(answer.challenge).toMatch(/scope="http:\/\/[^"]+\/mcp\/mcp\.admin"/);
  });

  it('accepts Mcp-Name in its Base64 form', async () => {
    expect(decodeMcpNameHeader(`=?base64?${Buffer.from('admin_tool').toString('base64')}?=`)).toBe(
      'admin_tool',
    );
    expect(decodeMcpNameHeader('=?base64?not base64?=')).toBe('=?base64?not base64?=');
    expect(decodeMcpNameHeader('=?base64?YWJj=?=')).toBeNull();
    const r = await post(modernCall('admin_tool'), {
      authorization: `Bearer ${await token(['mcp.tools'])}`,
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': `=?base64?${Buffer.from('admin_tool').toString('base64')}?=`,
    });
    expect(r.status).toBe(403);
  });

  it('refuses a body that disagrees with the headers the decision was made from', async () => {
    const before = toolsRun.length;
    const r = await post(modernCall('admin_tool'), {
      authorization: `Bearer ${await token(['mcp.tools'])}`,
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': 'open_tool',
    });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text).error.code).toBe(-32020);
    expect(toolsRun.length).toBe(before);
  });

  it('refuses a 2026-07-28 request without Mcp-Method, or a tools/call without Mcp-Name', async () => {
    const auth = `Bearer ${await token(['mcp.tools'])}`;
    const noMethod = await post(modernCall('open_tool'), {
      authorization: auth,
      'mcp-protocol-version': '2026-07-28',
    });
    expect(noMethod.status).toBe(400);
    expect(JSON.parse(noMethod.text).error.code).toBe(-32020);
    const noName = await post(modernCall('open_tool'), {
      authorization: auth,
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
    });
    expect(noName.status).toBe(400);
  });

  it('serves the scoped tool to a caller who has the scope', async () => {
    const r = await post(modernCall('admin_tool'), {
      authorization: `Bearer ${await token(['mcp.tools', 'mcp.admin'])}`,
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': 'admin_tool',
    });
    expect(r.status).toBe(200);
    expect(r.text).toContain('admin_tool ran');
  });
});

describe('2025 requests keep body inspection', () => {
  it('refuses the scoped tool from the body, whatever routing headers claim', async () => {
    const auth = `Bearer ${await token(['mcp.tools'])}`;
    const legacy = {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'admin_tool', arguments: {} },
    };
    const claims: Array<Record<string, string>> = [
      {},
      { 'mcp-method': 'tools/call', 'mcp-name': 'open_tool' },
    ];
    for (const extra of claims) {
      const r = await post(legacy, { authorization: auth, 'mcp-protocol-version': '2025-06-18', ...extra });
      expect(r.status).toBe(403);
      expect(r.headers.get('www-authenticate')).toMatch(/scope="http:\/\/[^"]+\/mcp\.admin"/);
    }
    // a legacy body under a modern version header is refused by the SDK, never run
    const before = toolsRun.length;
    const smuggled = await post(legacy, {
      authorization: auth,
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'tools/call',
      'mcp-name': 'open_tool',
    });
    expect(smuggled.status).toBeGreaterThanOrEqual(400);
    expect(toolsRun.length).toBe(before);
  });
});
