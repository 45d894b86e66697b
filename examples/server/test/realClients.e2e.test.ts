// Real MCP clients that nobody here wrote (mcp-remote, the MCP Inspector CLI, the Python SDK and
// FastMCP's client), installed from the npm registry and PyPI by scripts/install-mcp-clients.sh,
// each driven against dev mode in three ways: a pasted bearer token; the Entra front with only the
// MCP URL (Entra ID's tokens); the façade with only the URL (`dev --oauth-proxy`, its own tokens).
// The person's clicks are clients/person.mjs, the program the clients open as their browser. Every
// cell ends in a PostgreSQL query as alice; bob (a pasted token) is refused alice's table.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePort, loadOrCreateCertificateAuthority, startDocumentHost } from '@mcp-auth-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const clientsDir = process.env.MCP_CLIENTS_DIR ?? join(tmpdir(), 'mcp-auth-kit-clients');
const nodeClients = join(clientsDir, 'node', 'node_modules');
const python = join(clientsDir, 'python', 'bin', 'python');
const missing = [
  [join(nodeClients, 'mcp-remote', 'dist', 'proxy.js'), 'mcp-remote'],
  [join(nodeClients, '@modelcontextprotocol', 'inspector', 'package.json'), 'the MCP Inspector'],
  [python, 'the Python clients'],
].filter(([path]) => !existsSync(path!));
const reason = missing.length
  ? `${missing.map(([, name]) => name).join(', ')} not installed (run scripts/install-mcp-clients.sh)`
  : undefined;
if (reason && process.env.CI === 'true') throw new Error(`CI must run the real-client tests: ${reason}`);

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const cli = here('../dist/cli.js');
const person = here('./clients/person.mjs');
const ALICE_SQL = 'SELECT current_user AS u, note FROM alice_notes';

interface Dev {
  readonly child: ChildProcess;
  readonly mcpUrl: string;
  readonly tokens: { readonly alice: string; readonly bob: string };
  readonly caFile: string;
}

async function startDev(args: string[]): Promise<Dev> {
  const child = spawn(process.execPath, [cli, 'dev', '--json', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.resume();
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return { child, ...(JSON.parse(line) as Omit<Dev, 'child'>) };
}

type Mode = 'bearer' | 'front' | 'facade';
type Run = (dev: Dev, sql: string, token: string | undefined, env: NodeJS.ProcessEnv) => Promise<string>;

/** Tokens never reach a test log: a failure message names them by kind only. */
const redact = (text: string) => text.replace(/Bearer [A-Za-z0-9._~+/=-]+/g, 'Bearer <token>');

/** Runs a client; exit codes in `okCodes` (a client's way of saying "the tool answered isError") are not failures. */
function exec(file: string, args: string[], env: NodeJS.ProcessEnv, okCodes: number[] = []): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, timeout: 90_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && !okCodes.includes(Number(error.code))) {
        reject(
          new Error(redact(`${file} ${args[0] ?? ''} failed: ${error.message}\n${stderr.slice(-4000)}`)),
        );
      } else resolve(stdout);
    });
  });
}

