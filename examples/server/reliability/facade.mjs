// Hostile callers against the authorization-server façade: property-based fuzzing of every
// endpoint (registration bodies, token and revocation forms, authorize and callback queries, the
// consent form). Any 500 or lost call is a counterexample. No fuzzed client_id is a URL, so no
// metadata document is fetched: every request stays on loopback.
import { randomUUID } from 'node:crypto';
import { OAuthProxy } from '@mcp-auth-kit/oauth-proxy';
import { freePort } from '@mcp-auth-kit/testing';
import fc from 'fast-check';

export async function fuzzFacade({ emulator, start, results, logs, progress, healthy, logger }) {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const clientId = randomUUID();
  const secret = `rel-${randomUUID()}`;
  emulator.registerApp({
    clientId,
    secret,
    identifierUris: [`${issuer}/mcp`],
    exposedScopes: ['mcp.tools'],
    redirectUris: [`${issuer}/oauth/callback`],
  });
  const proxy = new OAuthProxy({
    issuer,
    resource: `${issuer}/mcp`,
    // limits high enough that bodies reach the parsers (the limits themselves are tested elsewhere)
    rateLimits: {
      registrationsPerMinute: 100_000,
      authorizationsPerMinute: 100_000,
      tokenRequestsPerMinute: 100_000,
      metadataDocumentsPerMinute: 100_000,
      perClientPerMinute: 100_000,
    },
    upstream: {
      instance: emulator.instance,
      tenantId: emulator.tenantId,
      clientId,
      scopes: [`${issuer}/mcp/mcp.tools`],
      credential: { clientSecret: secret },
    },
    logger,
  });
  const server = await start(
    {
      inboundAuthentication: {
        type: 'JwtBearerScheme',
        azureAd: { instance: emulator.instance, tenantId: emulator.tenantId, clientId },
      },
      outboundAuthentication: { type: 'JwtObo', clientCredential: { kind: 'ClientSecret', secret } },
    },
    { port, authorizationServer: proxy },
  );
  const registered = await (
    await fetch(`${issuer}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: ['http://127.0.0.1:9/cb'], token_endpoint_auth_method: 'none' }),
    })
  ).json();
  const { send, fuzz, postJson, postForm } = oauthFuzzer({
    origin: issuer,
    server,
    label: 'façade',
    results,
    logs,
    progress,
    healthy,
  });
  // a string that is never a URL (so never a metadata document to fetch)
  const notUrl = fc.string({ maxLength: 120 }).filter((s) => !/^\s*https?:/i.test(s));
  const clientIds = fc.oneof(notUrl, fc.constant(registered.client_id), fc.constant(`dcr-${'0'.repeat(32)}`));
  const form = (keys) =>
    fc
      .dictionary(
        fc.constantFrom(...keys),
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.constantFrom('authorization_code', 'refresh_token', 'S256', 'allow', 'http://127.0.0.1:9/cb'),
        ),
        { maxKeys: keys.length },
      )
      .chain((d) => clientIds.map((id) => ({ ...d, client_id: id })));

  await fuzz(
    'registration',
    fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.record(
        {
          redirect_uris: fc.array(fc.oneof(notUrl, fc.webUrl()), { maxLength: 12 }),
          client_name: fc.string({ maxLength: 300 }),
          token_endpoint_auth_method: fc.string(),
          grant_types: fc.array(fc.string(), { maxLength: 3 }),
        },
        { requiredKeys: [] },
      ),
    ),
    postJson('/oauth/register'),
  );
  await fuzz(
    'token endpoint',
    form([
      'grant_type',
      'code',
      'refresh_token',
      'code_verifier',
      'redirect_uri',
      'resource',
      'client_secret',
    ]),
    postForm('/oauth/token'),
  );
  await fuzz('revocation', form(['token', 'token_type_hint', 'client_secret']), postForm('/oauth/revoke'));
  await fuzz('consent form', form(['transaction', 'csrf', 'decision']), postForm('/oauth/consent'));
  await fuzz(
    'authorize and callback queries',
    fc.tuple(
      fc.constantFrom('/oauth/authorize', '/oauth/callback'),
      form([
        'response_type',
        'redirect_uri',
        'code_challenge',
        'code_challenge_method',
        'state',
        'scope',
        'resource',
        'login_hint',
        'code',
        'error',
      ]),
    ),
    ([path, fields]) => send(`${path}?${new URLSearchParams(fields)}`),
  );
  await server.close();
}

/** What callers saw, for OAuth endpoints (no MCP body): answered statuses, 5xx other than 503, lost. */
export function oauthTally(responses) {
  const t = { calls: responses.length, ok: 0, toolErrors: 0, http: {}, http5xx: 0, lost: 0, samples: [] };
  for (const r of responses) {
    if (r.status === 0) t.lost++;
    else if (r.status >= 500 && r.status !== 503) t.http5xx++;
    if (r.status >= 200 && r.status < 400) t.ok++;
    else t.http[r.status] = (t.http[r.status] ?? 0) + 1;
  }
  return t;
}

/**
 * Sends hostile requests to an authorization server's endpoints and records, per property, what
 * callers saw: `send(path, init)` answers the status (0 for a lost call), `fuzz(name, arbitrary,
 * request)` runs 200 inputs and fails on any 500 or lost call.
 */
export function oauthFuzzer({ origin, server, label, results, logs, progress, healthy }) {
  const send = async (path, init = {}) => {
    try {
      const res = await fetch(`${origin}${path}`, {
        redirect: 'manual',
        signal: AbortSignal.timeout(10_000),
        ...init,
      });
      await res.arrayBuffer();
      return { status: res.status };
    } catch (error) {
      if (error?.name === 'TypeError' && !String(error?.cause ?? '').includes('ECONN')) return { status: -1 };
      logs.push(`${label} fuzz: lost call ${error?.name}`);
      return { status: 0 };
    }
  };
  async function fuzz(name, arbitrary, request, numRuns = 200) {
    progress(`hostile: ${label} ${name}`);
    const responses = [];
    await fc
      .assert(
        fc.asyncProperty(arbitrary, async (value) => {
          const r = await request(value);
          responses.push(r);
          return r.status !== 500 && r.status !== 0;
        }),
        { numRuns },
      )
      .catch((error) => logs.push(`${label} fuzz ${name} counterexample: ${String(error).slice(0, 300)}`));
    results.push({
      scenario: `hostile: ${label} ${name}`,
      ...oauthTally(responses),
      up: await healthy(server),
      recovered: true,
      crossings: 0,
    });
  }
  const postJson = (path) => (body) =>
    send(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const postForm = (path) => (fields) =>
    send(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields),
    });
  return { send, fuzz, postJson, postForm };
}
