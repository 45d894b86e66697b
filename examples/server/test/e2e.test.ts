import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PG_AUDIENCE, query, startWorld, textOf, type World } from './world.js';

let world: World;
beforeAll(async () => {
  world = await startWorld();
}, 120_000);
afterAll(async () => {
  await world?.stop();
});

const rpc = (id: number, method: string, params: Record<string, unknown> = {}) =>
  JSON.stringify({ jsonrpc: '2.0', id, method, params });
const post = (url: string, body: string, token?: string, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
  });

describe('JwtObo with a client secret', () => {
  it('answers 401 without a token, with a challenge pointing at metadata that resolves', async () => {
    const server = await world.server({
      inboundAuthentication: { type: 'JwtBearerScheme', azureAd: world.azureAd() },
      outboundAuthentication: {
        type: 'JwtObo',
        clientCredential: { kind: 'ClientSecret', secret: world.apiSecret },
      },
    });
    const res = await post(server.mcpUrl, rpc(1, 'tools/list'));
    expect(res.status).toBe(401);
    const challenge = res.headers.get('www-authenticate')!;
    expect(challenge).not.toContain('error=');
    const metadataUrl = /resource_metadata="([^"]+)"/.exec(challenge)![1]!;
    const metadata = (await (await fetch(metadataUrl)).json()) as {
      resource: string;
      authorization_servers: string[];
    };
    expect(metadata.resource).toBe(server.mcpUrl);
    expect(metadata.authorization_servers).toEqual([
      `${world.emulator.instance}${world.emulator.tenantId}/v2.0`,
    ]);
    const discovery = await fetch(`${metadata.authorization_servers[0]}/.well-known/openid-configuration`);
    expect(discovery.status).toBe(200);
  });

  it('runs each user as themselves: bob cannot read alice’s table; whoami shows the outbound identity', async () => {
    const server = await world.server({
      inboundAuthentication: { type: 'JwtBearerScheme', azureAd: world.azureAd() },
      outboundAuthentication: {
        type: 'JwtObo',
        clientCredential: { kind: 'ClientSecret', secret: world.apiSecret },
      },
    });
    const alice = await world.client(server.mcpUrl, await world.token(world.alice));
    const bob = await world.client(server.mcpUrl, await world.token(world.bob));
    expect(
      (await query(alice, 'SELECT current_user AS u, note FROM alice_notes')).structuredContent?.rows,
    ).toEqual([['alice@contoso.com', 'only alice']]);
    const refused = await query(bob, 'SELECT note FROM alice_notes');
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toContain('permission denied');
    expect(
      (await query(bob, 'SELECT current_user AS u FROM orders LIMIT 1')).structuredContent?.rows,
    ).toEqual([['bob@contoso.com']]);
    const who = (await alice.callTool({ name: 'whoami', arguments: {} })) as unknown as {
      structuredContent: {
        caller: { userPrincipalName: string; scopes: string[] };
        outbound: { type: string; identity: string };
      };
    };
    expect(who.structuredContent.caller).toMatchObject({
      userPrincipalName: 'alice@contoso.com',
      scopes: ['mcp.tools'],
    });
    expect(who.structuredContent.outbound).toEqual({
      type: 'JwtObo',
      identity: `alice@contoso.com via On-Behalf-Of (app ${world.api.clientId})`,
    });
  });

  it('stays up through every kind of error', async () => {
    const server = await world.server({
      inboundAuthentication: { type: 'JwtBearerScheme', azureAd: world.azureAd() },
      outboundAuthentication: {
        type: 'JwtObo',
        clientCredential: { kind: 'ClientSecret', secret: world.apiSecret },
      },
    });
    const token = await world.token(world.alice);
    const statuses = [
      (await post(server.mcpUrl, '{not json', token)).status,
      (await post(server.mcpUrl, 'x'.repeat(5 * 1024 * 1024), token)).status,
      (await post(server.mcpUrl, rpc(1, 'no/such/method'), token)).status,
      (
        await post(
          server.mcpUrl,
          rpc(2, 'tools/call', { name: 'postgres_database_query', arguments: { server: 'local' } }),
          token,
        )
      ).status,
      (await post(server.mcpUrl, rpc(3, 'tools/call', { name: 'nope', arguments: {} }), token)).status,
      (await post(server.mcpUrl, rpc(4, 'tools/call'), 'garbage.token.value')).status,
      (await fetch(`${server.url}/nope`)).status,
    ];
    expect(statuses).not.toContain(500);
    expect(statuses.slice(0, 2)).toEqual([400, 413]);
    expect(statuses.at(-2)).toBe(401);
    const client = await world.client(server.mcpUrl, token);
    await query(client, 'SELECT pg_sleep(0) FROM alice_notes; DROP TABLE orders');
    world.emulator.setFault('token', { kind: 'down' });
    const carol = world.emulator.addUser({ userPrincipalName: 'carol@contoso.com' });
    const carolClient = await world.client(server.mcpUrl, await world.token(carol));
    const down = await query(carolClient, 'SELECT 1');
    world.emulator.clearFaults();
    expect(down.isError).toBe(true);
    expect(textOf(down)).toContain('try again');
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect((await query(client, 'SELECT 1 AS ok')).structuredContent?.rows).toEqual([[1]]);
  });

  it('answers 403 insufficient_scope for a tool whose policy the caller lacks', async () => {
    const server = await world.server({
      inboundAuthentication: { type: 'JwtBearerScheme', azureAd: world.azureAd() },
      outboundAuthentication: {
        type: 'JwtObo',
        clientCredential: { kind: 'ClientSecret', secret: world.apiSecret },
      },
      mcpServer: { toolPolicy: { postgres_server_config_get: { roles: ['Mcp.Admin'] } } },
    });
    const body = rpc(1, 'tools/call', { name: 'postgres_server_config_get', arguments: { server: 'local' } });
    const denied = await post(server.mcpUrl, body, await world.token(world.bob));
    expect(denied.status).toBe(403);
    expect(denied.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    // a role cannot be requested, so the 403 names no scope (the description names the role)
    expect(denied.headers.get('www-authenticate')).not.toContain('scope=');
    expect(denied.headers.get('www-authenticate')).toContain('Mcp.Admin');
    const admin = await world.client(
      server.mcpUrl,
      await world.token(world.alice, world.api, { roles: ['Mcp.Admin'] }),
    );
    const allowed = (await admin.callTool({
      name: 'postgres_server_config_get',
      arguments: { server: 'local' },
    })) as { isError?: boolean };
    expect(allowed.isError).toBeFalsy();
  });

  it('binds a stateful session to its caller: another caller cannot use it', async () => {
    const server = await world.server(
      {
        inboundAuthentication: { type: 'JwtBearerScheme', azureAd: world.azureAd() },
        outboundAuthentication: {
          type: 'JwtObo',
          clientCredential: { kind: 'ClientSecret', secret: world.apiSecret },
        },
      },
      { stateful: true },
    );
    const aliceToken = await world.token(world.alice);
    const init = await post(
      server.mcpUrl,
      rpc(1, 'initialize', {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 'x', version: '1' },
      }),
      aliceToken,
    );
    const sessionId = init.headers.get('mcp-session-id')!;
    expect(sessionId).toBeTruthy();
    await init.text();
    const stolen = await post(server.mcpUrl, rpc(2, 'tools/list'), await world.token(world.bob), {
      'mcp-session-id': sessionId,
      'mcp-protocol-version': '2025-06-18',
    });
    expect(stolen.status).toBe(404);
    const own = await world.client(server.mcpUrl, aliceToken);
    expect((await query(own, 'SELECT current_user AS u')).structuredContent?.rows).toEqual([
      ['alice@contoso.com'],
    ]);
  });
});

