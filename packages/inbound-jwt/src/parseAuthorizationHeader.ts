import type { InboundRequest } from '@mcp-auth-kit/auth-core';
import { InboundAuthError } from './errors.js';

/** Larger than any Entra token; Node's own header limit (16 KiB) stops anything far beyond it. */
const MAX_HEADER_LENGTH = 16_384 + 7;

/**
 * The bearer token of a request (RFC 6750 §2.1). Throws `missing_token` when there is none, and
 * `invalid_request` for a malformed, repeated or oversized Authorization header. The token's own
 * syntax (token68) is checked by the validator when it validates a token it has not seen.
 */
export function parseAuthorizationHeader(
  request: InboundRequest & { rawHeaders?: readonly string[] },
): string {
  const value = request.headers.authorization;
  let count = Array.isArray(value) ? value.length : value === undefined ? 0 : 1;
  const raw = request.rawHeaders;
  if (raw) {
    count = 0;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      if (name.length === 13 && name.toLowerCase() === 'authorization') count++;
    }
  }
  if (count > 1 || Array.isArray(value)) {
    throw new InboundAuthError('invalid_request', 'the request has more than one Authorization header', {
      reason: 'malformed',
    });
  }
  if (value === undefined || value.trim() === '') {
    throw new InboundAuthError('missing_token', 'a bearer token is required');
  }
  if (value.length > MAX_HEADER_LENGTH)
    throw new InboundAuthError('invalid_request', 'the Authorization header is too large', {
      reason: 'too_large',
    });
  const space = value.indexOf(' ');
  const scheme = space === -1 ? value : value.slice(0, space);
  if (scheme.toLowerCase() !== 'bearer' || space === -1) {
    throw new InboundAuthError('invalid_request', 'the Authorization header must use the Bearer scheme', {
      reason: 'malformed',
    });
  }
  const token = value.slice(space + 1).trim();
  if (token === '') {
    throw new InboundAuthError('invalid_request', 'the Authorization header must be "Bearer <token>"', {
      reason: 'malformed',
    });
  }
  return token;
}
