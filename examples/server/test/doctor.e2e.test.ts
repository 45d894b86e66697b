// `doctor` against the emulator and the token-gated PostgreSQL: a healthy deployment passes every
// check; each fault fails its own check with the cause and the fix, and nothing secret is printed.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type EmulatedManagedIdentity, freePort } from '@mcp-auth-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CheckResult, checkCoherence, formatReport, networkCause, runDoctor } from '../src/doctor.js';
import { startWorld, type World } from './world.js';

let world: World;
const dir = mkdtempSync(join(tmpdir(), 'doctor-'));
beforeAll(async () => {
  world = await startWorld();
  Object.assign(process.env, world.emulator.appServiceEnvironment());
}, 120_000);
afterAll(async () => {
  await world?.stop();
});

let n = 0;
function configFile(config: Record<string, unknown>): string {
  const path = join(dir, `appsettings-${++n}.json`);
  writeFileSync(path, JSON.stringify(config));
  return path;
}
const obo = (overrides: Record<string, unknown> = {}, azureAd: Record<string, unknown> = {}) => ({
  inboundAuthentication: { type: 'JwtBearerScheme', azureAd: { ...world.azureAd(), ...azureAd } },
  outboundAuthentication: {
    type: 'JwtObo',
    clientCredential: { kind: 'ClientSecret', secret: world.apiSecret },
    ...overrides,
  },
  mcpServer: { postgresServers: { local: { host: world.db.gate.host, port: world.db.gate.port } } },
});
const byName = (checks: readonly CheckResult[], prefix: string) =>
  checks.find((c) => c.name.startsWith(prefix))!;

