// Who is calling the token and revocation endpoints: client_id (and secret, for confidential DCR
// clients) from the form or from HTTP Basic (RFC 6749 §2.3.1).
import type { ClientRecord } from '../clients/clientRecord.js';
import type { FacadeContext } from '../context.js';
import { safeEqual, sha256 } from '../crypto.js';
import { ClientMetadataError, OAuthError } from '../errors.js';

const challenge = { 'www-authenticate': 'Basic realm="oauth"' };

export async function authenticateClient(
  ctx: FacadeContext,
  request: Request,
  form: URLSearchParams,
  address: string,
): Promise<ClientRecord> {
  let clientId = form.get('client_id') ?? '';
  let secret = form.get('client_secret') ?? undefined;
  const basic = /^Basic (.+)$/i.exec(request.headers.get('authorization') ?? '');
  if (basic) {
    // both parts form-encoded; a malformed one is a failed authentication
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const at = decoded.indexOf(':');
    try {
      clientId = decodeURIComponent((at < 0 ? decoded : decoded.slice(0, at)).replaceAll('+', ' '));
      secret = at < 0 ? undefined : decodeURIComponent(decoded.slice(at + 1).replaceAll('+', ' '));
    } catch {
      throw new OAuthError(401, 'invalid_client', 'the Basic credentials are not form-encoded', challenge);
    }
  }
  let client: ClientRecord | undefined;
  try {
    client = await ctx.clients.find(clientId, address);
  } catch (error) {
    if (error instanceof ClientMetadataError) throw new OAuthError(401, 'invalid_client', error.message);
    throw error;
  }
  if (!client) throw new OAuthError(401, 'invalid_client', 'unknown client');
  if (client.secretHash && (!secret || !safeEqual(sha256(secret), client.secretHash))) {
    throw new OAuthError(401, 'invalid_client', 'client authentication failed', challenge);
  }
  return client;
}
