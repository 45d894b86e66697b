// Hostile input against the assembled server: property-based fuzzing of the Authorization header,
// the JSON-RPC body and the tool arguments. Any 500 or lost call is a counterexample.
import fc from 'fast-check';
import { callTool, tally } from './http.mjs';

/** Runs the three fuzzers; returns how many logins the database refused for a hostile "user" argument. */
export async function fuzzHostileInput({ obo, db, users, tokenFor, results, logs, progress, healthy }) {
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
  await fuzz(
    'tool arguments',
    toolArgs,
    ({ name, args }) => callTool(obo, goodToken, name, args, { logs, timeoutMs: 10_000 }),
    300,
  );
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
  return refusedHostileUser;
}