describe('doctor', () => {
  it('passes a healthy JwtObo deployment end to end: discovery, keys, coherence, app credential, On-Behalf-Of, database login', async () => {
    const token = await world.token(world.alice);
    const report = await runDoctor({
      configPath: configFile(obo()),
      resourceUrl: 'https://mcp.contoso.com/mcp',
      token,
    });
    expect(report.checks.map((c) => [c.name, c.status])).toEqual([
      ['configuration', 'pass'],
      ['identity provider (OIDC discovery)', 'pass'],
      ['signing keys', 'pass'],
      ['resource, scopes and audience', 'pass'],
      ['managed identity', 'skip'],
      ['app credential (On-Behalf-Of)', 'pass'],
      ['on-behalf-of exchange', 'pass'],
      ['database login', 'pass'],
    ]);
    expect(report.ok).toBe(true);
    expect(byName(report.checks, 'database login').detail).toContain('as alice@contoso.com');
    const text = formatReport(report);
    expect(text).toContain('all checks passed');
    expect(text).not.toContain(world.apiSecret);
    expect(text).not.toContain(token);
  });

  it('a wrong client secret: the app credential fails with AADSTS7000215 and the fix', async () => {
    const report = await runDoctor({
      configPath: configFile(obo({ clientCredential: { kind: 'ClientSecret', secret: 'not-the-secret' } })),
    });
    expect(report.ok).toBe(false);
    const check = byName(report.checks, 'app credential');
    expect(check.status).toBe('fail');
    expect(check.detail).toContain('AADSTS7000215');
    expect(check.fix).toContain('create a new one');
    expect(formatReport(report)).not.toContain('not-the-secret');
  });

  it('an unknown tenant: discovery fails with HTTP 400 and AADSTS90002 mapped to its fix', async () => {
    const report = await runDoctor({
      configPath: configFile(obo({}, { tenantId: '00000000-0000-0000-0000-00000000dead' })),
    });
    const check = byName(report.checks, 'identity provider');
    expect(check.status).toBe('fail');
    expect(check.detail).toMatch(
      /answered HTTP 400: AADSTS90002: Tenant '00000000-0000-0000-0000-00000000dead' not found/,
    );
    expect(check.fix).toContain('check azureAd.tenantId');
    expect(byName(report.checks, 'signing keys').status).toBe('skip');
  });

  it('the identity provider refuses connections, does not resolve, or closes without answering', async () => {
    const port = await freePort();
    const refused = await runDoctor({
      configPath: configFile(obo({}, { instance: `https://127.0.0.1:${port}/` })),
    });
    expect(byName(refused.checks, 'identity provider').detail).toContain('ECONNREFUSED');
    const dns = await runDoctor({
      configPath: configFile(obo({}, { instance: 'https://login.doctor-test.invalid/' })),
    });
    expect(byName(dns.checks, 'identity provider').detail).toMatch(
      /DNS: login\.doctor-test\.invalid does not resolve/,
    );
    world.emulator.setFault('jwks', { kind: 'status', status: 503 });
    try {
      const keys = await runDoctor({ configPath: configFile(obo()) });
      expect(byName(keys.checks, 'signing keys')).toMatchObject({
        status: 'fail',
        detail: expect.stringContaining('HTTP 503'),
      });
    } finally {
      world.emulator.setFault('jwks', undefined);
    }
  });

  it('a Key Vault certificate that is not there fails the app credential with the cause', async () => {
    const report = await runDoctor({
      configPath: configFile(
        obo({
          clientCredential: {
            kind: 'CertificateKeyVault',
            keyVaultUrl: world.emulator.keyVaultUrl,
            certificateName: 'gone',
          },
        }),
      ),
    });
    const check = byName(report.checks, 'app credential');
    expect(check.status).toBe('fail');
    expect(check.detail).toContain('Key Vault certificate gone was not found');
    expect(byName(report.checks, 'managed identity').status).toBe('pass'); // it reads the vault
  });

  it('a federated credential (ManagedIdentityAssertion): accepted when the app trusts this identity, AADSTS70021 and the fix when not', async () => {
    const federated = (identity: EmulatedManagedIdentity) => {
      const app = world.emulator.registerApp({ federatedManagedIdentity: identity });
      return configFile({
        inboundAuthentication: { type: 'JwtBearerScheme', azureAd: world.azureAd(app) },
        outboundAuthentication: { type: 'JwtObo', clientCredential: { kind: 'ManagedIdentityAssertion' } },
      });
    };
    const trusted = await runDoctor({ configPath: federated(world.emulator.systemAssignedIdentity) });
    expect(byName(trusted.checks, 'app credential')).toMatchObject({ status: 'pass' });
    const stranger = world.emulator.addUserAssignedIdentity('not-the-one');
    const refused = await runDoctor({ configPath: federated(stranger) });
    const check = byName(refused.checks, 'app credential');
    expect(check.status).toBe('fail');
    expect(check.detail).toContain('AADSTS70021');
    expect(check.fix).toContain(
      'add one (issuer, the identity as subject, audience api://AzureADTokenExchange)',
    );
  });

  it('a managed identity deployment: the endpoint is asked; a dead endpoint fails with where it looked', async () => {
    const config = configFile({
      inboundAuthentication: { type: 'JwtBearerScheme', azureAd: world.azureAd() },
      outboundAuthentication: { type: 'ManagedIdentity' },
    });
    const good = await runDoctor({ configPath: config });
    expect(byName(good.checks, 'managed identity')).toMatchObject({ status: 'pass' });
    expect(good.ok).toBe(true);
    // another identity (@azure/identity keeps tokens per identity in the process)
    const other = world.emulator.addUserAssignedIdentity('doctor-identity');
    const otherConfig = configFile({
      inboundAuthentication: { type: 'JwtBearerScheme', azureAd: world.azureAd() },
      outboundAuthentication: { type: 'ManagedIdentity', clientId: other.clientId },
    });
    world.emulator.setFault('managedIdentity', { kind: 'status', status: 500 });
    try {
      const bad = await runDoctor({ configPath: otherConfig });
      const check = byName(bad.checks, 'managed identity');
      expect(check.status).toBe('fail');
      expect(check.detail).toContain(`user-assigned ${other.clientId} via App Service endpoint`);
      expect(bad.ok).toBe(false);
    } finally {
      world.emulator.setFault('managedIdentity', undefined);
    }
  });

  it('a user without a database role: On-Behalf-Of passes, the login fails with the role to create', async () => {
    const carol = world.emulator.addUser({ userPrincipalName: 'carol@contoso.com' });
    const report = await runDoctor({ configPath: configFile(obo()), token: await world.token(carol) });
    expect(byName(report.checks, 'on-behalf-of exchange').status).toBe('pass');
    const login = byName(report.checks, 'database login');
    expect(login.status).toBe('fail');
    expect(login.fix).toContain("pgaadauth_create_principal('carol@contoso.com'");
  });

  it('the Entra front: coherent configuration passes and Entra ID accepts the public client; an unregistered redirect URI fails with AADSTS50011, an unknown client with AADSTS700016, an http redirect URI and a missing resource URL before asking', async () => {
    const resourceUrl = 'https://mcp.contoso.com/mcp';
    // the API the front's scopes name (its Application ID URI is the MCP URL)
    world.emulator.registerApp({ identifierUris: [resourceUrl], exposedScopes: ['mcp.tools'] });
    const publicClient = world.emulator.registerApp({
      publicClient: true,
      redirectUris: [
        'http://localhost/oauth/callback',
        'http://127.0.0.1/oauth/callback',
        'http://localhost/callback',
      ],
    });
    const withFront = (entraFront: Record<string, unknown>) =>
      configFile({ ...obo(), mcpServer: { ...obo().mcpServer, entraFront } });
    const good = await runDoctor({
      configPath: withFront({
        publicClient: { clientId: publicClient.clientId, redirectUris: publicClient.redirectUris },
      }),
      resourceUrl,
    });
    expect(byName(good.checks, 'Entra front').status).toBe('pass');
    expect(byName(good.checks, 'Entra front').detail).toContain(
      `${resourceUrl}/mcp.tools offline_access at authorize`,
    );
    expect(byName(good.checks, 'Entra front public client')).toMatchObject({ status: 'pass' });

    // a redirect URI the doctor is told about but Entra ID does not have
    const unregistered = await runDoctor({
      configPath: withFront({
        publicClient: {
          clientId: publicClient.clientId,
          redirectUris: [...publicClient.redirectUris, 'http://localhost/elsewhere'],
        },
      }),
      resourceUrl,
    });
    expect(byName(unregistered.checks, 'Entra front public client')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('AADSTS50011'),
      fix: expect.stringContaining('http://localhost/elsewhere'),
    });
    const unknown = await runDoctor({
      configPath: withFront({
        publicClient: {
          clientId: '00000000-0000-0000-0000-00000000abcd',
          redirectUris: ['http://localhost/callback'],
        },
      }),
      resourceUrl,
    });
    expect(byName(unknown.checks, 'Entra front public client')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('AADSTS700016'),
    });
    const plainHttp = await runDoctor({
      configPath: withFront({
        publicClient: { clientId: publicClient.clientId, redirectUris: ['http://app.example/cb'] },
      }),
      resourceUrl,
    });
    expect(byName(plainHttp.checks, 'Entra front')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('AADSTS50011'),
    });
    const noResource = await runDoctor({ configPath: withFront({}) });
    expect(byName(noResource.checks, 'Entra front')).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('--resource-url'),
    });
    // an Application ID URI that differs from the resource: the front rewrites it, and says so
    const api = await runDoctor({
      configPath: withFront({ applicationIdUri: `api://${world.api.clientId}` }),
      resourceUrl,
    });
    expect(byName(api.checks, 'Entra front').detail).toContain(
      `rewritten to api://${world.api.clientId} (else AADSTS9010010)`,
    );
  });

  it('a bad configuration stops at the first check with every issue', async () => {
    const report = await runDoctor({
      configPath: configFile({
        inboundAuthentication: { type: 'JwtBearerScheme' },
        outboundAuthentication: { type: 'JwtObo' },
      }),
    });
    expect(report.checks).toHaveLength(1);
    expect(report.checks[0]).toMatchObject({ name: 'configuration', status: 'fail' });
    expect(report.checks[0]!.detail).toContain(
      'inboundAuthentication.azureAd: required for type JwtBearerScheme',
    );
  });

  it('the CLI prints one line per check and exits 1 when the CA is not trusted (TLS), 0 when all pass', async () => {
    const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
    const run = async (env: NodeJS.ProcessEnv, args: string[]) => {
      const child = spawn(process.execPath, [cli, 'doctor', ...args], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout!.on('data', (d) => {
        out += d;
      });
      const [code] = await once(child, 'exit');
      return { code, out };
    };
    const path = configFile(obo());
    const { NODE_EXTRA_CA_CERTS: _ca, ...untrusting } = process.env;
    const tls = await run(untrusting, ['--config', path, '--json']);
    expect(tls.code).toBe(1);
    const report = JSON.parse(tls.out) as { ok: boolean; checks: CheckResult[] };
    expect(byName(report.checks, 'identity provider').detail).toMatch(
      /TLS: the certificate of 127\.0\.0\.1:\d+ is not trusted/,
    );
    const ok = await run(process.env, ['--config', path, '--resource-url', 'https://mcp.contoso.com/mcp']);
    expect(ok.code).toBe(0);
    expect(ok.out.split('\n').filter((l) => /^(PASS|SKIP|FAIL) /.test(l))).toHaveLength(8);
    expect(ok.out).toContain('all checks passed');
  });
});

