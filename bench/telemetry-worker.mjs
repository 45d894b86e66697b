// One mode of the telemetry benchmark (see telemetry.mjs): `none` (@opentelemetry/api not
// installed), `api` (installed, no SDK: its no-op tracer and meter), `sdk` (the Node SDK started, no exporter), `export` (OTLP http/json to a loopback
// sink). Measures a postgres_database_query tools/call in process (tool span, On-Behalf-Of token
// from the cache, connect and query spans, metrics) and a cached inbound validation.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import {
  createRequestAuthContext,
  defaultAuthContextAccessor,
  parseServerConfig,
} from '@mcp-auth-kit/auth-core';
import { JwtBearerValidator } from '@mcp-auth-kit/inbound-jwt';
import { createCredentialProviderFactory } from '@mcp-auth-kit/outbound-credentials';
import { createPostgresTools } from '@mcp-auth-kit/postgres-tools';
import { EntraEmulator, startTokenGatedPostgres } from '@mcp-auth-kit/testing';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { decodeJwt } from 'jose';
import { measure, report, smoke } from './lib.mjs';

const mode = process.argv.find((a) => ['none', 'api', 'sdk', 'export'].includes(a));
let sdk;
if (mode === 'sdk' || mode === 'export') {
  const fromExample = createRequire(new URL('../examples/server/package.json', import.meta.url));
  const sdkNode = fromExample.resolve('@opentelemetry/sdk-node');
  const { NodeSDK } = await import(pathToFileURL(sdkNode).href);
  if (mode === 'sdk') {
    // the SDK running, every span recorded and every metric aggregated, nothing exported
    const fromSdk = createRequire(sdkNode);
    const { NoopSpanProcessor } = await import(
      pathToFileURL(fromSdk.resolve('@opentelemetry/sdk-trace')).href
    );
    const { AggregationTemporality, InMemoryMetricExporter, PeriodicExportingMetricReader } = await import(
      pathToFileURL(fromSdk.resolve('@opentelemetry/sdk-metrics')).href
    );
    sdk = new NodeSDK({
      serviceName: 'bench',
      instrumentations: [],
      spanProcessors: [new NoopSpanProcessor()],
      metricReader: new PeriodicExportingMetricReader({
        exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
        exportIntervalMillis: 3_600_000,
      }),
    });
  } else {
    sdk = new NodeSDK({ serviceName: 'bench', instrumentations: [] });
  }
  sdk.start();
}

const emulator = await EntraEmulator.start();
const db = await startTokenGatedPostgres(emulator);
const secret = 'bench-secret';
const api = emulator.registerApp({ secret });
await db.admin('CREATE DATABASE demo');
await db.admin(
  'CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 100) g;',
  'demo',
);
const alice = emulator.addUser({ userPrincipalName: 'alice@contoso.com' });
await db.admin('CREATE ROLE "alice@contoso.com" LOGIN; GRANT SELECT ON t TO "alice@contoso.com";', 'demo');
const azureAd = { instance: emulator.instance, tenantId: emulator.tenantId, clientId: api.clientId };
const config = parseServerConfig({
  inboundAuthentication: { type: 'JwtBearerScheme', azureAd },
  outboundAuthentication: { type: 'JwtObo', clientCredential: { kind: 'ClientSecret', secret } },
});
const provider = createCredentialProviderFactory().create(config, { logger: { info() {}, warn() {} } });
const tools = createPostgresTools({
  credentialProvider: provider,
  servers: { local: { host: db.gate.host, port: db.gate.port } },
});
const mcp = new McpServer({ name: 'bench', version: '1' });
tools.register(mcp);
const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
await mcp.connect(serverSide);
const client = new Client({ name: 'bench', version: '1' });
await client.connect(clientSide);
const token = await emulator.mintUserToken({
  user: alice,
  audience: api.clientId,
  scopes: ['mcp.tools'],
  lifetimeSeconds: 7200,
});
const ctx = createRequestAuthContext(token, decodeJwt(token));
const call = () =>
  defaultAuthContextAccessor.run(ctx, () =>
    client.callTool({
      name: 'postgres_database_query',
      arguments: { server: 'local', database: 'demo', query: 'SELECT id, v FROM t ORDER BY id LIMIT 10' },
    }),
  );
const check = await call();
if (check.isError) throw new Error(`tool error: ${check.content[0].text}`);
const validator = new JwtBearerValidator(config.inboundAuthentication.azureAd);
await validator.validate(token);

const toolCall = await measure(call, { iterations: smoke ? 50 : 500, repeats: smoke ? 2 : 9 });
const validate = await measure(() => validator.validate(token), {
  iterations: smoke ? 1000 : 50_000,
  repeats: smoke ? 2 : 9,
});
await client.close();
await tools.close();
await sdk?.shutdown();
await db.stop();
await emulator.stop();
report({ results: { mode, toolCall, validate } });
