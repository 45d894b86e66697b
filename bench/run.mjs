// Runs every benchmark (each in its own process, trusting the emulator's CA) and rewrites
// bench/RESULTS.md. `--smoke` runs them briefly (CI) and prints the report without writing it.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadOrCreateCertificateAuthority } from '@mcp-auth-kit/testing';
import { fmt, smoke } from './lib.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const caDir = process.env.MCP_AUTH_KIT_CA_DIR ?? join(tmpdir(), 'mcp-auth-kit-ca');
const ca = await loadOrCreateCertificateAuthority(caDir);
const env = { ...process.env, NODE_EXTRA_CA_CERTS: ca.certificatePath, MCP_AUTH_KIT_CA_DIR: caDir };

// `--report` rewrites RESULTS.md from the figures of the last full run (bench/results.json)
// without running anything, e.g. after editing the explanations below.
const reportOnly = process.argv.includes('--report');
// `--only <name>` runs one benchmark and merges its figures into those of the last full run.
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt >= 0 ? process.argv[onlyAt + 1] : undefined;
const ALL = [
  'inbound',
  'e2e',
  'postgres-obo',
  'postgres-reference',
  'memory',
  'replicas',
  'hostile',
  'telemetry',
  'facade',
];
if (only && !ALL.includes(only)) throw new Error(`--only: no benchmark ${only} (${ALL.join(', ')})`);
const results =
  reportOnly || (only && !smoke) ? JSON.parse(readFileSync(join(here, 'results.json'), 'utf8')) : {};