describe('doctor checks on their own', () => {
  const azureAd = {
    instance: 'https://login.microsoftonline.com/',
    tenantId: 't',
    clientId: '11111111-1111-1111-1111-111111111111',
    audience: undefined,
    requiredScopes: ['mcp.tools'],
  } as never;

  it('coherence: https resource, scopes under it, and an audience tokens can carry', () => {
    expect(checkCoherence(azureAd, undefined).status).toBe('skip');
    expect(checkCoherence(azureAd, 'https://mcp.contoso.com/mcp')).toMatchObject({
      status: 'pass',
      detail: expect.stringContaining('clients ask for https://mcp.contoso.com/mcp/mcp.tools'),
    });
    expect(checkCoherence(azureAd, 'http://mcp.contoso.com/mcp')).toMatchObject({ status: 'fail' });
    expect(
      checkCoherence(
        { ...(azureAd as object), requiredScopes: ['api://other/mcp.tools'] } as never,
        'https://mcp.contoso.com/mcp',
      ),
    ).toMatchObject({ status: 'fail', detail: expect.stringContaining('AADSTS9010010') });
    expect(
      checkCoherence(
        { ...(azureAd as object), audience: 'api://something-else' } as never,
        'https://mcp.contoso.com/mcp',
      ),
    ).toMatchObject({ status: 'fail', fix: expect.stringContaining('drop azureAd.audience') });
  });

  it('network causes: DNS, refused, TLS trust, timeout', () => {
    const fetchError = (code: string) => Object.assign(new TypeError('fetch failed'), { cause: { code } });
    expect(networkCause(fetchError('ENOTFOUND'), 'https://x.example/').detail).toMatch(/^DNS/);
    expect(networkCause(fetchError('ECONNREFUSED'), 'https://x.example/').detail).toMatch(/^refused/);
    expect(networkCause(fetchError('SELF_SIGNED_CERT_IN_CHAIN'), 'https://x.example/').detail).toMatch(
      /^TLS/,
    );
    expect(
      networkCause(Object.assign(new Error('t'), { name: 'TimeoutError' }), 'https://x.example/').detail,
    ).toMatch(/no answer from x\.example/);
    // the cause nested deeper (happy eyeballs: an AggregateError of connection errors)
    const nested = new TypeError('fetch failed', {
      cause: new AggregateError(
        [Object.assign(new Error('connect'), { code: 'ECONNREFUSED' })],
        'all failed',
      ),
    });
    expect(networkCause(nested, 'https://x.example:8443/').detail).toBe(
      'refused: nothing listens at x.example:8443 (ECONNREFUSED)',
    );
    // no code at all: the innermost reason, never "TypeError: fetch failed"
    const badPort = new TypeError('fetch failed', { cause: new Error('bad port') });
    expect(networkCause(badPort, 'https://x.example:9/').detail).toBe('x.example:9: bad port');
  });

  it('who may sign in: whether the tenant advertises Client ID Metadata Documents, whether the front passes it on, and which clients the policy admits', async () => {
    const resourceUrl = 'https://mcp.contoso.com/mcp';
    const withServer = (mcpServer: Record<string, unknown>) =>
      configFile({ ...obo(), mcpServer: { ...obo().mcpServer, ...mcpServer } });
    const appId = '11111111-2222-3333-4444-555555555555';
    const documentUrl = 'https://vscode.dev/oauth/client-metadata.json';
    const clients = (report: Awaited<ReturnType<typeof runDoctor>>) => byName(report.checks, 'clients');
    // the tenant without CIMD, a front that claims it: clients would be refused by Entra ID
    const claimed = await runDoctor({
      configPath: withServer({ entraFront: { clientIdMetadataDocuments: true } }),
      resourceUrl,
    });
    expect(clients(claimed)).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('AADSTS700016'),
    });
    world.emulator.cimd.enable();
    try {
      const open = await runDoctor({ configPath: configFile(obo()), resourceUrl });
      expect(clients(open)).toMatchObject({
        status: 'pass',
        detail: expect.stringContaining('the tenant advertises Client ID Metadata Documents'),
      });
      expect(clients(open).detail).toContain('admits every client the tenant admitted');
      const listed = await runDoctor({
        configPath: withServer({
          entraFront: { clientIdMetadataDocuments: true },
          allowedClients: [{ appId, documentUrl, name: 'VS Code' }],
        }),
        resourceUrl,
      });
      expect(clients(listed)).toMatchObject({ status: 'pass' });
      expect(clients(listed).detail).toContain(`admits only VS Code ${appId} (${documentUrl})`);
      const quiet = await runDoctor({ configPath: withServer({ entraFront: {} }), resourceUrl });
      expect(clients(quiet).detail).toContain('the Entra front does not pass it on');
      const bare = await runDoctor({
        configPath: withServer({ allowedClients: [documentUrl] }),
        resourceUrl,
      });
      expect(clients(bare)).toMatchObject({
        status: 'fail',
        detail: expect.stringContaining('mcpServer.allowedClients[0]'),
      });
      expect(clients(bare).detail).toContain('document URL alone cannot be matched');
    } finally {
      world.emulator.cimd.disable();
    }
  });
});
