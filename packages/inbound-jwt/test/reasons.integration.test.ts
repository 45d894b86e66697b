// An invalid token says which check refused it (reason), as jose's errors carry claim / reason; the
// error is an McpAuthKitError like every error of the kit (code, retryable, cause).
import { McpAuthKitError } from '@mcp-auth-kit/auth-core';
import { InboundAuthError, JwtBearerValidator } from '@mcp-auth-kit/inbound-jwt';
import { EntraEmulator } from '@mcp-auth-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_ID, azureAdFor } from './helpers.js';

let emulator: EntraEmulator;
let validator: JwtBearerValidator;
beforeAll(async () => {
  emulator = await EntraEmulator.start();
  validator = new JwtBearerValidator(azureAdFor(emulator));
});
afterAll(async () => {
  await emulator?.stop();
});

const now = () => Math.floor(Date.now() / 1000);
const token = (claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
  emulator.mintUserToken({
    user: emulator.addUser({ userPrincipalName: `r-${Math.random().toString(36).slice(2)}@contoso.com` }),
    audience: APP_ID,
    scopes: ['mcp.tools'],
    claims,
    header,
  });

describe('invalid-token reasons', () => {
  it.each([
    ['not a JWT', async () => 'garbage', 'malformed'],
    ['expired', async () => token({ exp: now() - 600 }), 'expired'],
    ['not yet valid', async () => token({ nbf: now() + 600 }), 'not_yet_valid'],
    ['a lifetime beyond the maximum', async () => token({ exp: now() + 40 * 3600 }), 'lifetime'],
    ['another audience', async () => token({ aud: 'someone-else' }), 'audience'],
    ['another issuer', async () => token({ iss: 'https://evil.example/v2.0' }), 'issuer'],
    ['an unknown key', async () => token({}, { kid: 'nope' }), 'unknown_key'],
    ['no scope or role', async () => token({ scp: undefined }), 'no_scope_or_role'],
    ['a JWE', async () => 'a.b.c.d.e', 'encrypted'],
  ])('%s', async (_name, make, reason) => {
    const error = await validator.validate(await make()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InboundAuthError);
    expect(error).toBeInstanceOf(McpAuthKitError);
    expect(error).toMatchObject({ code: 'invalid_token', reason, retryable: false });
  });
});
