// Runs the official MCP conformance suite (@modelcontextprotocol/conformance, installed by
// scripts/install-mcp-clients.sh) against the example server in dev mode, through real
// authentication: the suite sends no Authorization header, so a loopback proxy in front adds alice's
// bearer token and forwards everything else (Host and Origin included) unchanged. Scenarios that
// need the suite's own fixture tools, resources or prompts are listed, with the reason, in
// scripts/conformance-baseline.yml; a regression or a stale entry fails the run.
// usage: node scripts/conformance.mjs [--scenario name] [extra conformance args]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const clients = process.env.MCP_CLIENTS_DIR ?? join(tmpdir(), 'mcp-auth-kit-clients');
const suite = join(
  clients,
  'conformance',
  'node_modules',
  '@modelcontextprotocol',
  'conformance',
  'dist',
  'index.js',
);

const dev = spawn(
  process.execPath,
  [join(root, 'examples/server/dist/cli.js'), 'dev', '--json', '--port', '0', '--stateful'],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const [line] = await once(createInterface({ input: dev.stdout }), 'line');
const { mcpUrl, tokens } = JSON.parse(line);
const target = new URL(mcpUrl);

// the proxy adds the token and nothing else
const proxy = createServer((req, res) => {
  const upstream = request(
    {
      host: target.hostname,
      port: target.port,
      path: req.url,
      method: req.method,
      headers: { ...req.headers, authorization: `Bearer ${tokens.alice}` },
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', () => res.destroy());
  req.pipe(upstream);
});
await new Promise((r) => proxy.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${proxy.address().port}${target.pathname}`;

const run = spawn(
  process.execPath,
  [
    suite,
    'server',
    '--url',
    url,
    '--expected-failures',
    join(root, 'scripts/conformance-baseline.yml'),
    ...process.argv.slice(2),
  ],
  { stdio: 'inherit' },
);
const [code] = await once(run, 'exit');
proxy.close();
dev.kill('SIGTERM');
await once(dev, 'exit');
process.exit(code ?? 1);
