// OpenTelemetry end to end: the example server started by its CLI with the standard OTLP variables
// (http/json) exports to a loopback collector. A 2026-07-28 tool call carrying `_meta.traceparent`
// yields the tool span, the On-Behalf-Of token span and the database spans in the caller's trace;
// the metrics arrive; and no token, secret or query text appears anywhere in what was exported.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorld, type World } from './world.js';

let world: World;
let collector: Server;
let child: ChildProcess | undefined;
const received: Array<{ path: string; body: string }> = [];
beforeAll(async () => {
  world = await startWorld();
  collector = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      received.push({ path: req.url ?? '', body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
}, 120_000);
afterAll(async () => {
  child?.kill('SIGKILL');
  collector?.close();
  await world?.stop();
});

type OtlpSpan = {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes?: unknown[];
};
const spans = (): OtlpSpan[] =>
  received
    .filter((r) => r.path === '/v1/traces')
    .flatMap((r) =>
      (
        JSON.parse(r.body) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> }
      ).resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)),
    );
const metricNames = (): string[] =>
  received
    .filter((r) => r.path === '/v1/metrics')
    .flatMap((r) =>
      (
        JSON.parse(r.body) as {
          resourceMetrics: Array<{ scopeMetrics: Array<{ metrics: Array<{ name: string }> }> }>;
        }
      ).resourceMetrics.flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics.map((m) => m.name))),
    );
async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('OpenTelemetry export (OTLP http/json to a loopback collector)', () => {
  it('a tool call joins the caller trace from _meta.traceparent, with token and database spans; metrics flow; nothing secret is exported', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'otel-'));
    const config = join(dir, 'appsettings.json');
    writeFileSync(
      config,
      JSON.stringify({
        inboundAuthentication: { type: 'JwtBearerScheme', azureAd: world.azureAd() },
        outboundAuthentication: {
          type: 'JwtObo',
          clientCredential: { kind: 'ClientSecret', secret: world.apiSecret },
        },
        mcpServer: { postgresServers: { local: { host: world.db.gate.host, port: world.db.gate.port } } },
      }),
    );
    const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
    child = spawn(
      process.execPath,
      [
        fileURLToPath(new URL('../dist/cli.js', import.meta.url)),
        'start',
        '--config',
        config,
        '--port',
        '0',
        '--json',
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: {
          ...process.env,
          OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          OTEL_BSP_SCHEDULE_DELAY: '100',
          OTEL_METRIC_EXPORT_INTERVAL: '300',
          OTEL_SERVICE_NAME: 'kit-e2e',
        },
      },
    );
    const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    const { mcpUrl } = JSON.parse(line) as { mcpUrl: string };

    const token = await world.token(world.alice);
    const client = new Client({ name: 'otel-e2e', version: '0' }, { versionNegotiation: { mode: 'auto' } });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(mcpUrl), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    const traceId = randomBytes(16).toString('hex');
    const parentSpanId = randomBytes(8).toString('hex');
    const secretQuery = `SELECT current_user AS u, 'marker-${randomBytes(4).toString('hex')}' AS m`;
    const result = (await client.callTool({
      name: 'postgres_database_query',
      arguments: { server: 'local', database: 'demo', query: secretQuery },
      _meta: { traceparent: `00-${traceId}-${parentSpanId}-01` },
    })) as { structuredContent?: { rows: unknown[][] } };
    expect(result.structuredContent?.rows[0]?.[0]).toBe('alice@contoso.com');
    await client.close();

    await until(
      () => spans().some((s) => s.name === 'postgres.query' && s.traceId === traceId),
      'the database span',
    );
    const inTrace = spans().filter((s) => s.traceId === traceId);
    const tool = inTrace.find((s) => s.name === 'tools/call postgres_database_query')!;
    expect(tool.parentSpanId).toBe(parentSpanId); // a child of the caller's span
    const names = inTrace.map((s) => s.name);
    expect(names).toEqual(
      expect.arrayContaining(['mcp_auth.outbound.token', 'postgres.connect', 'postgres.query']),
    );
    for (const s of inTrace.filter((x) => x !== tool)) expect(s.parentSpanId).toBeTruthy();
    expect(spans().some((s) => s.name === 'mcp_auth.inbound.validate')).toBe(true);

    await until(
      () =>
        ['mcp_auth.inbound.requests', 'mcp_auth.token.requests', 'mcp_auth.idp.duration'].every((m) =>
          metricNames().includes(m),
        ),
      'the metrics',
    );
    expect(metricNames()).toContain('mcp_auth.postgres.connections');

    const everything = received.map((r) => r.body).join('\n');
    expect(everything).not.toContain(token);
    expect(everything).not.toContain(world.apiSecret);
    expect(everything).not.toContain(secretQuery);
    expect(everything).not.toContain('marker-');

    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    child = undefined;
  });
});
