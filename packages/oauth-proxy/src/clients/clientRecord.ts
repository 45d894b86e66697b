// Client registration: Client ID Metadata Documents and Dynamic Client Registration (RFC 7591)
// yield the same client record; redirect URIs are https or loopback http, matched exactly.
import { isLoopbackHost } from '@mcp-auth-kit/auth-core';
import { ClientMetadataError } from '../errors.js';

export interface ClientRecord {
  readonly clientId: string;
  readonly clientName: string | undefined;
  readonly redirectUris: readonly string[];
  /** `none` (public client, PKCE only) or `client_secret_post` / `client_secret_basic` (DCR). */
  readonly tokenEndpointAuthMethod: 'none' | 'client_secret_post' | 'client_secret_basic';
  /** SHA-256 of the client secret (DCR confidential clients only). */
  readonly secretHash?: string;
  readonly source: 'cimd' | 'dcr';
}

const MAX_URIS = 10;
export const MAX_URI_LENGTH = 2000;

/** A redirect URI a client may register: https, or http on a loopback host; no fragment. */
export function checkRedirectUri(uri: unknown): string {
  if (typeof uri !== 'string' || uri.length === 0 || uri.length > MAX_URI_LENGTH) {
    throw new ClientMetadataError(
      'invalid_redirect_uri',
      `a redirect URI must be a string of at most ${MAX_URI_LENGTH} characters`,
    );
  }
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new ClientMetadataError('invalid_redirect_uri', `redirect URI ${uri.slice(0, 100)} is not a URL`);
  }
  if (url.hash)
    throw new ClientMetadataError('invalid_redirect_uri', 'a redirect URI must not have a fragment');
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw new ClientMetadataError(
      'invalid_redirect_uri',
      `redirect URI ${uri.slice(0, 100)} must be https, or http on a loopback host`,
    );
  }
  return uri;
}

/**
 * A client name fit to show a person: control and format characters (`\p{Cc}`, `\p{Cf}`: bidi
 * overrides, zero-width joiners and spaces) removed, so a name cannot disguise itself as another.
 */
export function displayName(name: string): string {
  return name.replace(/[\p{Cc}\p{Cf}]/gu, '').trim();
}

/** The client metadata both registration paths accept (RFC 7591 names). */
export function parseClientMetadata(
  body: unknown,
  source: 'cimd' | 'dcr',
): Omit<ClientRecord, 'clientId' | 'secretHash'> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ClientMetadataError('invalid_client_metadata', 'client metadata must be a JSON object');
  }
  const m = body as Record<string, unknown>;
  if (!Array.isArray(m.redirect_uris) || m.redirect_uris.length === 0 || m.redirect_uris.length > MAX_URIS) {
    throw new ClientMetadataError('invalid_redirect_uri', `redirect_uris must list 1 to ${MAX_URIS} URIs`);
  }
  const redirectUris = m.redirect_uris.map(checkRedirectUri);
  const method = m.token_endpoint_auth_method ?? (source === 'dcr' ? 'client_secret_basic' : 'none');
  const allowed = source === 'cimd' ? ['none'] : ['none', 'client_secret_post', 'client_secret_basic'];
  if (typeof method !== 'string' || !allowed.includes(method)) {
    throw new ClientMetadataError(
      'invalid_client_metadata',
      `token_endpoint_auth_method must be one of ${allowed.join(', ')}`,
    );
  }
  for (const [field, values] of [
    ['grant_types', ['authorization_code', 'refresh_token']],
    ['response_types', ['code']],
  ] as const) {
    const v = m[field];
    if (v === undefined) continue;
    if (!Array.isArray(v) || v.some((x) => !(values as readonly string[]).includes(x as string))) {
      throw new ClientMetadataError('invalid_client_metadata', `${field} may only hold ${values.join(', ')}`);
    }
  }
  const name = m.client_name;
  if (name !== undefined && (typeof name !== 'string' || name.length > 200)) {
    throw new ClientMetadataError(
      'invalid_client_metadata',
      'client_name must be a string of at most 200 characters',
    );
  }
  const shown = typeof name === 'string' ? displayName(name) : '';
  return {
    clientName: shown === '' ? undefined : shown,
    redirectUris,
    tokenEndpointAuthMethod: method as ClientRecord['tokenEndpointAuthMethod'],
    source,
  };
}

/** Whether a client_id is a Client ID Metadata Document URL (else a DCR-issued id). */
export function isMetadataDocumentUrl(clientId: string): boolean {
  return clientId.startsWith('https://') || clientId.startsWith('http://');
}
