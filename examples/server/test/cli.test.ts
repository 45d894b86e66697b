import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cli-test-'));
const seed = fileURLToPath(
  new URL('../../../packages/auth-core/test/fixtures/appsettings.obo.json', import.meta.url),
);

function run(args: string[]): { child: ChildProcess; stdout: () => string; stderr: () => string } {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    err += d;
  });
  return { child, stdout: () => out, stderr: () => err };
}

async function firstLine(child: ChildProcess): Promise<string> {
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return line;
}

describe('mcp-auth-example --help', () => {
  it('each command prints the usage with --help (or -h) and exits 0; an unknown command still fails', async () => {
    for (const args of [['dev', '--help'], ['start', '--help'], ['doctor', '-h'], ['--help']]) {
      const { child, stdout } = run(args);
      const [code] = await once(child, 'exit');
      expect(code, args.join(' ')).toBe(0);
      expect(stdout()).toContain('Usage:');
    }
    const { child } = run(['bogus', '--help']);
    expect((await once(child, 'exit'))[0]).toBe(2);
  });
});

describe('mcp-auth-example start', () => {
  it('exits non-zero with the ConfigError listing for a bad config file', async () => {
    const path = join(dir, 'bad.json');
    writeFileSync(
      path,
      JSON.stringify({
        inboundAuthentication: {
          type: 'JwtBearerScheme',
          azureAd: { instance: 'https://login.microsoftonline.com/', tenantID: 'x' },
        },
        outboundAuthentication: {
          type: 'JwtObo',
          clientCredential: { kind: 'ClientSecret', secret: 'hunter2-secret' },
        },
      }),
    );
    const { child, stderr } = run(['start', '--config', path]);
    const [code] = await once(child, 'exit');
    expect(code).toBe(2);
    expect(stderr()).toContain('Invalid configuration in bad.json');
    expect(stderr()).toContain(
      'inboundAuthentication.azureAd.tenantID: unknown key (did you mean "tenantId"?)',
    );
    expect(stderr()).not.toContain('hunter2-secret');
  });

  it('refuses plain HTTP and unauthenticated inbound on a non-loopback host without the flags', async () => {
    const path = join(dir, 'none.json');
    writeFileSync(
      path,
      JSON.stringify({
        inboundAuthentication: { type: 'None' },
        outboundAuthentication: { type: 'ManagedIdentity' },
      }),
    );
    const { child, stderr } = run(['start', '--config', path, '--host', '0.0.0.0', '--port', '0']);
    const [code] = await once(child, 'exit');
    expect(code).toBe(2);
    expect(stderr()).toContain('--enable-insecure-transports');
    expect(stderr()).toContain('--dangerously-allow-unauthenticated-remote');
  });

  it('starts with a source-document appsettings.json, prints one JSON line, serves /health, and exits 0 on SIGTERM', async () => {
    const { child } = run(['start', '--config', seed, '--port', '0', '--json']);
    const line = await firstLine(child);
    const { mcpUrl } = JSON.parse(line) as { mcpUrl: string };
    expect(mcpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    const health = await fetch(mcpUrl.replace('/mcp', '/health'));
    expect(await health.json()).toEqual({ status: 'ok' });
    const challenge = (await fetch(mcpUrl, { method: 'POST' })).headers.get('www-authenticate');
    expect(challenge).toContain('resource_metadata=');
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });
});

describe('mcp-auth-example dev', () => {
  it('prints the MCP URL and tokens for alice and bob as one JSON line, serves them, and stops cleanly', async () => {
    const { child } = run(['dev', '--json', '--port', '0']);
    const { mcpUrl, tokens, authority, clientId, caFile, azure, signIn } = JSON.parse(
      await firstLine(child),
    ) as {
      signIn: string;
      mcpUrl: string;
      tokens: { alice: string; bob: string };
      authority: string;
      clientId: string;
      caFile: string;
      azure: { subscriptionId: string; resourceGroup: string; server: string };
    };
    expect(readFileSync(caFile, 'utf8')).toContain('BEGIN CERTIFICATE');
    expect(signIn).toBe('entra-front');
    // sign in as a client would, from nothing: 401 → metadata → discovery → authorize → token
    const challenge = (await fetch(mcpUrl, { method: 'POST' })).headers.get('www-authenticate') ?? '';
    const metadataUrl = /resource_metadata="([^"]+)"/.exec(challenge)![1]!;
    const metadata = (await (await fetch(metadataUrl)).json()) as {
      resource: string;
      scopes_supported: string[];
      authorization_servers: string[];
    };
    expect(metadata.resource).toBe(mcpUrl);
    expect(metadata.scopes_supported).toEqual([`${mcpUrl}/mcp.tools`]);
    expect(challenge).toContain(`scope="${mcpUrl}/mcp.tools"`);
    // the server's Entra front: on its own origin, handing the client to the emulated Entra ID
    const origin = new URL(mcpUrl).origin;
    expect(metadata.authorization_servers).toEqual([origin]);
    const as = (await (await fetch(`${origin}/.well-known/oauth-authorization-server`)).json()) as {
      issuer: string;
      authorization_endpoint: string;
      token_endpoint: string;
      code_challenge_methods_supported: string[];
    };
    expect(as.issuer).toBe(origin);
    expect(as.code_challenge_methods_supported).toEqual(['S256']);
    const verifier = randomBytes(32).toString('base64url');
    const redirectUri = 'http://localhost:61234/oauth/callback';
    const authorize = new URL(as.authorization_endpoint);
    // as real clients do: no scope anywhere
    for (const [k, v] of Object.entries({
      client_id: clientId,
      response_type: 'code',
      redirect_uri: redirectUri,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      state: 's1',
      resource: metadata.resource,
      login_hint: 'alice@contoso.com',
    }))
      authorize.searchParams.set(k, v);
    const toEntra = new URL((await fetch(authorize, { redirect: 'manual' })).headers.get('location')!);
    expect(toEntra.href.startsWith(authority)).toBe(true);
    const back = new URL((await fetch(toEntra, { redirect: 'manual' })).headers.get('location')!);
    expect(back.searchParams.get('state')).toBe('s1');
    const tokenResponse = (await (
      await fetch(as.token_endpoint, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          client_id: clientId,
          code: back.searchParams.get('code')!,
          redirect_uri: redirectUri,
          code_verifier: verifier,
          resource: metadata.resource,
        }),
      })
    ).json()) as { access_token: string };
    const signedIn = new Client({ name: 'cli-test', version: '0' });
    await signedIn.connect(
      new StreamableHTTPClientTransport(new URL(mcpUrl), {
        requestInit: { headers: { authorization: `Bearer ${tokenResponse.access_token}` } },
      }),
    );
    const mine = (await signedIn.callTool({
      name: 'postgres_database_query',
      arguments: {
        server: 'local',
        database: 'demo',
        query: 'SELECT current_user AS u, count(*) AS n FROM alice_notes',
      },
    })) as unknown as { structuredContent: { rows: unknown[] } };
    expect(mine.structuredContent.rows).toEqual([['alice@contoso.com', '1']]);
    await signedIn.close();
    const client = new Client({ name: 'cli-test', version: '0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(mcpUrl), {
        requestInit: { headers: { authorization: `Bearer ${tokens.bob}` } },
      }),
    );
    const result = (await client.callTool({
      name: 'postgres_database_query',
      arguments: { server: 'local', database: 'demo', query: 'SELECT current_user AS u' },
    })) as unknown as { structuredContent: { rows: unknown[] } };
    expect(result.structuredContent.rows).toEqual([['bob@contoso.com']]);
    await client.close();
    // the sample data shows what the schema tools can tell a model (alice can read the sales schema)
    const asAlice = new Client({ name: 'cli-test', version: '0' });
    await asAlice.connect(
      new StreamableHTTPClientTransport(new URL(mcpUrl), {
        requestInit: { headers: { authorization: `Bearer ${tokens.alice}` } },
      }),
    );
    const overview = (await asAlice.callTool({
      name: 'postgres_database_overview',
      arguments: { server: 'local', database: 'demo' },
    })) as unknown as { content: Array<{ text: string }> };
    const text = overview.content[0]!.text;
    expect(text).toContain('schema sales:');
    expect(text).toMatch(/invoice \(table, ~5000 rows\)/);
    expect(text).toContain('revenue_by_country (materialized view');
    expect(text).toContain('REFERENCES sales.customer(id)');
    // the emulated subscription: alice finds the dev server through ARM and queries it by that name
    const found = (await asAlice.callTool({
      name: 'postgres_list',
      arguments: { subscription: azure.subscriptionId, resourceGroup: azure.resourceGroup },
    })) as unknown as { structuredContent: { servers: Array<{ name: string }> } };
    expect(found.structuredContent.servers.map((s) => s.name)).toEqual([azure.server]);
    const viaArm = (await asAlice.callTool({
      name: 'postgres_database_query',
      arguments: { server: azure.server, database: 'demo', query: 'SELECT current_user AS u' },
    })) as unknown as { structuredContent: { rows: unknown[] } };
    expect(viaArm.structuredContent.rows).toEqual([['alice@contoso.com']]);
    await asAlice.close();
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  }, 60_000);

  it('dev --oauth-proxy: the façade in front of the emulator, the same JSON fields, clients register themselves', async () => {
    const { child, stderr } = run(['dev', '--oauth-proxy', '--json', '--port', '0']);
    const info = JSON.parse(await firstLine(child)) as Record<string, unknown> & { mcpUrl: string };
    // no warning a user cannot act on (the SDK's about the JSON response mode the server chose)
    expect(stderr()).not.toContain('responseMode');
    // the façade's 401 names the scope to ask for, as plain dev mode's does
    const challenge = (await fetch(info.mcpUrl, { method: 'POST' })).headers.get('www-authenticate') ?? '';
    expect(challenge).toContain(`scope="${info.mcpUrl}/mcp.tools"`);
    expect(Object.keys(info)).toEqual(
      expect.arrayContaining(['mcpUrl', 'tokens', 'authority', 'clientId', 'caFile', 'azure']),
    );
    expect(info.signIn).toBe('oauth-proxy');
    const origin = new URL(info.mcpUrl).origin;
    const prm = (await (await fetch(`${origin}/.well-known/oauth-protected-resource/mcp`)).json()) as {
      authorization_servers: string[];
    };
    expect(prm.authorization_servers).toEqual([origin]);
    const as = (await (await fetch(`${origin}/.well-known/oauth-authorization-server`)).json()) as {
      registration_endpoint: string;
    };
    const registered = await fetch(as.registration_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'Inspector',
        redirect_uris: ['http://localhost:6274/oauth/callback'],
        token_endpoint_auth_method: 'none',
      }),
    });
    expect(registered.status).toBe(201);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });
});
