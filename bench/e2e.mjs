// 2. End to end: what authentication costs the server. `ping` (2025 requests) or `server/discover`
// (2026-07-28, which has no ping): answers that do not depend on the caller, so no tool output is
// counted, on the example server with JwtBearerScheme vs inbound
// None, on each serving path: SDK v2 stateless with a 2026-07-28 request, SDK v2 stateless with a
// 2025 request (its legacy fallback), SDK v1 stateless, and SDK v2 stateful. The headline is the
// server process's CPU per call (from /proc), throughput beside it. The server runs in its own
// process (the CLI), the load comes from this process with autocannon over loopback.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { EntraEmulator } from '@mcp-auth-kit/testing';
import autocannon from 'autocannon';
import { report, smoke } from './lib.mjs';

const cli = fileURLToPath(new URL('../examples/server/dist/cli.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'bench-e2e-'));
const emulator = await EntraEmulator.start();
const app = emulator.registerApp();
const user = emulator.addUser({ userPrincipalName: 'load@contoso.com' });
const token = await emulator.mintUserToken({
  user,
  audience: app.clientId,
  scopes: ['mcp.tools'],
  lifetimeSeconds: 7200,
});
const duration = smoke ? 1 : 5;
const repeats = smoke ? 1 : 7;

const configs = {
  JwtBearerScheme: {
    inboundAuthentication: {
      type: 'JwtBearerScheme',
      azureAd: { instance: emulator.instance, tenantId: emulator.tenantId, clientId: app.clientId },
    },
    outboundAuthentication: { type: 'Default' },
  },
  None: { inboundAuthentication: { type: 'None' }, outboundAuthentication: { type: 'Default' } },
};

// On Linux with two cores or more, the servers run on core 1 and this process (the load) on core
// 0: the server's CPU per call is then not inflated by contention with the load generator.
const pin = existsSync('/usr/bin/taskset') && availableParallelism() >= 2;
if (pin) execFileSync('/usr/bin/taskset', ['-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });

// `BENCH_PROFILE_DIR=… node bench/e2e.mjs` runs each server with --cpu-prof (one profile per
// mode and inbound type, written when the server stops), to see where a call's time goes.
const profileDir = process.env.BENCH_PROFILE_DIR;

async function startServer(inbound, { stateful, sdk, mode }) {
  const path = join(dir, `${inbound}.json`);
  writeFileSync(path, JSON.stringify(configs[inbound]));
  const child = spawn(
    pin ? '/usr/bin/taskset' : process.execPath,
    [
      ...(pin ? ['-c', '1', process.execPath] : []),
      ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, `${mode}-${inbound}`)}`] : []),
      cli,
      'start',
      '--config',
      path,
      '--port',
      '0',
      '--json',
      '--sdk',
      sdk,
      ...(stateful ? ['--stateful'] : []),
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const [line] = await once(createInterface({ input: child.stdout }), 'line');
  return { child, mcpUrl: JSON.parse(line).mcpUrl };
}

// CPU time (user + system) the server process has used, in µs, from /proc (Linux); undefined elsewhere.
// The load generator shares the machine's cores, so server CPU per call isolates what the server
// itself spends on a call from the contention that throughput also reflects.
function serverCpuMicros(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * (1_000_000 / 100);
  } catch {
    return undefined;
  }
}

const headers = (auth) => ({
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  ...(auth ? { authorization: `Bearer ${token}` } : {}),
});

async function openSession(mcpUrl, auth) {
  const init = await fetch(mcpUrl, {
    method: 'POST',
    headers: headers(auth),
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
  const sessionId = init.headers.get('mcp-session-id');
  await init.text();
  await (
    await fetch(mcpUrl, {
      method: 'POST',
      headers: { ...headers(auth), 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' },
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    })
  ).text();
  return sessionId;
}

const legacyBody = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });
// 2026-07-28: the per-request envelope in _meta and the routing header (no session, no initialize)
const modernBody = JSON.stringify({
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
});
const modernHeaders = { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'server/discover' };
const modes = {
  'stateless-v2': { sdk: 'v2', stateful: false, body: modernBody, headers: modernHeaders },
  'stateless-v2-legacy': {
    sdk: 'v2',
    stateful: false,
    body: legacyBody,
    headers: { 'mcp-protocol-version': '2025-06-18' },
  },
  'stateless-v1': { sdk: 'v1', stateful: false, body: legacyBody, headers: {} },
  stateful: { sdk: 'v2', stateful: true, body: legacyBody, headers: {} },
};
// `BENCH_E2E_MODES=stateful,stateless-v1` runs only those (for a profile of one transport)
const only = process.env.BENCH_E2E_MODES?.split(',');
const results = {};
for (const [mode, { sdk, stateful, body, headers: modeHeaders }] of Object.entries(modes)) {
  if (only && !only.includes(mode)) continue;
  // Both servers run side by side and the runs alternate (authenticated, anonymous, …), so that
  // noise from the shared cores falls on both alike.
  const servers = {};
  for (const inbound of ['JwtBearerScheme', 'None']) {
    const { child, mcpUrl } = await startServer(inbound, { stateful, sdk, mode });
    const auth = inbound === 'JwtBearerScheme';
    const extra = stateful
      ? { 'mcp-session-id': await openSession(mcpUrl, auth), 'mcp-protocol-version': '2025-06-18' }
      : modeHeaders;
    servers[inbound] = { child, mcpUrl, auth, extra, runs: [] };
  }
  // The anonymous server once more, sent the authenticated request's bytes (the Authorization
  // header included, which it ignores): what the kit's own work costs, apart from the header's
  // bytes on the wire and in the HTTP parser.
  servers['None+header'] = { ...servers.None, auth: true, runs: [] };
  // one unmeasured run each first: the JIT and the caches warm, as in a server that has been up a while
  if (!smoke) {
    for (const { mcpUrl, auth, extra } of Object.values(servers)) {
      await autocannon({
        url: mcpUrl,
        method: 'POST',
        headers: { ...headers(auth), ...extra },
        body,
        connections: 10,
        duration: 2,
      });
    }
  }
  for (let r = 0; r < repeats; r++) {
    for (const { child, mcpUrl, auth, extra, runs } of Object.values(servers)) {
      const cpuBefore = serverCpuMicros(child.pid);
      const result = await autocannon({
        url: mcpUrl,
        method: 'POST',
        headers: { ...headers(auth), ...extra },
        body,
        connections: 10,
        duration,
      });
      const cpuAfter = serverCpuMicros(child.pid);
      runs.push({
        serverCpuMicrosPerCall:
          cpuBefore === undefined || cpuAfter === undefined || result.requests.total === 0
            ? undefined
            : (cpuAfter - cpuBefore) / result.requests.total,
        rps: result.requests.average,
        p50: result.latency.p50,
        p99: result.latency.p99,
        non2xx: result.non2xx,
        errors: result.errors,
      });
    }
  }
  for (const [inbound, { runs }] of Object.entries(servers)) {
    const cpu = runs
      .map((r) => r.serverCpuMicrosPerCall)
      .filter((v) => v !== undefined)
      .sort((a, b) => a - b);
    runs.sort((a, b) => a.rps - b.rps);
    results[`${mode}/${inbound}`] = {
      median: runs[Math.floor(runs.length / 2)],
      serverCpuMicrosPerCall: cpu.length ? cpu[Math.floor(cpu.length / 2)] : undefined,
      min: runs[0].rps,
      max: runs.at(-1).rps,
      repeats,
      duration,
    };
  }
  for (const inbound of ['JwtBearerScheme', 'None']) {
    const { child } = servers[inbound];
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
}
await emulator.stop();
report({ name: 'e2e', results });
process.exit(0);
