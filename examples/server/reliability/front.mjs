// Hostile callers against the stateless Entra front: property-based fuzzing of its registration,
// token relay and authorize redirect. Any 500 or lost call is a counterexample; the token relay
// forwards to the emulated Entra ID, whose refusals must come back as they are.
import { randomUUID } from 'node:crypto';
import { EntraFront } from '@mcp-auth-kit/oauth-proxy';
import { freePort } from '@mcp-auth-kit/testing';
import fc from 'fast-check';
import { oauthFuzzer } from './facade.mjs';

export async function fuzzEntraFront({ emulator, start, results, logs, progress, healthy, logger }) {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const clientId = randomUUID();
  const secret = `rel-${randomUUID()}`;
  emulator.registerApp({ clientId, secret, identifierUris: [`${origin}/mcp`], exposedScopes: ['mcp.tools'] });
  const publicClient = emulator.registerApp({
    publicClient: true,
    redirectUris: ['http://localhost/callback'],
  });
  const front = new EntraFront({
    issuer: origin,
    resource: `${origin}/mcp`,
    instance: emulator.instance,
    tenantId: emulator.tenantId,
    publicClient: { clientId: publicClient.clientId, redirectUris: publicClient.redirectUris },
    // limits high enough that bodies reach the parsers (the limits themselves are tested elsewhere)
    rateLimits: {
      registrationsPerMinute: 100_000,
      authorizationsPerMinute: 100_000,
      tokenRequestsPerMinute: 100_000,
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
    { port, authorizationServer: front },
  );
  const { send, fuzz, postJson, postForm } = oauthFuzzer({
    origin,
    server,
    label: 'Entra front',
    results,
    logs,
    progress,
    healthy,
  });
  const values = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.constantFrom(
      'authorization_code',
      'refresh_token',
      'offline_access',
      'openid',
      `${origin}/mcp`,
      publicClient.clientId,
    ),
  );
  const form = (keys) => fc.dictionary(fc.constantFrom(...keys), values, { maxKeys: keys.length });
  await fuzz(
    'registration',
    fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.record(
        {
          redirect_uris: fc.array(fc.oneof(fc.string(), fc.webUrl()), { maxLength: 12 }),
          client_name: fc.string(),
        },
        { requiredKeys: [] },
      ),
    ),
    postJson('/oauth/register'),
  );
  await fuzz(
    'token relay',
    form([
      'grant_type',
      'client_id',
      'code',
      'refresh_token',
      'code_verifier',
      'redirect_uri',
      'scope',
      'resource',
    ]),
    postForm('/oauth/token'),
  );
  await fuzz(
    'authorize redirect',
    form(['client_id', 'redirect_uri', 'scope', 'resource', 'state', 'code_challenge']),
    (fields) => send(`/oauth/authorize?${new URLSearchParams(fields)}`),
  );
  await server.close();
}
