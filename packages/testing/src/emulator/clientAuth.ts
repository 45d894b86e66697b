import { createPublicKey } from 'node:crypto';
import { decodeProtectedHeader, type JWTPayload, jwtVerify } from 'jose';
import { entraError } from '../http.js';
import { thumbprints } from '../pki.js';
import type { EmulatedApp } from '../types.js';
import { type EmulatorContext, FIC_AUDIENCE } from './internals.js';

export async function authenticateClient(
  ctx: EmulatorContext,
  form: URLSearchParams,
  tokenUrl: string,
): Promise<EmulatedApp> {
  const clientId = (form.get('client_id') ?? '').toLowerCase();
  const app = ctx.apps.get(clientId);
  if (!app) {
    throw entraError(
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId}' was not found in the directory.`,
    );
  }
  const secret = form.get('client_secret');
  const assertion = form.get('client_assertion');
  if (secret !== null) {
    if (app.secret === undefined || secret !== app.secret) {
      throw entraError(401, 'invalid_client', 7000215, 'Invalid client secret provided.');
    }
    return app;
  }
  if (assertion !== null) {
    if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
      throw entraError(400, 'invalid_request', 50027, 'Invalid client_assertion_type.');
    }
    await verifyClientAssertion(ctx, app, assertion, tokenUrl);
    return app;
  }
  throw entraError(
    401,
    'invalid_client',
    7000218,
    "The request body must contain 'client_assertion' or 'client_secret'.",
  );
}

export async function verifyClientAssertion(
  ctx: EmulatorContext,
  app: EmulatedApp,
  assertion: string,
  tokenUrl: string,
): Promise<void> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(assertion);
  } catch {
    throw entraError(401, 'invalid_client', 50012, 'Client assertion is not a valid JWT.');
  }
  const fail = (why: string) =>
    entraError(401, 'invalid_client', 700027, `Client assertion failed signature validation. ${why}`);
  if (header.kid && ctx.keys().some((k) => k.kid === header.kid)) {
    // A federated credential: a token the emulator issued to the app's trusted managed identity.
    if (!app.federatedManagedIdentityObjectId) throw fail('No federated identity credential is configured.');
    let payload: JWTPayload;
    try {
      payload = await ctx.emulator.verify(assertion, { audience: FIC_AUDIENCE });
    } catch {
      throw entraError(
        400,
        'invalid_client',
        700024,
        'Client assertion is not within its valid time range or has the wrong audience.',
      );
    }
    if (payload.sub !== app.federatedManagedIdentityObjectId) {
      throw entraError(
        400,
        'invalid_client',
        70021,
        'No matching federated identity record found for presented assertion.',
      );
    }
    return;
  }
  if (!app.certificatePem || !app.certificateThumbprintSha256) throw fail('No certificate is registered.');
  const x5tS256 = header['x5t#S256'];
  const x5t = header.x5t;
  const { thumbprintSha1 } = thumbprints(app.certificatePem);
  const sha256 = Buffer.from(app.certificateThumbprintSha256, 'hex').toString('base64url');
  const sha1 = Buffer.from(thumbprintSha1, 'hex').toString('base64url');
  if (x5tS256 !== sha256 && x5t !== sha1) throw fail('Key was not found (thumbprint mismatch).');
  try {
    const key = createPublicKey(app.certificatePem);
    await jwtVerify(assertion, key, {
      algorithms: ['PS256', 'RS256'],
      audience: [tokenUrl, tokenUrl.replace('/oauth2/v2.0/token', '/oauth2/token')],
      issuer: app.clientId,
      subject: app.clientId,
      clockTolerance: 5,
    });
  } catch {
    throw fail('Signature, audience, issuer or lifetime is invalid.');
  }
}
