import { OAuthError } from '../errors.js';

/** Largest request body the façade reads (forms and registration JSON). */
export const MAX_BODY_BYTES = 16 * 1024;

/**
 * A body (of a request, or of an answer from Entra ID) read to at most `maxBytes`: undefined one byte
 * past it, without reading further.
 */
export async function readBounded(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
): Promise<Buffer | undefined> {
  if (!body) return Buffer.alloc(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

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
