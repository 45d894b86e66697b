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
  EntraEmulator,
  loadOrCreateCertificateAuthority,
  POSTGRES_AAD_AUDIENCE,
  startTokenGatedPostgres,
} from '@mcp-auth-kit/testing';
import { fuzzFacade } from './facade.mjs';
import { faultsUnderLoad } from './faults.mjs';
import { fuzzEntraFront } from './front.mjs';
import { fuzzHostileInput } from './fuzz.mjs';
import { runHostileQueries } from './hostile.mjs';
import { callTool, tally } from './http.mjs';
import { printSummary, secretsScan } from './summary.mjs';

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

const query = (server, token) =>
  callToolLogged(server, token, 'postgres_database_query', {
    server: 'local',
    database: 'demo',
    query: 'SELECT current_user AS u',
  });
const callToolLogged = (server, token, name, args) => callTool(server, token, name, args, { logs });
const healthy = async (server) =>
  (await fetch(`${server.url}/health`).catch(() => undefined))?.status === 200;

// ---- faults under load (faults.mjs) ---------------------------------------------------------
await faultsUnderLoad({
  emulator,
  db,
  obo,
  api,
  azureAd,
  start,
  query,
  tokenFor,
  users,
  newcomers,
  results,
  progress,
  healthy,
});

// ---- hostile input (fuzz.mjs) --------------------------------------------------------------
const refusedHostileUser = await fuzzHostileInput({
  obo,
  db,
  users,
  tokenFor,
  results,
  logs,
  progress,
  healthy,
});
// ---- hostile input against the authorization-server façade (facade.mjs) --------------------
await fuzzFacade({ emulator, start, results, logs, progress, healthy, logger });
await fuzzEntraFront({ emulator, start, results, logs, progress, healthy, logger });
const roleMismatches = () => db.gate.refusals.filter((r) => r.reason === 'role_mismatch').length;

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

// ---- secrets in the logs, then the summary ---------------------------------------------------
results.push(secretsScan(logs, { clientSecret, issuedTokens }));
const exitCode = printSummary(results, { crashes, mismatches, refusedHostileUser, started, logs, print });
process.exit(exitCode);
