// Profiles the example server under `ping` load (not part of `pnpm bench`): the server runs with
// --cpu-prof, once authenticated and once anonymous, so the two profiles can be compared frame by
// frame. usage: node bench/profile-e2e.mjs <v1|v2|v2-legacy|stateful> <outDir> [seconds]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { EntraEmulator } from '@mcp-auth-kit/testing';
import autocannon from 'autocannon';

const [mode = 'v1', outDir = join(tmpdir(), 'mcp-auth-kit-prof'), seconds = '8'] = process.argv.slice(2);
const cli = fileURLToPath(new URL('../examples/server/dist/cli.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'bench-prof-'));
const emulator = await EntraEmulator.start();
const app = emulator.registerApp();
const user = emulator.addUser({ userPrincipalName: 'load@contoso.com' });
const token = await emulator.mintUserToken({
  user,
  audience: app.clientId,
  scopes: ['mcp.tools'],
  lifetimeSeconds: 7200,
});
const configs = {
  auth: {
    inboundAuthentication: {
      type: 'JwtBearerScheme',
      azureAd: { instance: emulator.instance, tenantId: emulator.tenantId, clientId: app.clientId },
    },
    outboundAuthentication: { type: 'Default' },
  },
  anon: { inboundAuthentication: { type: 'None' }, outboundAuthentication: { type: 'Default' } },
};
const modern = mode === 'v2';
const body = modern
  ? JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'server/discover',
      params: {
        _meta: {
          'io.modelcontextprotocol/protocolVersion': '2026-07-28',
          'io.modelcontextprotocol/clientInfo': { name: 'bench', version: '1' },
          'io.modelcontextprotocol/clientCapabilities': {},
        },
      },
    })
  : JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });
for (const which of ['auth', 'anon']) {
  const path = join(dir, `${which}.json`);
  writeFileSync(path, JSON.stringify(configs[which]));
  const child = spawn(
    process.execPath,
    [
      '--cpu-prof',
      `--cpu-prof-dir=${join(outDir, which)}`,
      cli,
      'start',
      '--config',
      path,
      '--port',
      '0',
      '--json',
      '--sdk',
      mode === 'v1' ? 'v1' : 'v2',
      ...(mode === 'stateful' ? ['--stateful'] : []),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [line] = await once(createInterface({ input: child.stdout }), 'line');
  const { mcpUrl } = JSON.parse(line);
  const headers = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    ...(which === 'auth' ? { authorization: `Bearer ${token}` } : {}),
    ...(modern ? { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'server/discover' } : {}),
    ...(mode === 'v2-legacy' ? { 'mcp-protocol-version': '2025-06-18' } : {}),
  };
  if (mode === 'stateful') {
    const init = await fetch(mcpUrl, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'bench', version: '1' },
        },
      }),
    });
    headers['mcp-session-id'] = init.headers.get('mcp-session-id');
    headers['mcp-protocol-version'] = '2025-06-18';
    await init.text();
  }
  const result = await autocannon({
    url: mcpUrl,
    method: 'POST',
    headers,
    body,
    connections: 10,
    duration: Number(seconds),
  });
  console.log(which, 'calls', result.requests.total, 'non2xx', result.non2xx);
  child.kill('SIGTERM');
  await once(child, 'exit');
}
await emulator.stop();
process.exit(0);
