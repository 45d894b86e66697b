// 8. The query tool side by side with the reference server, @modelcontextprotocol/server-postgres
// 0.6.2 (BEGIN READ ONLY, the query and ROLLBACK as separate round trips; no row or size cap, no
// per-caller login). Both run as stdio servers in their own processes, are called by the same SDK v1
// client over the same transport, and reach the same PostgreSQL through the same token gate (the
// reference with a password role, ours with a token), on the same table. Calls alternate.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  EntraEmulator,
  POSTGRES_AAD_AUDIENCE,
  PostgresTokenGate,
  startTokenGatedPostgres,
} from '@mcp-auth-kit/testing';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { measureAlternating, report, smoke } from './lib.mjs';

// On Linux with two cores or more: the two servers on core 1; this process (the client and the
// token gates) and PostgreSQL, started from it, on core 0. The servers' CPU and latency are then
// not at the mercy of where the scheduler puts the rest.
const pin = existsSync('/usr/bin/taskset') && availableParallelism() >= 2;
if (pin) execFileSync('/usr/bin/taskset', ['-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
const pinned = (command, args) =>
  pin ? ['/usr/bin/taskset', ['-c', '1', command, ...args]] : [command, args];

const emulator = await EntraEmulator.start();
const db = await startTokenGatedPostgres(emulator);
const identity = emulator.systemAssignedIdentity;
await db.admin('CREATE DATABASE demo');
await db.admin(`CREATE ROLE "${identity.name}" LOGIN; CREATE ROLE reference LOGIN`);
await db.admin(
  `CREATE TABLE orders (id int PRIMARY KEY, item text NOT NULL, qty int NOT NULL);
   INSERT INTO orders SELECT g, 'item-' || g, g % 7 FROM generate_series(1, 1000) g;
   GRANT SELECT ON orders TO "${identity.name}", reference;`,
  'demo',
);
// the reference server logs in with a password: a gate of its own that admits it, in front of the same server
const referenceGate = await PostgresTokenGate.start({
  emulator,
  upstream: { socketPath: db.postgres.socketPath },
  passwordRoles: { reference: 'reference-password' },
});
const now = Math.floor(Date.now() / 1000);
const token = await emulator.sign({
  aud: POSTGRES_AAD_AUDIENCE,
  iss: emulator.issuerV1(),
  tid: emulator.tenantId,
  oid: identity.objectId,
  iat: now,
  exp: now + 7200,
  ver: '1.0',
});

const env = { ...process.env };
const pids = new Map();
async function connect(command, args, extraEnv = {}) {
  const client = new Client({ name: 'bench', version: '0' });
  const [file, argv] = pinned(command, args);
  const transport = new StdioClientTransport({
    command: file,
    args: argv,
    env: { ...env, ...extraEnv },
    stderr: 'ignore',
  });
  await client.connect(transport);
  pids.set(client, transport.pid);
  return client;
}
/** CPU time (user + system) a server process has used, in µs, from /proc (Linux). */
function cpuMicros(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}
const referenceEntry = fileURLToPath(
  new URL('../node_modules/@modelcontextprotocol/server-postgres/dist/index.js', import.meta.url),
);
const reference = await connect(process.execPath, [
  ...(process.env.BENCH_PROFILE_DIR
    ? [
        '--cpu-prof',
        `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}/reference`,
        '--import',
        'data:text/javascript,process.on("SIGTERM",()=>process.exit(0));process.stdin.on("end",()=>process.exit(0))',
      ]
    : []),
  referenceEntry,
  `postgresql://reference:reference-password@${referenceGate.host}:${referenceGate.port}/demo`,
]);
const ours = await connect(
  process.execPath,
  [fileURLToPath(new URL('./postgres-stdio-server.mjs', import.meta.url))],
  {
    BENCH_PG_TOKEN: token,
    BENCH_PG_HOST: db.gate.host,
    BENCH_PG_PORT: String(db.gate.port),
    BENCH_PG_ROLE: identity.name,
    // `BENCH_PROFILE_DIR=…` profiles our server (--cpu-prof) for a look at where its time goes
    ...(process.env.BENCH_PROFILE_DIR
      ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}` }
      : {}),
  },
);

const sql = 'SELECT id, item, qty FROM orders WHERE id <= 10 ORDER BY id';
const callReference = async () => {
  const r = await reference.callTool({ name: 'query', arguments: { sql } });
  if (r.isError) throw new Error('reference query failed');
};
const callOurs = async () => {
  const r = await ours.callTool({
    name: 'postgres_database_query',
    arguments: { server: 'local', database: 'demo', query: sql },
  });
  if (r.isError) throw new Error(`our query failed: ${JSON.stringify(r.content)}`);
};
const iterations = smoke ? 50 : 500;
// warm both first (JIT, connection pools), so the CPU per call below is the servers' steady state
for (let i = 0; i < (smoke ? 10 : 500); i++) {
  await callOurs();
  await callReference();
}
const cpuBefore = { ours: cpuMicros(pids.get(ours)), reference: cpuMicros(pids.get(reference)) };
const [oursRate, referenceRate] = await measureAlternating([callOurs, callReference], { iterations });
// the same number of calls reached each server since cpuBefore: CPU per call isolates the server
const calls = Math.min(2000, iterations) + oursRate.repeats * iterations;
const cpuPerCall = {
  ours: (cpuMicros(pids.get(ours)) - cpuBefore.ours) / calls,
  reference: (cpuMicros(pids.get(reference)) - cpuBefore.reference) / calls,
};
await Promise.all([ours.close(), reference.close()]);
await referenceGate.stop();
await db.stop();
await emulator.stop();
report({
  results: { ours: oursRate, reference: referenceRate, rows: 10, serverCpuMicrosPerCall: cpuPerCall },
});
process.exit(0);