const CLIENTS: Record<string, Run> = {
  'mcp-remote 0.15.1': (dev, sql, token, env) =>
    exec(
      process.execPath,
      [
        here('./clients/mcpRemoteClient.mjs'),
        join(nodeClients, 'mcp-remote', 'dist', 'proxy.js'),
        dev.mcpUrl,
        sql,
        ...(token ? ['--header', `Authorization:Bearer ${token}`] : []),
      ],
      { ...env, MCP_REMOTE_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'mcp-remote-')) },
    ),
  'MCP Inspector CLI 2.12.0': async (dev, sql, token, env) => {
    // --output keeps the result when the tool answers isError (exit 5, "tool_is_error")
    const output = join(mkdtempSync(join(tmpdir(), 'inspector-out-')), 'result.json');
    await exec(
      process.execPath,
      [
        join(nodeClients, '@modelcontextprotocol', 'inspector', 'clients', 'launcher', 'build', 'index.js'),
        '--cli',
        dev.mcpUrl,
        '--transport',
        'http',
        '--method',
        'tools/call',
        '--tool-name',
        'postgres_database_query',
        '--tool-args-json',
        JSON.stringify({ server: 'local', database: 'demo', query: sql }),
        '--output',
        output,
        '--callback-url',
        `http://127.0.0.1:${await freePort()}/oauth/callback`,
        ...(token ? ['--header', `Authorization: Bearer ${token}`] : []),
      ],
      {
        ...env,
        HOME: mkdtempSync(join(tmpdir(), 'inspector-home-')),
        MCP_INSPECTOR_SECRET_STORE: 'memory',
        MCP_AUTO_OPEN_ENABLED: 'true',
      },
      [5],
    );
    return JSON.stringify(JSON.parse(readFileSync(output, 'utf8')));
  },
  'Python SDK (mcp 2.3.0)': async (dev, sql, token, env) =>
    exec(
      python,
      [
        here('./clients/python_sdk_client.py'),
        dev.mcpUrl,
        sql,
        ...(token ? ['--token', token] : ['--callback-port', String(await freePort())]),
      ],
      env,
    ),
  'FastMCP 4.0.10': async (dev, sql, token, env) =>
    exec(
      python,
      [
        here('./clients/fastmcp_client.py'),
        dev.mcpUrl,
        sql,
        ...(token ? ['--token', token] : ['--callback-port', String(await freePort())]),
      ],
      env,
    ),
};

/** The tool result in a client's output: the last line that parses as JSON with content. */
function resultOf(output: string): {
  structuredContent?: { rows: unknown[] };
  content: Array<{ text: string }>;
} {
  for (const line of output.trim().split('\n').reverse()) {
    try {
      const parsed = JSON.parse(line) as { result?: unknown; content?: unknown };
      const result = (parsed.result ?? parsed) as ReturnType<typeof resultOf>;
      if (Array.isArray(result.content)) return result;
    } catch {
      // a log line
    }
  }
  throw new Error(`no tool result in the client's output: ${output.slice(-2000)}`);
}

const devs: Partial<Record<'front' | 'facade', Dev>> = {};
beforeAll(async () => {
  if (reason) return;
  devs.front = await startDev([]);
  devs.facade = await startDev(['--oauth-proxy']);
}, 120_000);
afterAll(async () => {
  for (const dev of Object.values(devs)) {
    dev.child.kill('SIGTERM');
    await once(dev.child, 'exit');
  }
});

const cell = reason ? it.skip : it;
describe(`real MCP clients against dev mode${reason ? `: skipped, ${reason}` : ''}`, () => {
  for (const [name, run] of Object.entries(CLIENTS)) {
    for (const mode of ['bearer', 'front', 'facade'] as Mode[]) {
      const title = {
        bearer: 'a pasted bearer token: alice queries her table, bob is refused it',
        front:
          'only the MCP URL, through the Entra front: alice signs in at Entra ID and queries her table, bob is refused it',
        facade:
          'only the MCP URL, through the façade: alice consents, signs in and queries her table, bob is refused it',
      }[mode];
      cell(
        `${name}: ${title}`,
        async () => {
          const dev = mode === 'facade' ? devs.facade! : devs.front!;
          const personLog = join(mkdtempSync(join(tmpdir(), 'person-')), 'person.log');
          const env = {
            ...process.env,
            NODE_EXTRA_CA_CERTS: dev.caFile,
            SSL_CERT_FILE: dev.caFile,
            BROWSER: person,
            PERSON_LOG: personLog,
            PERSON_USER: 'alice@contoso.com',
          };
          let output: string;
          try {
            output = await run(dev, ALICE_SQL, mode === 'bearer' ? dev.tokens.alice : undefined, env);
          } catch (error) {
            const steps = existsSync(personLog)
              ? readFileSync(personLog, 'utf8')
              : '(the browser was never opened)';
            throw new Error(`${(error as Error).message}\nperson's browser:\n${steps}`);
          }
          expect(resultOf(output).structuredContent?.rows).toEqual([
            ['alice@contoso.com', 'only alice can read this'],
          ]);
          if (mode !== 'bearer') {
            // the person really went through the sign-in pages (and, with the façade, its consent)
            const steps = readFileSync(personLog, 'utf8');
            expect(steps).toContain('oauth2/v2.0/authorize');
            if (mode === 'facade') expect(steps).toContain('POST');
          }
          // bob, the same way (a pasted token of his, or signing in as bob), is refused alice's table
          const asBob = await run(dev, ALICE_SQL, mode === 'bearer' ? dev.tokens.bob : undefined, {
            ...env,
            PERSON_USER: 'bob@contoso.com',
          });
          expect(
            resultOf(asBob)
              .content.map((c) => c.text)
              .join('\n'),
          ).toContain('permission denied for table alice_notes');
        },
        120_000,
      );
    }
  }
});

