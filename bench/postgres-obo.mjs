// 3. On-Behalf-Of through the server: 50 users x 100 calls, identity-provider requests per
// (user, scope), cold vs warm call latency. 4. Postgres tools: query tool vs bare pg on a warm
// pool; connections and token fetches per caller; pools bounded by maxPools.
import { performance } from 'node:perf_hooks';
import {
  createRequestAuthContext,
  defaultAuthContextAccessor,
  parseServerConfig,
} from '@mcp-auth-kit/auth-core';
import { parseExampleConfig, startExampleServer } from '@mcp-auth-kit/example-server';
import { createCredentialProviderFactory } from '@mcp-auth-kit/outbound-credentials';
import { createPostgresTools } from '@mcp-auth-kit/postgres-tools';
import { EntraEmulator, POSTGRES_AAD_AUDIENCE, startTokenGatedPostgres } from '@mcp-auth-kit/testing';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { decodeJwt } from 'jose';
import pg from 'pg';
import { measureAlternating, percentiles, report, smoke } from './lib.mjs';

const USERS = smoke ? 5 : 50;
const CALLS = smoke ? 10 : 100;
const QUERY = 'SELECT id, v FROM t ORDER BY id LIMIT 10';

const emulator = await EntraEmulator.start();
const db = await startTokenGatedPostgres(emulator);
const secret = 'bench-secret';
const api = emulator.registerApp({ secret });
await db.admin('CREATE DATABASE demo');
await db.admin(
  'CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 1000) g;',
  'demo',
);
const users = [];
for (let i = 0; i < USERS; i++) {
  const u = emulator.addUser({ userPrincipalName: `user${i}@contoso.com` });
  users.push(u);
  await db.admin(
    `CREATE ROLE "user${i}@contoso.com" LOGIN; GRANT SELECT ON t TO "user${i}@contoso.com";`,
    'demo',
  );
}
const authSections = {
  inboundAuthentication: {
    type: 'JwtBearerScheme',
    azureAd: { instance: emulator.instance, tenantId: emulator.tenantId, clientId: api.clientId },
  },
  outboundAuthentication: { type: 'JwtObo', clientCredential: { kind: 'ClientSecret', secret } },
};
const server = await startExampleServer({
  config: parseExampleConfig({
    ...authSections,
    mcpServer: { postgresServers: { local: { host: db.gate.host, port: db.gate.port } } },
  }),
  port: 0,
  logger: { info() {}, warn() {} },
});
const tokenFor = (u) =>
  emulator.mintUserToken({ user: u, audience: api.clientId, scopes: ['mcp.tools'], lifetimeSeconds: 7200 });

// 50 users x 100 calls through the server, 10 users at a time.
const cold = [];
const warm = [];
let maxOpenPools = 0;
const queue = [...users];
async function worker() {
  for (let u = queue.shift(); u; u = queue.shift()) {
    const client = new Client({ name: 'bench', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(server.mcpUrl), {
        requestInit: { headers: { authorization: `Bearer ${await tokenFor(u)}` } },
      }),
    );
    for (let c = 0; c < CALLS; c++) {
      const start = performance.now();
      const r = await client.callTool({
        name: 'postgres_database_query',
        arguments: { server: 'local', database: 'demo', query: QUERY },
      });
      (c === 0 ? cold : warm).push(performance.now() - start);
      if (r.isError) throw new Error(`tool error: ${r.content[0].text}`);
      maxOpenPools = Math.max(maxOpenPools, server.tools.stats().openPools);
    }
    await client.close();
  }
}
await Promise.all(Array.from({ length: Math.min(10, USERS) }, worker));

const oboPerUser = users.map((u) =>
  emulator.countRequests({
    grant: 'on_behalf_of',
    objectId: u.objectId,
    scope: 'https://ossrdbms-aad.database.windows.net/.default',
  }),
);
const loginsPerUser = users.map((u) => db.gate.logins.filter((l) => l.role === u.userPrincipalName).length);
const stats = server.tools.stats();

// Query tool vs bare pg on a warm pool, same query, same user, same gate.
const u0 = users[0];
const dbToken = await emulator.mintUserToken({
  user: u0,
  audience: POSTGRES_AAD_AUDIENCE,
  version: '1.0',
  lifetimeSeconds: 7200,
});
const barePool = () =>
  new pg.Pool({
    host: db.gate.host,
    port: db.gate.port,
    user: u0.userPrincipalName,
    password: dbToken,
    database: 'demo',
    max: 1,
  });
const bare = barePool();
// The same safety envelope written by hand as separate queries (one round trip each), as the
// tool did before it wrote the envelope in a single round trip: BEGIN READ ONLY + statement
// timeout, the statement, ROLLBACK. (Its own connection, so the bare pool keeps one too.)
const envelopePool = barePool();
const envelopeClient = await envelopePool.connect();
const envelope = async () => {
  await envelopeClient.query(
    "BEGIN TRANSACTION READ ONLY; SELECT set_config('statement_timeout', '15000', true)",
  );
  await envelopeClient.query(QUERY);
  await envelopeClient.query('ROLLBACK');
};

const config = parseServerConfig(authSections);
const provider = createCredentialProviderFactory().create(config, {
  logger: { info() {}, warn() {} },
});
const tools = createPostgresTools({
  credentialProvider: provider,
  servers: { local: { host: db.gate.host, port: db.gate.port } },
});
const mcp = new McpServer({ name: 'bench', version: '1' });
tools.register(mcp);
const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
await mcp.connect(serverSide);
const inMemory = new Client({ name: 'bench', version: '1' });
await inMemory.connect(clientSide);
const assertion = await tokenFor(u0);
const ctx = createRequestAuthContext(assertion, decodeJwt(assertion));
const callInMemory = () =>
  defaultAuthContextAccessor.run(ctx, () =>
    inMemory.callTool({
      name: 'postgres_database_query',
      arguments: { server: 'local', database: 'demo', query: QUERY },
    }),
  );
const check = await callInMemory();
if (check.isError) throw new Error(`in-memory tool error: ${check.content[0].text}`);
// Measured in alternation (bare, envelope, tool, bare, …) so that noise from the shared cores
// falls on all three alike.
const [barePg, bareEnvelope, toolInProcess] = await measureAlternating(
  [() => bare.query(QUERY), envelope, callInMemory],
  { iterations: smoke ? 50 : 400, repeats: smoke ? 2 : 11 },
);
envelopeClient.release();
await envelopePool.end();

report({
  name: 'postgres-obo',
  results: {
    users: USERS,
    callsPerUser: CALLS,
    coldMs: percentiles(cold),
    warmMs: percentiles(warm),
    oboRequestsPerUserScope: { min: Math.min(...oboPerUser), max: Math.max(...oboPerUser) },
    connectionsPerUser: { min: Math.min(...loginsPerUser), max: Math.max(...loginsPerUser) },
    tokenFetches: stats.tokenFetches,
    connectionsOpened: stats.connectionsOpened,
    maxOpenPools,
    maxPoolsLimit: 100,
    barePg,
    bareEnvelope,
    toolInProcess,
  },
});
await inMemory.close();
await tools.close();
await bare.end();
await server.close();
await db.stop();
await emulator.stop();
process.exit(0);
