import { readBounded } from '@mcp-auth-kit/auth-core/internal';
import { OAuthError } from '../errors.js';

export { readBounded };

/** Largest request body the façade reads (forms and registration JSON). */
export const MAX_BODY_BYTES = 16 * 1024;

/** The request body as text, refused (413) one byte past `MAX_BODY_BYTES`. */
export async function readBody(request: Request): Promise<string> {
  const body = await readBounded(request.body, MAX_BODY_BYTES);
  if (!body) {
    throw new OAuthError(413, 'invalid_request', `the request body is larger than ${MAX_BODY_BYTES} bytes`);
  }
  return body.toString('utf8');
}

export async function readForm(request: Request): Promise<URLSearchParams> {
  if (!/^application\/x-www-form-urlencoded\b/i.test(request.headers.get('content-type') ?? '')) {
    throw new OAuthError(400, 'invalid_request', 'the body must be application/x-www-form-urlencoded');
  }
  return new URLSearchParams(await readBody(request));
}

/** The token request's grant: the two both authorization servers here serve, else `unsupported_grant_type`. */
export function codeOrRefreshGrant(form: URLSearchParams): 'authorization_code' | 'refresh_token' {
  const grant = form.get('grant_type');
  if (grant !== 'authorization_code' && grant !== 'refresh_token') {
    throw new OAuthError(
      400,
      'unsupported_grant_type',
      'grant_type must be authorization_code or refresh_token',
    );
  }
  return grant;
}

export async function readJson(request: Request): Promise<unknown> {
  if (!/^application\/json\b/i.test(request.headers.get('content-type') ?? '')) {
    throw new OAuthError(400, 'invalid_client_metadata', 'the body must be application/json');
  }
  const text = await readBody(request);
  try {
    return JSON.parse(text);
  } catch {
    throw new OAuthError(400, 'invalid_client_metadata', 'the body is not JSON');
  }
}