// Entra ID's own Client ID Metadata Documents: mcp-remote publishes nothing itself, so its document
// is served here (https on loopback, the dev CA's certificate) and named with --client-metadata-url.
// Dev mode's tenant has CIMD on and the front advertises it: mcp-remote sends the document URL as
// client_id, the emulated Entra ID fetches the document and signs the client in as an agent
// identity; no registration, no public client.
describe(`a real client with its own metadata document${reason ? `: skipped, ${reason}` : ''}`, () => {
  cell(
    'mcp-remote 0.15.1 --client-metadata-url: signs in at Entra ID with its document URL as client_id and queries as alice; bob is refused',
    async () => {
      const dev = devs.front!;
      const host = await startDocumentHost(await loadOrCreateCertificateAuthority(dirname(dev.caFile)));
      try {
        const port = await freePort();
        const documentUrl = host.publish('/mcp-remote/client.json', {
          client_id: `${host.origin}/mcp-remote/client.json`,
          client_name: 'mcp-remote (e2e)',
          redirect_uris: [`http://localhost:${port}/oauth/callback`],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          token_endpoint_auth_method: 'none',
        });
        for (const [user, expected] of [
          ['alice@contoso.com', 'only alice can read this'],
          ['bob@contoso.com', 'permission denied for table alice_notes'],
        ] as const) {
          const personLog = join(mkdtempSync(join(tmpdir(), 'person-')), 'person.log');
          const env = {
            ...process.env,
            NODE_EXTRA_CA_CERTS: dev.caFile,
            BROWSER: person,
            PERSON_LOG: personLog,
            PERSON_USER: user,
            MCP_REMOTE_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'mcp-remote-')),
          };
          const output = await exec(
            process.execPath,
            [
              here('./clients/mcpRemoteClient.mjs'),
              join(nodeClients, 'mcp-remote', 'dist', 'proxy.js'),
              dev.mcpUrl,
              ALICE_SQL,
              String(port),
              '--client-metadata-url',
              documentUrl,
            ],
            env,
          ).catch((error: Error) => {
            const steps = existsSync(personLog) ? readFileSync(personLog, 'utf8') : '(never opened)';
            throw new Error(`${error.message}\nperson's browser:\n${steps}`);
          });
          const text = JSON.stringify(resultOf(output));
          expect(text).toContain(expected);
          // the authorization request named the document URL as client_id, and Entra ID fetched it
          expect(readFileSync(personLog, 'utf8')).toContain(
            `oauth2/v2.0/authorize (client_id ${documentUrl}) → 302`,
          );
        }
        expect(host.fetches('/mcp-remote/client.json')).toBeGreaterThanOrEqual(1);
      } finally {
        await host.stop();
      }
    },
    180_000,
  );
});
