// The reliability and security suite: it attacks the assembled example server (in this process,
// real loopback sockets) the way production will, and prints a summary table. Exits non-zero on
// any crash, HTTP 500, lost call, leaked secret or identity crossing. Every loop is bounded in
// count and time and targets only loopback.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AzureLogger, setLogLevel } from '@azure/logger';
import { parseExampleConfig, startExampleServer } from '@mcp-auth-kit/example-server';
import {
  createSelfSignedCertificate,
  EntraEmulator,
  loadOrCreateCertificateAuthority,
  POSTGRES_AAD_AUDIENCE,
  startTokenGatedPostgres,
} from '@mcp-auth-kit/testing';
import fc from 'fast-check';
import { runHostileQueries } from './hostile.mjs';
import { parseMcpResponse } from './mcpResponse.mjs';

// Node reads NODE_EXTRA_CA_CERTS at start-up: run again trusting the emulator's CA.
if (!process.env.MCP_AUTH_KIT_RELIABILITY_CHILD) {
  const caDir = process.env.MCP_AUTH_KIT_CA_DIR ?? join(tmpdir(), 'mcp-auth-kit-ca');
  const ca = await loadOrCreateCertificateAuthority(caDir);
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: {
      ...process.env,
      NODE_EXTRA_CA_CERTS: ca.certificatePath,
      MCP_AUTH_KIT_CA_DIR: caDir,
      MCP_AUTH_KIT_RELIABILITY_CHILD: '1',
    },
  });
  process.exit(child.status ?? 1);
}