describe('both SDK generations', () => {
  const config = () => ({
    inboundAuthentication: { type: 'JwtBearerScheme', azureAd: world.azureAd() },
    outboundAuthentication: {
      type: 'JwtObo',
      clientCredential: { kind: 'ClientSecret', secret: world.apiSecret },
    },
  });

  it('the default (SDK v2) server answers the v2 client on 2026-07-28 and the v1 client on 2025-11-25, as the caller', async () => {
    const server = await world.server(config());
    const seen = new Set<string>();
    const original = globalThis.fetch;
    // record the protocol revision each request names (the clients use the global fetch)
    globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
      const version = new Headers(init?.headers).get('mcp-protocol-version');
      if (version) seen.add(version);
      return original(input, init);
    }) as typeof fetch;
    try {
      const v2 = await world.clientV2(server.mcpUrl, await world.token(world.alice));
      expect((await query(v2, 'SELECT current_user AS u')).structuredContent?.rows).toEqual([
        ['alice@contoso.com'],
      ]);
      expect([...seen]).toEqual(['2026-07-28']);
      seen.clear();
      const v1 = await world.client(server.mcpUrl, await world.token(world.bob));
      expect((await query(v1, 'SELECT current_user AS u')).structuredContent?.rows).toEqual([
        ['bob@contoso.com'],
      ]);
      expect([...seen].every((v) => v.startsWith('2025-'))).toBe(true);
      const who = (await v2.callTool({ name: 'whoami', arguments: {} })) as unknown as {
        structuredContent: { caller: { userPrincipalName: string } };
      };
      expect(who.structuredContent.caller.userPrincipalName).toBe('alice@contoso.com');
    } finally {
      globalThis.fetch = original;
    }
  });

  it('runs on SDK v1 when asked (sdk: "v1"), with the same tools and answers', async () => {
    const server = await world.server(config(), { sdk: 'v1' });
    const v1 = await world.client(server.mcpUrl, await world.token(world.alice));
    const { tools } = await v1.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([
      'postgres_database_overview',
      'postgres_database_query',
      'postgres_list',
      'postgres_query_explain',
      'postgres_server_config_get',
      'postgres_server_param_get',
      'postgres_table_schema_get',
      'whoami',
    ]);
    expect((await query(v1, 'SELECT current_user AS u')).structuredContent?.rows).toEqual([
      ['alice@contoso.com'],
    ]);
  });
});