for (const name of reportOnly ? [] : only ? [only] : ALL) {
  const started = Date.now();
  const run = spawnSync(
    process.execPath,
    ['--expose-gc', join(here, `${name}.mjs`), ...(smoke ? ['--smoke'] : [])],
    {
      env,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      timeout: 20 * 60_000,
    },
  );
  const line = run.stdout.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
  if (run.status !== 0 || !line) {
    process.stderr.write(run.stdout + run.stderr);
    throw new Error(`benchmark ${name} failed (exit ${run.status})`);
  }
  results[name] = JSON.parse(line.slice('BENCH_RESULT '.length)).results;
  console.log(`bench ${name}: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

if (!smoke && !reportOnly) writeFileSync(join(here, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);

const ops = (r) => `${fmt(r.median)} (${fmt(r.min)}–${fmt(r.max)})`;
const ratio = (a, b) => (a / b).toFixed(2);
const inbound = results.inbound;
const e2e = results.e2e;
const pgo = results['postgres-obo'];
const mem = results.memory;
const rep = results.replicas;
const hostile = results.hostile;
const reference = results['postgres-reference'];
const telemetry = results.telemetry;
const facade = results.facade;
const targets = [];
const target = (name, met, figure, reason) => targets.push({ name, met, figure, reason });

const repeatedVsFast = inbound.oursRepeated.median / inbound.fastJwtCached.median;
target(
  'inbound: repeated token ≥ fast-jwt cached',
  repeatedVsFast >= 1,
  `${ratio(inbound.oursRepeated.median, inbound.fastJwtCached.median)}x`,
  'our cache is keyed by a SHA-256 of the token (about 2 µs for a 0.9 kB token) so that it never holds a token; fast-jwt keys its LRU by the token string itself, whose hash V8 computes once per string object, and this benchmark passes the same string object every time. Keying by the string would close the gap at the cost of keeping every cached token in memory (~0.9 kB each). The two are measured in alternation; across runs on this machine the ratio has ranged 0.74x–1.69x.',
);
const firstSeenCost = inbound.jose.median / inbound.oursFirstSeen.median;
target(
  'inbound: first-seen ≤ 1.1x bare jose (time)',
  firstSeenCost <= 1.1,
  `${firstSeenCost.toFixed(2)}x the time of jose`,
  'header decode, issuer/tenant/audience checks, context building and cache insertion on top of jwtVerify; the two are measured in alternation; across runs on this machine the ratio has ranged 0.95x–1.57x, so it sits at the noise floor of the target.',
);
const e2eRatio = (mode) => e2e[`${mode}/JwtBearerScheme`].median.rps / e2e[`${mode}/None`].median.rps;
const e2eCpu = (mode) =>
  e2e[`${mode}/JwtBearerScheme`].serverCpuMicrosPerCall / e2e[`${mode}/None`].serverCpuMicrosPerCall;
for (const [mode, label] of [
  ['stateless-v2', 'SDK v2 stateless, 2026-07-28 request'],
  ['stateless-v2-legacy', 'SDK v2 stateless, 2025 request (legacy fallback)'],
  ['stateless-v1', 'SDK v1 stateless'],
  ['stateful', 'SDK v2 stateful'],
]) {
  if (!e2e[`${mode}/None`]) continue;
  const auth = e2e[`${mode}/JwtBearerScheme`];
  const anon = e2e[`${mode}/None`];
  const sameBytes = e2e[`${mode}/None+header`];
  const sameBytesNote = sameBytes?.serverCpuMicrosPerCall
    ? `; against the anonymous server sent the same bytes (the Authorization header included, which it ignores) ${(auth.serverCpuMicrosPerCall / sameBytes.serverCpuMicrosPerCall).toFixed(2)}x (${fmt(sameBytes.serverCpuMicrosPerCall)} µs)`
    : '';
  target(
    `server CPU per call, ${label}: authenticated ≤ 1.05x anonymous`,
    e2eCpu(mode) <= 1.05,
    `${e2eCpu(mode).toFixed(2)}x (${fmt(auth.serverCpuMicrosPerCall)} vs ${fmt(anon.serverCpuMicrosPerCall)} µs)`,
    `throughput ${e2eRatio(mode).toFixed(2)}x (${fmt(auth.median.rps)} vs ${fmt(anon.median.rps)} calls/s; the load generator shares the 2 cores and sends the 1.3 kB Authorization header)${sameBytesNote}`,
  );
}
target(
  'OBO: identity-provider requests per (user, scope) = 1',
  pgo.oboRequestsPerUserScope.min === 1 && pgo.oboRequestsPerUserScope.max === 1,
  `${pgo.oboRequestsPerUserScope.min}–${pgo.oboRequestsPerUserScope.max}`,
  '',
);
const toolRatio = pgo.barePg.median / pgo.toolInProcess.median;
target(
  'postgres: query tool ≤ 1.2x bare pg (time, warm pool)',
  toolRatio <= 1.2,
  `${toolRatio.toFixed(2)}x`,
  `the read-only envelope is now one round trip (it was four; ${pgo.bareEnvelope ? `the same envelope as separate queries measures ${ratio(pgo.barePg.median, pgo.bareEnvelope.median)}x bare pg in this run` : 'see the table'}), but the server still executes BEGIN, set_config (with pg_backend_pid), ROLLBACK and DISCARD ALL (the session reset that keeps advisory locks and prepared statements from outliving a call) around the statement, and the call goes through the MCP client and server (JSON-RPC, zod validation of the arguments, JSON conversion of the rows), the per-caller connection checkout and the token gate. Closing the rest would mean dropping the envelope, which is the tool's safety guarantee; we keep it.`,
);
target(
  'postgres: one connection and one token request per caller for 100 calls',
  pgo.connectionsPerUser.max === 1 && pgo.oboRequestsPerUserScope.max === 1,
  `connections ${pgo.connectionsPerUser.min}–${pgo.connectionsPerUser.max}, token requests ${pgo.oboRequestsPerUserScope.max}`,
  '',
);
if (reference) {
  const r = reference.ours.median / reference.reference.median;
  target(
    'postgres: query tool ≥ 1.2x the calls/s of @modelcontextprotocol/server-postgres 0.6.2',
    r >= 1.2,
    `${r.toFixed(2)}x (server CPU per call ${fmt(reference.serverCpuMicrosPerCall.ours)} vs ${fmt(reference.serverCpuMicrosPerCall.reference)} µs)`,
    "both are called one call at a time by the same SDK v1 client over stdio, the servers pinned to one core and the client, token gates and PostgreSQL to the other; server CPU is counted after both are warm. Our envelope (BEGIN READ ONLY, set_config, the statement, ROLLBACK, pg_advisory_unlock_all(), DEALLOCATE ALL) is one round trip and measures 240 µs against the reference's BEGIN and query (253 µs; bare pg 173 µs) with the same pinning, so PostgreSQL is not where the gap is. Sent raw JSON-RPC lines instead of through the SDK client, the two servers answer in the same time (617–649 vs 650–694 µs per call) at the same server CPU (user + system 315 vs 310 µs): the difference in this table is the client side and the MCP SDK each server is built on, not the tool. Our server spends 47 µs per call in zod, nearly all of it SDK 1.32's own request validation (the reference's SDK 1.0.1 on zod 3: 12.5 µs); our tool code is 28 µs (connection checkout, slots, budget, envelope, row conversion). Tried and measured, not kept: answering at the statement's completion with a Flush before the ROLLBACK and reset (329–354 vs 268–325 µs per envelope: the extra socket read costs more than it saves); the same tool on the SDK v2 server (no faster: 678–737 µs raw). Reaching 1.2x would take a faster MCP SDK or dropping the envelope, which is the tool's safety; we keep it. Unpinned, the same configuration swings 0.84x–1.27x from run to run on this machine.",
  );
}
if (hostile) {
  const worst = Math.max(...hostile.runs.map((r) => r.rssRiseMiB));
  target(
    'hostile: 10 concurrent oversized results raise server RSS < 150 MiB, others lose 0 calls',
    worst < 150 && hostile.runs.every((r) => r.others.lost === 0 && r.others.errors === 0),
    `rise ≤ ${fmt(worst)} MiB; other callers lost ${hostile.runs.reduce((n, r) => n + r.others.lost + r.others.errors, 0)}`,
    '',
  );
}

const lines = [
  '# Benchmark results',
  '',
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${fmt(totalmem() / 2 ** 30, 1)} GiB, Node ${process.version}, ${process.platform}/${process.arch}.`,
  `Command: \`pnpm bench\` (\`node bench/run.mjs${smoke ? ' --smoke' : ''}\`), ${new Date().toISOString().slice(0, 10)}${only || reportOnly ? `; sections re-run alone with \`node bench/run.mjs --only <name>\` on that date (e2e, postgres-reference, facade), the others from the last full run` : ''}.`,
  'Each figure is the median over repeated runs with the range (min–max) in brackets; ratios are to peers measured in the same run.',
  'Timings on a shared 2-core machine are noisy: compare ratios, not absolute values.',
  '',
  '## Targets',
  '',
  '| target | met | figure | note |',
  '| --- | --- | --- | --- |',
  ...targets.map(
    (t) => `| ${t.name} | ${t.met ? 'yes' : '**no**'} | ${t.figure} | ${t.met ? '' : t.reason} |`,
  ),
  '',
  '## 1. Inbound validation (same token, same key; ops/s)',
  '',
  '| verifier | ops/s | vs bare jose |',
  '| --- | --- | --- |',
  ...[
    ['ours, repeated token (verified-token cache)', inbound.oursRepeated],
    ['ours, first-seen token (full validation)', inbound.oursFirstSeen],
    ['bare jose `jwtVerify` (KeyObject)', inbound.jose],
    ['jsonwebtoken + jwks-rsa (express-jwt stack)', inbound.jsonwebtoken],
    ['fast-jwt, cache', inbound.fastJwtCached],
    ['fast-jwt, no cache', inbound.fastJwtUncached],
    ['MCP SDK `requireBearerAuth` + jose remote JWKS', inbound.mcpSdkRequireBearerAuth],
    ['raw `node:crypto` RSA verify (floor)', inbound.rawCryptoVerify],
  ].map(([name, r]) => `| ${name} | ${ops(r)} | ${ratio(r.median, inbound.jose.median)}x |`),
  '',
  `Verified-token cache: ${fmt(inbound.cacheMemory.entries)} entries measured at ${fmt(inbound.cacheMemory.bytesPerEntry)} bytes each (heap, after GC; the token itself is not kept, average token ${fmt(inbound.cacheMemory.tokenBytesAverage)} bytes): 100k entries ≈ ${fmt((inbound.cacheMemory.bytesPerEntry * 100_000) / 2 ** 20, 1)} MiB. JWKS fetches during the whole benchmark: ${inbound.jwksFetches}.`,
  '',
  '## 2. What authentication costs the server: `ping` / `server/discover` on the example server, autocannon, 10 connections',
  '',
  '| transport / inbound | server CPU µs per call | vs anonymous | req/s | p50 ms | p99 ms | non-2xx |',
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...Object.entries(e2e).map(([k, r]) => {
    const anon = e2e[k.replace(/\/.*$/, '/None')];
    const vs = anon?.serverCpuMicrosPerCall
      ? `${(r.serverCpuMicrosPerCall / anon.serverCpuMicrosPerCall).toFixed(2)}x`
      : 'n/a';
    return `| ${k} | ${r.serverCpuMicrosPerCall === undefined ? 'n/a' : fmt(r.serverCpuMicrosPerCall)} | ${vs} | ${fmt(r.median.rps)} (${fmt(r.min)}–${fmt(r.max)}) | ${r.median.p50} | ${r.median.p99} | ${r.median.non2xx} |`;
  }),
  '',
  `Each server in its own process (the CLI, \`--sdk v2\` or \`--sdk v1\`), load from the benchmark process, ${Object.values(e2e)[0].repeats} runs of ${Object.values(e2e)[0].duration} s each, alternating between the authenticated and the anonymous server, and the anonymous server once more sent the authenticated request's bytes (\`None+header\`: the 1.3 kB Authorization header included, which it ignores), which separates the kit's own work from the header's bytes on the wire and in the HTTP parser. Stateless mode builds an McpServer per request. The call is \`ping\` (2025 requests) or \`server/discover\` (2026-07-28 has no ping), whose answers do not depend on the caller, so no tool output is counted. A 2026-07-28 request carries the per-request envelope and the Mcp-Method header; a 2025 request to the v2 server goes through its stateless legacy fallback. Server CPU per call is the server process's user + system time over the run (from /proc) divided by the calls answered; on Linux the servers run on core 1 and the load generator on core 0 (\`taskset\`), and each server gets one unmeasured 2 s run first.`,
  '',
  `## 3. On-Behalf-Of through the server: ${pgo.users} users × ${pgo.callsPerUser} \`postgres_database_query\` calls`,
  '',
  `- Identity-provider requests per (user, scope): min ${pgo.oboRequestsPerUserScope.min}, max ${pgo.oboRequestsPerUserScope.max}.`,
  `- Cold call (On-Behalf-Of + database login): p50 ${fmt(pgo.coldMs.p50, 1)} ms, p99 ${fmt(pgo.coldMs.p99, 1)} ms (n=${pgo.coldMs.n}).`,
  `- Warm call: p50 ${fmt(pgo.warmMs.p50, 1)} ms, p99 ${fmt(pgo.warmMs.p99, 1)} ms (n=${pgo.warmMs.n}; 10 users at a time over loopback HTTP, server, PostgreSQL, token gate and emulator sharing 2 cores).`,
  '',
  '## 4. Postgres tools',
  '',
  `| path | ops/s | time vs bare pg |`,
  '| --- | --- | --- |',
  `| bare \`pg\` Pool, warm | ${ops(pgo.barePg)} | 1.00x |`,
  ...(pgo.bareEnvelope
    ? [
        `| bare \`pg\`, same envelope as 3 separate queries | ${ops(pgo.bareEnvelope)} | ${ratio(pgo.barePg.median, pgo.bareEnvelope.median)}x |`,
      ]
    : []),
  `| query tool (MCP in-memory transport, warm pool) | ${ops(pgo.toolInProcess)} | ${toolRatio.toFixed(2)}x |`,
  '',
  `Connections per caller: ${pgo.connectionsPerUser.min}–${pgo.connectionsPerUser.max}; token fetches by the pools: ${pgo.tokenFetches} for ${pgo.users} callers (${pgo.connectionsOpened} connections opened); open pools at most ${pgo.maxOpenPools} (limit ${pgo.maxPoolsLimit}).`,
  '',
  '## 5. Memory: cached On-Behalf-Of tokens',
  '',
  '| cache limit | callers | cached | IdP requests | heap growth MiB | RSS MiB |',
  '| --- | --- | --- | --- | --- | --- |',
  ...Object.values(mem).map(
    (m) =>
      `| ${fmt(m.limit)} | ${fmt(m.callers)} | ${fmt(m.cached)} | ${fmt(m.identityProviderRequests)} | ${fmt(m.heapDeltaMiB, 1)} | ${fmt(m.rssMiB, 0)} |`,
  ),
  '',
  'The heap growth includes msal-node’s own token cache, which the provider clears each time its own cache has turned over.',
  '',
  '## 6. Scale out: 2 replicas, each user’s calls alternating between them',
  '',
  ...(rep.skipped
    ? [`Skipped: ${rep.skipped}.`]
    : [
        '| shared cache | users × calls | IdP requests | first call on the other replica p50 ms | all calls p50 / p99 ms |',
        '| --- | --- | --- | --- | --- |',
        ...[
          ['none (in-memory per replica)', rep.withoutSharedCache],
          ['Redis', rep.withSharedCache],
        ].map(
          ([n, r]) =>
            `| ${n} | ${r.users} × ${r.callsPerUser} | ${fmt(r.identityProviderRequests)} | ${fmt(r.firstCallOnOtherReplicaMs.p50, 2)} | ${fmt(r.allCallsMs.p50, 2)} / ${fmt(r.allCallsMs.p99, 2)} |`,
        ),
        '',
        'In-process providers against a real redis-server on loopback; the identity provider is the emulator.',
      ]),
  '',
  '## 8. Query tool beside @modelcontextprotocol/server-postgres 0.6.2',
  '',
  ...(reference
    ? [
        '| server | calls/s | server CPU µs per call |',
        '| --- | --- | --- |',
        `| ours (\`postgres_database_query\`, stdio, SDK v1 McpServer) | ${ops(reference.ours)} | ${fmt(reference.serverCpuMicrosPerCall.ours)} |`,
        `| reference (\`query\`, stdio) | ${ops(reference.reference)} | ${fmt(reference.serverCpuMicrosPerCall.reference)} |`,
        '',
        `The same SELECT of ${reference.rows} rows, called one at a time by the same SDK v1 client over stdio, alternating between the two servers, against the same PostgreSQL through the same token gate (the reference with a password role, ours with a token).`,
      ]
    : ['Not run.']),
  '',
  '## 7. Hostile queries under load (server in its own process, `--max-old-space-size=1024`)',
  '',
  ...(hostile
    ? [
        '| run | RSS before → peak → after, MiB | rise MiB | DB sessions per hostile caller (running) | other callers: calls / lost / failed | hostile calls: 5xx / lost |',
        '| --- | --- | --- | --- | --- | --- |',
        ...hostile.runs.map(
          (r, i) =>
            `| ${i + 1} | ${fmt(r.rssBeforeMiB)} → ${fmt(r.rssPeakMiB)} → ${fmt(r.rssAfterMiB)} | ${fmt(r.rssRiseMiB)} | ${r.sessions.maxPerCaller} (${r.sessions.maxActivePerCaller}) | ${fmt(r.others.calls)} / ${r.others.lost} / ${r.others.errors} | ${r.hostile.http5xx} / ${r.hostile.lost} |`,
        ),
        '',
        '10 hostile callers each send `SELECT repeat(\'x\', 1500000) || g FROM generate_series(1, 1001) g` at once (3 rounds; before this version one such call exhausted a 1 GiB heap in 3.3 s), then one each of: a 2.2 MB single field, `json_agg` of 1.5 M objects, 300 MB of `COPY … TO STDOUT`, 20 MB of notices, a `DO` block that catches its own statement timeout, an advisory lock, a `PREPARE`, and a NUL in the database name. Four other callers call `SELECT current_user` in a loop the whole time. RSS is sampled from /proc every 20 ms; V8 keeps the heap it grew, so "after" stays near the peak.',
      ]
    : ['Not run.']),
  '',
];
if (telemetry) {
  const t = (mode, what) => telemetry[mode]?.[what];
  const vs = (mode, what) =>
    t(mode, what) && t('none', what)
      ? `${(t(mode, what).median / t('none', what).median).toFixed(2)}x`
      : 'n/a';
  lines.push(
    '## 9. The cost of telemetry (OpenTelemetry)',
    '',
    '| mode | `tools/call` postgres_database_query, calls/s | vs not installed | cached inbound validation, ops/s | vs not installed |',
    '| --- | --- | --- | --- | --- |',
    ...[
      ['@opentelemetry/api not installed', 'none'],
      ['@opentelemetry/api installed, no SDK', 'api'],
      ['Node SDK started, no exporter (spans recorded, metrics aggregated)', 'sdk'],
      ['Node SDK exporting OTLP http/json (loopback sink)', 'export'],
    ].map(
      ([label, mode]) =>
        `| ${label} | ${t(mode, 'toolCall') ? ops(t(mode, 'toolCall')) : 'n/a'} | ${vs(mode, 'toolCall')} | ${t(mode, 'validate') ? ops(t(mode, 'validate')) : 'n/a'} | ${vs(mode, 'validate')} |`,
    ),
    '',
    'Each mode in its own process (`bench/telemetry.mjs`; "not installed" makes resolving @opentelemetry/api fail as it does without the package), the modes run twice in turn and each keeps its better run. A tool call carries four spans (tool, token, connect, query) and three metric updates; a cached validation one counter and no span (a full validation has its span). In process: the SDK v1 client over InMemoryTransport, the token from the On-Behalf-Of cache, a warm pool.',
    '',
  );
}
if (facade) {
  lines.push(
    '## 10. The authorization-server façade (`@mcp-auth-kit/oauth-proxy`)',
    '',
    '| what | ops/s | vs Entra ID token, first seen |',
    '| --- | --- | --- |',
    `| façade tokens issued (refresh_token grant over HTTP: rotation, sealed store, ES256) | ${ops(facade.issued)} | |`,
    `| validate a façade token seen before (signature cached, the sign-in looked up) | ${ops(facade.facade)} | ${ratio(facade.facade.median, facade.entraFirstSeen.median)}x |`,
    `| validate an Entra ID token, first seen (RS256, full checks) | ${ops(facade.entraFirstSeen)} | 1.00x |`,
    `| validate an Entra ID token, seen before (verified-token cache) | ${ops(facade.entraCached)} | ${ratio(facade.entraCached.median, facade.entraFirstSeen.median)}x |`,
    '',
    'Validations measured in alternation in one process (`bench/facade.mjs`), the façade with its in-memory store. A façade token’s ES256 signature is checked once (a cache keyed by its SHA-256); its sign-in is looked up on every request, so a revoked sign-in ends its tokens at once on every replica (with Redis, add one round trip).',
    '',
    ...(facade.flood
      ? [
          `**An anonymous flood** (same process, default limits: 30 authorization requests a minute per address, 10,000 pending authorizations): ${fmt(facade.flood.requests)} \`GET /oauth/authorize\` from ${fmt(facade.flood.addresses)} addresses (\`X-Forwarded-For\` from a trusted loopback proxy), 50 at a time, in ${facade.flood.seconds} s.`,
          '',
          '| answer | requests |',
          '| --- | --- |',
          ...Object.entries(facade.flood.statuses).map(
            ([status, count]) =>
              `| ${status} ${{ 200: 'consent page (a pending record stored)', 429: 'rate limited per address', 503: 'pending quota full (nothing evicted)' }[status] ?? ''} | ${fmt(count)} |`,
          ),
          '',
          `Retained after the flood (heap after a full collection, the load generator's garbage gone): ${facade.flood.retainedHeapMiB} MiB, for 10,000 pending authorizations and 1,000 rate-limit windows. Process RSS: ${facade.flood.rssBeforeMiB} MiB before, ${facade.flood.rssAfterMiB} MiB after (peak ${facade.flood.peakRssMiB} MiB; the emulator and the load generator share the process). The signed-in user's access token still validated and the refresh token still rotated afterwards: ${facade.flood.signedInWorks ? 'yes' : 'no'}. Before #26 the same flood (no limit on authorize, one store of 100,000 entries evicting the oldest) evicted every grant, refresh token and client and raised memory by hundreds of MB.`,
        ]
      : []),
    '',
  );
}
const markdown = lines.join('\n');
if (smoke) {
  console.log(markdown);
  console.log('bench smoke: all benchmarks ran (figures not written; smoke runs are too short to quote)');
} else {
  writeFileSync(join(here, 'RESULTS.md'), markdown);
  console.log('bench: wrote bench/RESULTS.md');
}
