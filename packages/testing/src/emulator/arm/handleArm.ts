// One ARM request: faults, authentication (ARM's audiences and error codes), api-version, then the
// route table.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JWTPayload } from 'jose';
import type { Fault } from '../../faults.js';
import type { EmulatorContext } from '../internals.js';
import { ARM_AUDIENCES, type ArmEmulator } from './ArmEmulator.js';
import { ArmError, send } from './resources.js';
import { route } from './routes.js';

/** Answers one ARM request on the emulator's https origin (paths under `/subscriptions/`). */
export async function handleArm(
  ctx: EmulatorContext,
  arm: ArmEmulator,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  fault: Fault | undefined,
  record: { objectId?: string; scope?: string },
): Promise<void> {
  try {
    if (fault?.kind === 'status') {
      throw new ArmError(
        fault.status,
        fault.status === 429 ? 'TooManyRequests' : 'InternalServerError',
        fault.status === 429
          ? 'The request is being throttled as the limit has been reached for operation type - Read_ObservationWindow_00:05:00. For more information, refer to - https://aka.ms/srpthrottlinglimits'
          : 'The server encountered an internal error (emulated).',
        fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) },
      );
    }
    const claims = await authenticate(ctx, req);
    const principalId = String(claims.oid ?? '');
    record.objectId = principalId;
    const caller = String(
      claims.upn ?? claims.preferred_username ?? claims.appid ?? claims.azp ?? principalId,
    );
    if (!url.searchParams.get('api-version')) {
      throw new ArmError(
        400,
        'MissingApiVersionParameter',
        'The api-version query parameter (?api-version=) is required for all requests.',
      );
    }
    const { status, body, headers } = await route(ctx, arm, req, url, principalId, caller);
    send(res, status, body, headers);
  } catch (error) {
    if (!(error instanceof ArmError)) throw error;
    send(res, error.status, { error: { code: error.code, message: error.message } }, error.headers);
  }
}

async function authenticate(ctx: EmulatorContext, req: IncomingMessage): Promise<JWTPayload> {
  const auth = req.headers.authorization;
  if (!auth?.startsWith('Bearer ')) {
    throw new ArmError(
      401,
      'AuthenticationFailed',
      "Authentication failed. The 'Authorization' header is missing.",
      {
        'www-authenticate': `Bearer authorization_uri="${ctx.emulator.authority()}", error="invalid_token", error_description="The authentication failed because of missing 'Authorization' header."`,
      },
    );
  }
  const token = auth.slice('Bearer '.length);
  let claims: JWTPayload;
  try {
    claims = await ctx.emulator.verify(token);
  } catch {
    throw new ArmError(401, 'InvalidAuthenticationToken', 'The access token is invalid.');
  }
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud ?? ''];
  if (!audiences.some((a) => ARM_AUDIENCES.includes(a))) {
    throw new ArmError(
      401,
      'InvalidAuthenticationTokenAudience',
      `The access token has been obtained for wrong audience or resource '${String(audiences[0]).slice(0, 200)}'. It should exactly match with one of the allowed audiences ${ARM_AUDIENCES.map((a) => `'${a}'`).join(',')}.`,
    );
  }
  return claims;
}