describe('stateful sessions are bounded', () => {
  it("closes a caller's oldest session past their cap, and sessions left idle", async () => {
    const server = await world.server(
      {
        inboundAuthentication: { type: 'JwtBearerScheme', azureAd: world.azureAd() },
        outboundAuthentication: {
          type: 'JwtObo',
          clientCredential: { kind: 'ClientSecret', secret: world.apiSecret },
        },
      },
      { stateful: true, sessions: { maxPerCaller: 2, idleMs: 1500 } },
    );
    const token = await world.token(world.alice);
    const open = async () => {
      const init = await post(
        server.mcpUrl,
        rpc(1, 'initialize', {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'x', version: '1' },
        }),
        token,
      );
      await init.text();
      return init.headers.get('mcp-session-id')!;
    };
    const list = async (sessionId: string) => {
      const res = await post(server.mcpUrl, rpc(2, 'tools/list'), token, {
        'mcp-session-id': sessionId,
        'mcp-protocol-version': '2025-06-18',
      });
      await res.text();
      return res.status;
    };
    const first = await open();
    const second = await open();
    expect(await list(first)).toBe(200);
    const third = await open();
    // the cap is 2: opening a third closed alice's least recently used one (second)
    expect(await list(second)).toBe(404);
    expect(await list(first)).toBe(200);
    expect(await list(third)).toBe(200);
    // bob's sessions do not count against alice's
    const bobToken = await world.token(world.bob);
    const bobInit = await post(
      server.mcpUrl,
      rpc(1, 'initialize', {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 'b', version: '1' },
      }),
      bobToken,
    );
    await bobInit.text();
    expect(await list(first)).toBe(200);
    await new Promise((r) => setTimeout(r, 1700));
    expect(await list(first)).toBe(404);
    expect(await list(third)).toBe(404);
  });
});

describe('JwtObo with a certificate', () => {
  it('queries as the caller', async () => {
    const server = await world.server({
      inboundAuthentication: { type: 'JwtBearerScheme', azureAd: world.azureAd(world.certApp) },
      outboundAuthentication: {
        type: 'JwtObo',
        clientCredential: { kind: 'CertificateFile', certificatePath: world.certPath },
      },
    });
    const alice = await world.client(server.mcpUrl, await world.token(world.alice, world.certApp));
    expect((await query(alice, 'SELECT current_user AS u')).structuredContent?.rows).toEqual([
      ['alice@contoso.com'],
    ]);
  });
});

describe('JwtPassthrough', () => {
  it('passes a token issued for the database to the database, and refuses one issued for the server', async () => {
    const server = await world.server({
      inboundAuthentication: {
        type: 'JwtBearerScheme',
        azureAd: {
          instance: world.emulator.instance,
          tenantId: world.emulator.tenantId,
          audience: PG_AUDIENCE,
        },
      },
      outboundAuthentication: { type: 'JwtPassthrough' },
    });
    const dbToken = await world.emulator.mintUserToken({
      user: world.alice,
      audience: PG_AUDIENCE,
      version: '1.0',
      scopes: ['user_impersonation'],
    });
    const alice = await world.client(server.mcpUrl, dbToken);
    expect((await query(alice, 'SELECT current_user AS u')).structuredContent?.rows).toEqual([
      ['alice@contoso.com'],
    ]);

    const appServer = await world.server({
      inboundAuthentication: { type: 'JwtBearerScheme', azureAd: world.azureAd() },
      outboundAuthentication: { type: 'JwtPassthrough' },
    });
    const client = await world.client(appServer.mcpUrl, await world.token(world.alice));
    const refused = await query(client, 'SELECT 1');
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toContain('JwtObo');
  });
});
