#!/usr/bin/env node
// A scripted walkthrough against dev mode: no token (401 and its challenge), alice lists and
// queries as herself, bob is refused alice's table.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

type ToolResult = { isError?: boolean; content: Array<{ type: string; text?: string }> };

const cli = fileURLToPath(new URL('./cli.js', import.meta.url));
const dev = spawn(process.execPath, [cli, 'dev', '--json', '--port', '0'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const step = (n: number, title: string) => console.log(`\n== ${n}. ${title}`);

try {
  const [line] = (await once(createInterface({ input: dev.stdout! }), 'line')) as [string];
  const { mcpUrl, tokens } = JSON.parse(line) as { mcpUrl: string; tokens: { alice: string; bob: string } };
  console.log(`dev mode is up: ${mcpUrl}`);

  step(1, 'A request without a token');
  const anonymous = await fetch(mcpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  });
  console.log(`HTTP ${anonymous.status}`);
  console.log(`WWW-Authenticate: ${anonymous.headers.get('www-authenticate')}`);
  const metadataUrl = /resource_metadata="([^"]+)"/.exec(
    anonymous.headers.get('www-authenticate') ?? '',
  )?.[1];
  if (metadataUrl) console.log(`metadata: ${JSON.stringify(await (await fetch(metadataUrl)).json())}`);

  const connect = async (token: string) => {
    const client = new Client({ name: 'mcp-auth-kit-demo', version: '0.1.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(mcpUrl), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    return client;
  };
  const show = (result: unknown) => {
    const r = result as ToolResult;
    console.log(`${r.isError ? 'ERROR: ' : ''}${r.content.map((c) => c.text ?? '').join('\n')}`);
  };

  const alice = await connect(tokens.alice);
  step(2, 'alice: whoami');
  show(await alice.callTool({ name: 'whoami', arguments: {} }));
  step(3, 'alice: list the tables of database demo');
  show(await alice.callTool({ name: 'postgres_list', arguments: { server: 'local', database: 'demo' } }));
  step(4, 'alice: query her own table, as herself');
  show(
    await alice.callTool({
      name: 'postgres_database_query',
      arguments: { server: 'local', database: 'demo', query: 'SELECT current_user, note FROM alice_notes' },
    }),
  );

  const bob = await connect(tokens.bob);
  step(5, "bob: the same query on alice's table");
  show(
    await bob.callTool({
      name: 'postgres_database_query',
      arguments: { server: 'local', database: 'demo', query: 'SELECT note FROM alice_notes' },
    }),
  );
  step(6, 'bob: a table he may read');
  show(
    await bob.callTool({
      name: 'postgres_database_query',
      arguments: { server: 'local', database: 'demo', query: 'SELECT current_user, count(*) FROM orders' },
    }),
  );
  await alice.close();
  await bob.close();
  console.log('\ndemo finished');
} finally {
  dev.kill('SIGTERM');
  await once(dev, 'exit');
}