// ---- capture every log line at the most verbose level --------------------------------------
const logs = [];
const print = console.log.bind(console);
for (const method of ['log', 'info', 'warn', 'error', 'debug']) {
  console[method] = (...args) => logs.push(args.map(String).join(' '));
}
setLogLevel('verbose');
AzureLogger.log = (...args) => logs.push(args.map(String).join(' '));
const logger = { info: (m) => logs.push(`info ${m}`), warn: (m) => logs.push(`warn ${m}`) };
const progress = (m) =>
  process.stderr.write(`reliability: ${m} (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
const started = Date.now();
// Bounded in time whatever happens: a hang is a failure, not a stuck CI run.
setTimeout(() => {
  print('reliability: the suite did not finish within 10 minutes\n0 passed, 1 failed');
  process.exit(1);
}, 10 * 60_000).unref();
let crashes = 0;
process.on('uncaughtException', (e) => {
  crashes++;
  logs.push(`uncaught ${e?.name}`);
  process.stderr.write(
    `reliability: uncaught exception: ${e?.name}: ${e?.code ?? ''} ${String(e?.stack ?? '')
      .split('\n')
      .slice(0, 4)
      .join(' | ')}\n`,
  );
});
process.on('unhandledRejection', (e) => {
  crashes++;
  logs.push(`unhandled ${e?.name}`);
  process.stderr.write(
    `reliability: unhandled rejection: ${e?.name}: ${e?.code ?? ''} ${String(e?.stack ?? '')
      .split('\n')
      .slice(0, 4)
      .join(' | ')}\n`,
  );
});

const USERS = 50;
const results = [];
progress('starting');
const emulator = await EntraEmulator.start();
const db = await startTokenGatedPostgres(emulator);
const clientSecret = `rel-${randomBytes(18).toString('base64url')}`;
const api = emulator.registerApp({ secret: clientSecret });
const users = [];
await db.admin('CREATE DATABASE demo');
let roles = '';
for (let i = 0; i < USERS; i++) {
  users.push(emulator.addUser({ userPrincipalName: `u${i}@contoso.com` }));
  roles += `CREATE ROLE "u${i}@contoso.com" LOGIN; `;
}
// Callers who first appear after a fault: each fault's recovery check includes one, so a failure
// state shared between callers (rather than kept per caller) cannot pass for recovery.
const newcomers = [];
for (let i = 0; i < 10; i++) {
  newcomers.push(emulator.addUser({ userPrincipalName: `new${i}@contoso.com` }));
  roles += `CREATE ROLE "new${i}@contoso.com" LOGIN; `;
}
await db.admin(roles);
await db.admin(
  `CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1); REVOKE ALL ON SCHEMA public FROM PUBLIC;
   ${[...users, ...newcomers].map((u) => `GRANT USAGE ON SCHEMA public TO "${u.userPrincipalName}"; GRANT SELECT ON t TO "${u.userPrincipalName}";`).join(' ')}`,
  'demo',
);
const pgServers = { local: { host: db.gate.host, port: db.gate.port } };
const azureAd = { instance: emulator.instance, tenantId: emulator.tenantId, clientId: api.clientId };
const inboundOptions = { jwks: { cooldownMs: 1000 } };
const start = (config, extra = {}) =>
  startExampleServer({
    config: parseExampleConfig({ ...config, mcpServer: { postgresServers: pgServers } }),
    port: 0,
    logger,
    msalLogLevel: 'verbose',
    inboundOptions,
    shutdownGraceMs: 2000,
    ...extra,
  });
const obo = await start({
  inboundAuthentication: { type: 'JwtBearerScheme', azureAd },
  outboundAuthentication: {
    type: 'JwtObo',
    clientCredential: { kind: 'ClientSecret', secret: clientSecret },
  },
});
const passthrough = await start({
  inboundAuthentication: {
    type: 'JwtBearerScheme',
    azureAd: { instance: emulator.instance, tenantId: emulator.tenantId, audience: POSTGRES_AAD_AUDIENCE },
  },
  outboundAuthentication: { type: 'JwtPassthrough' },
});
const issuedTokens = new Set();
const tokenFor = async (user, audience = api.clientId, extra = {}) => {
  const token = await emulator.mintUserToken({
    user,
    audience,
    scopes: ['mcp.tools'],
    version: audience === POSTGRES_AAD_AUDIENCE ? '1.0' : '2.0',
    ...extra,
  });
  issuedTokens.add(token);
  return token;
};

// ---- one tool call over HTTP, classified ----------------------------------------------------
async function callTool(server, token, name, args, timeoutMs = 30_000) {
  const t0 = Date.now();
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'tools/call',
    params: { name, arguments: args },
  });
  try {
    const res = await fetch(server.mcpUrl, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    const json = parseMcpResponse(text);
    return { status: res.status, json, text };
  } catch (error) {
    logs.push(`lost call after ${Date.now() - t0} ms: ${error?.name} ${error?.cause?.code ?? ''}`);
    process.stderr.write(
      `reliability: a call got no answer after ${Date.now() - t0} ms: ${error?.name} ${error?.cause?.code ?? ''}\n`,
    );
    return { status: 0, error: String(error?.name ?? error) };
  }
}
const query = (server, token) =>
  callTool(server, token, 'postgres_database_query', {
    server: 'local',
    database: 'demo',
    query: 'SELECT current_user AS u',
  });
const healthy = async (server) =>
  (await fetch(`${server.url}/health`).catch(() => undefined))?.status === 200;

function tally(responses) {
  const t = { calls: responses.length, ok: 0, toolErrors: 0, http: {}, http5xx: 0, lost: 0, samples: [] };
  for (const r of responses) {
    if (r.status === 0) t.lost++;
    else if (r.status >= 500 && r.status !== 503) t.http5xx++;
    if (r.status === 200 && r.json?.result && !r.json.result.isError) t.ok++;
    else if (r.status === 200) {
      t.toolErrors++;
      const text = String(r.json?.result?.content?.[0]?.text ?? r.json?.error?.message ?? '')
        .replace(/\s+/g, ' ')
        .slice(0, 90);
      if (t.samples.length < 4 && !t.samples.includes(text)) t.samples.push(text);
    }
    if (r.status !== 200) t.http[r.status] = (t.http[r.status] ?? 0) + 1;
  }
  return t;
}

// ---- faults under load ----------------------------------------------------------------------
let newcomerIndex = 0;
async function underLoad(name, server, { apply, clear, faultMs = 1500, freshTokenShare = 0.5 }) {
  progress(`fault: ${name}`);
  const responses = [];
  let stop = false;
  const workers = Array.from({ length: 6 }, async (_, w) => {
    let i = 0;
    while (!stop) {
      const user = users[(w * 7 + i++) % USERS];
      const token =
        Math.random() < freshTokenShare
          ? await tokenFor(user, api.clientId, { claims: { uti: randomBytes(6).toString('hex') } })
          : await cachedToken(user);
      responses.push(await query(server, token));
    }
  });
  await new Promise((r) => setTimeout(r, 500));
  await apply();
  await new Promise((r) => setTimeout(r, faultMs));
  await clear();
  await new Promise((r) => setTimeout(r, 500));
  stop = true;
  await Promise.all(workers);
  // recovered without restart: the next calls all succeed, for known callers and for a caller
  // never seen before
  const newcomer = newcomers[newcomerIndex++ % newcomers.length];
  let recovered = false;
  for (let attempt = 0; attempt < 120 && !recovered; attempt++) {
    const after = await Promise.all(
      [...users.slice(0, 5), newcomer].map(async (u) => query(server, await tokenFor(u))),
    );
    recovered = after.every((r) => r.status === 200 && r.json?.result && !r.json.result.isError);
    if (!recovered) await new Promise((r) => setTimeout(r, 250));
  }
  const t = tally(responses);
  progress(`fault: ${name}: recovered=${recovered}`);
  results.push({ scenario: `fault: ${name}`, ...t, up: await healthy(server), recovered, crossings: 0 });
}
const tokenCache = new Map();
async function cachedToken(user) {
  if (!tokenCache.has(user.objectId)) tokenCache.set(user.objectId, await tokenFor(user));
  return tokenCache.get(user.objectId);
}

await underLoad('identity provider down', obo, {
  apply: () => emulator.setFault('token', { kind: 'down' }),
  clear: () => emulator.clearFaults(),
});
await underLoad('identity provider slow (1.5 s)', obo, {
  apply: () => emulator.setFault('token', { kind: 'slow', delayMs: 1500 }),
  clear: () => emulator.clearFaults(),
  faultMs: 3000,
});
await underLoad('identity provider 5xx', obo, {
  apply: () => emulator.setFault('token', { kind: 'status', status: 503 }),
  clear: () => emulator.clearFaults(),
});
await underLoad('JWKS rotates keys', obo, {
  apply: () => {
    emulator.rotateKeys();
    tokenCache.clear();
  },
  clear: () => {},
});
await underLoad('PostgreSQL restarted', obo, {
  apply: async () => {
    const t0 = Date.now();
    await db.postgres.restart();
    progress(`PostgreSQL is back after ${Date.now() - t0} ms`);
  },
  clear: () => {},
  freshTokenShare: 0.1,
});

// Key Vault down at start-up: the server starts, On-Behalf-Of fails clearly, then works without a restart.
{
  progress('fault: Key Vault down at start-up');
  const cert = createSelfSignedCertificate();
  const certApp = emulator.registerApp({ certificatePem: cert.certificatePem });
  emulator.setCertificate('obo-cert', cert, { format: 'pkcs12' });
  Object.assign(process.env, emulator.appServiceEnvironment());
  emulator.setFault('keyVault', { kind: 'down' });
  const kvServer = await start({
    inboundAuthentication: { type: 'JwtBearerScheme', azureAd: { ...azureAd, clientId: certApp.clientId } },
    outboundAuthentication: {
      type: 'JwtObo',
      clientCredential: {
        kind: 'CertificateKeyVault',
        keyVaultUrl: emulator.keyVaultUrl,
        certificateName: 'obo-cert',
      },
    },
  });
  const responses = [];
  const user = users[0];
  const token = await tokenFor(user, certApp.clientId);
  for (let i = 0; i < 5; i++) responses.push(await query(kvServer, token));
  const whileDown = tally(responses);
  emulator.clearFaults();
  let recovered = false;
  for (let i = 0; i < 40 && !recovered; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 250));
    const r = await query(kvServer, token);
    responses.push(r);
    recovered =
      r.status === 200 && r.json?.result?.structuredContent?.rows?.[0]?.[0] === user.userPrincipalName;
  }
  results.push({
    scenario: 'fault: Key Vault down at start-up',
    ...tally(responses),
    up: await healthy(kvServer),
    recovered,
    crossings: 0,
    note: `${whileDown.toolErrors} tool errors while down`,
  });
  await kvServer.close();
}

// ---- hostile input --------------------------------------------------------------------------
async function fuzz(name, arbitrary, send, numRuns) {
  progress(`hostile: ${name}`);
  const responses = [];
  await fc
    .assert(
      fc.asyncProperty(arbitrary, async (value) => {
        const r = await send(value);
        responses.push(r);
        return r.status !== 500 && r.status !== 0;
      }),
      { numRuns },
    )
    .catch((error) => logs.push(`fuzz ${name} counterexample: ${String(error).slice(0, 300)}`));
  results.push({
    scenario: `hostile: ${name}`,
    ...tally(responses),
    up: await healthy(obo),
    recovered: true,
    crossings: 0,
  });
}
const goodToken = await tokenFor(users[1]);
const rawPost = async (body, headers = {}) => {
  try {
    const res = await fetch(obo.mcpUrl, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...headers,
      },
      signal: AbortSignal.timeout(10_000),
    });
    await res.arrayBuffer();
    return { status: res.status };
  } catch (error) {
    // fetch refuses some header values before sending anything: not a server failure
    if (error?.name === 'TypeError' && !String(error?.cause ?? '').includes('ECONN')) return { status: -1 };
    return { status: 0 };
  }
};
await fuzz(
  'Authorization header',
  fc.oneof(
    fc.string({ maxLength: 400 }),
    fc
      .tuple(fc.constantFrom('Bearer ', 'bearer ', 'Basic ', 'Bearer  '), fc.string({ maxLength: 600 }))
      .map(([a, b]) => a + b),
  ),
  (h) => rawPost(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }), { authorization: h }),
  300,
);
const rpcBody = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.json({ maxDepth: 3 }),
  fc
    .record(
      {
        jsonrpc: fc.constantFrom('2.0', '1.0', 2),
        id: fc.oneof(fc.integer(), fc.string(), fc.constant(null)),
        method: fc.oneof(
          fc.string(),
          fc.constantFrom('tools/call', 'tools/list', 'initialize', 'resources/list'),
        ),
        params: fc.jsonValue({ maxDepth: 3 }),
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
);
await fuzz('MCP JSON-RPC body', rpcBody, (b) => rawPost(b, { authorization: `Bearer ${goodToken}` }), 300);
const tools = [
  'postgres_list',
  'postgres_table_schema_get',
  'postgres_database_query',
  'postgres_server_param_get',
  'postgres_server_config_get',
  'whoami',
];
const toolArgs = fc.record({
  name: fc.constantFrom(...tools),
  args: fc.oneof(
    fc.dictionary(
      fc.constantFrom('server', 'database', 'schema', 'table', 'query', 'param', 'user', 'extra'),
      fc.oneof(
        fc.string({ maxLength: 80 }),
        fc.integer(),
        fc.constant(null),
        fc.constantFrom(
          'local',
          'demo',
          't',
          'public',
          'SELECT 1',
          "'; DROP TABLE t; --",
          '../../etc/passwd',
          'x'.repeat(300),
        ),
      ),
      { maxKeys: 6 },
    ),
    fc.jsonValue({ maxDepth: 2 }),
  ),
});
// The fuzzer may pass a "user" argument (the login role) that is not the caller: the database
// must refuse those logins (role mismatch), which is the defence working, not a crossing.
const roleMismatches = () => db.gate.refusals.filter((r) => r.reason === 'role_mismatch').length;
const mismatchesBeforeToolFuzz = roleMismatches();
await fuzz('tool arguments', toolArgs, ({ name, args }) => callTool(obo, goodToken, name, args, 10_000), 300);
const refusedHostileUser = roleMismatches() - mismatchesBeforeToolFuzz;
const tTableIntact = await db.admin('SELECT count(*)::int AS n FROM t', 'demo');
if (tTableIntact.rows[0].n !== 1)
  results.push({
    scenario: 'hostile: data intact',
    calls: 1,
    ok: 0,
    toolErrors: 1,
    http5xx: 0,
    lost: 0,
    up: true,
    recovered: false,
    crossings: 1,
  });

// ---- identity isolation ---------------------------------------------------------------------
async function isolation(name, server, audience, callsPerUser) {
  progress(`isolation: ${name}`);
  const tokens = await Promise.all(users.map((u) => tokenFor(u, audience)));
  const jobs = [];
  for (let c = 0; c < callsPerUser; c++) for (let u = 0; u < USERS; u++) jobs.push(u);
  for (let i = jobs.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [jobs[i], jobs[j]] = [jobs[j], jobs[i]];
  }
  const responses = [];
  let crossings = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let u = jobs.pop(); u !== undefined; u = jobs.pop()) {
        const r = await query(server, tokens[u]);
        responses.push(r);
        const who = r.json?.result?.structuredContent?.rows?.[0]?.[0];
        if (who !== undefined && who !== users[u].userPrincipalName) crossings++;
      }
    }),
  );
  results.push({
    scenario: `isolation: ${name}`,
    ...tally(responses),
    up: await healthy(server),
    recovered: true,
    crossings,
  });
}
await isolation('JwtObo, 50 users', obo, api.clientId, 50);
await isolation('JwtPassthrough, 50 users', passthrough, POSTGRES_AAD_AUDIENCE, 50);
// every login the database admitted was for the user the token named (the gate checks; none refused for a mismatch)
const mismatches = roleMismatches() - refusedHostileUser;

progress('closing');
await obo.close();
progress('closing: JwtObo server closed');
await passthrough.close();
progress('closing: passthrough server closed');

// (after the in-process servers closed: the database sessions counted are the child server's only)
// ---- hostile queries under load (the server in its own process, 1 GiB heap) -----------------
{
  progress('hostile queries under load');
  const h = await runHostileQueries({
    emulator,
    gate: db.gate,
    admin: db.admin,
    api,
    clientSecret,
    hostile: users.slice(40, 50),
    regular: users.slice(0, 4),
    tokenFor: (u) => tokenFor(u),
    log: progress,
  });
  const mib = (n) => n.toFixed(0);
  const limits = [];
  if (h.rssRiseMiB >= 150) limits.push(`RSS rose ${mib(h.rssRiseMiB)} MiB (limit 150)`);
  if (h.others.errors > 0)
    limits.push(`${h.others.errors} calls of other users failed (${h.others.samples.join('; ')})`);
  if (h.sessions.maxActivePerCaller > 2)
    limits.push(`${h.sessions.maxActivePerCaller} sessions running for one caller (limit 2)`);
  if (h.backendsLeftRunning > 0) limits.push(`${h.backendsLeftRunning} backends still running afterwards`);
  if (!h.lockFree) limits.push('an advisory lock outlived its call');
  progress(`hostile: ${JSON.stringify(h)}`);
  results.push({
    scenario: 'hostile queries under load (10 hostile callers, 4 others)',
    calls: h.hostile.calls + h.others.calls,
    ok: h.others.ok,
    toolErrors: 0,
    http5xx: h.hostile.http5xx,
    lost: h.hostile.lost + h.others.lost,
    up: h.up,
    recovered: limits.length === 0,
    crossings: 0,
    note: `server RSS ${mib(h.rssBeforeMiB)} → peak ${mib(h.rssPeakMiB)} → ${mib(h.rssAfterMiB)} MiB (rise ${mib(h.rssRiseMiB)} MiB); database sessions per hostile caller ≤ ${h.sessions.maxPerCaller} (running ≤ ${h.sessions.maxActivePerCaller}); other users: ${h.others.calls} calls, ${h.others.lost} lost, ${h.others.errors} failed${limits.length ? `; FAILED: ${limits.join('; ')}` : ''}`,
  });
}

await db.stop();
await emulator.stop();
progress('closed');

// ---- secrets in the logs --------------------------------------------------------------------
const text = logs.join('\n');
const leaks = [];
if (/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/.test(text)) leaks.push('a JWT');
if (text.includes(clientSecret)) leaks.push('the client secret');
if (/PRIVATE KEY/.test(text)) leaks.push('a private key');
for (const token of issuedTokens) {
  if (text.includes(token.split('.')[2])) {
    leaks.push('an issued token signature');
    break;
  }
}
results.push({
  scenario: `secrets: ${logs.length} log lines at verbose level`,
  calls: 0,
  ok: 0,
  toolErrors: 0,
  http5xx: 0,
  lost: 0,
  up: true,
  recovered: true,
  crossings: 0,
  leaks: leaks.length,
  note: leaks.join(', '),
});

// ---- summary --------------------------------------------------------------------------------
const rows = results.map((r) => ({ ...r, leaks: r.leaks ?? 0 }));
const totalCalls = rows.reduce((n, r) => n + r.calls, 0);
print(
  '\n| scenario | calls | ok | errors seen by callers | HTTP 5xx (not 503) | lost | crashes | leaks | crossings | server up | recovered |',
);
print('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  const examples = (r.samples ?? []).map((x) => `"${x.replace(/\|/g, '/')}"`).join('; ');
  const seen =
    [
      r.toolErrors ? `${r.toolErrors} tool errors${examples ? ` (e.g. ${examples})` : ''}` : '',
      ...Object.entries(r.http ?? {}).map(([s, n]) => `${n}×${s}`),
      r.note ?? '',
    ]
      .filter(Boolean)
      .join(', ') || 'none';
  print(
    `| ${r.scenario} | ${r.calls} | ${r.ok} | ${seen} | ${r.http5xx} | ${r.lost} | 0 | ${r.leaks} | ${r.crossings} | ${r.up ? 'yes' : 'NO'} | ${r.recovered ? 'yes' : 'NO'} |`,
  );
}
const failed = rows.filter(
  (r) => r.http5xx > 0 || r.lost > 0 || r.leaks > 0 || r.crossings > 0 || !r.up || !r.recovered,
);
print(
  `\ncrashes (uncaught exceptions / unhandled rejections): ${crashes}; database logins refused for a role mismatch: ${mismatches} (besides ${refusedHostileUser} refused, as they should be, for a hostile "user" argument)`,
);
print(`reliability: ${totalCalls} calls in ${((Date.now() - started) / 1000).toFixed(0)} s`);
const passed = rows.length - failed.length;
print(`${passed} passed, ${failed.length + (crashes > 0 ? 1 : 0)} failed`);
if (failed.length > 0 || crashes > 0 || mismatches > 0) {
  for (const f of failed) print(`FAILED: ${f.scenario}`);
  for (const line of logs.filter((l) => l.startsWith('fuzz ')).slice(0, 5)) print(line);
  process.exit(1);
}
process.exit(0);
