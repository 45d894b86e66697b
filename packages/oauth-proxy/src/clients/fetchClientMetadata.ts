// The façade's view of auth-core's document fetch: a refusal is the façade's `invalid_client`.
import { AuthCoreError } from '@mcp-auth-kit/auth-core';
import { fetchMetadataDocument, type MetadataFetchOptions } from '@mcp-auth-kit/auth-core/internal';
import { ClientMetadataError } from '../errors.js';

export type { MetadataFetchOptions };

/**
 * Fetches a Client ID Metadata Document with auth-core's SSRF guards (public addresses only, no
 * redirects, 5 KiB, one overall deadline); a refusal is a `ClientMetadataError('invalid_client')`.
 */
export async function fetchClientMetadata(
  clientId: string,
  options: MetadataFetchOptions = {},
): Promise<{ document: unknown; maxAgeSeconds: number }> {
  try {
    return await fetchMetadataDocument(clientId, options);
  } catch (error) {
    if (error instanceof AuthCoreError && error.code === 'metadata_document_invalid') {
      throw new ClientMetadataError('invalid_client', error.message);
    }
    throw error;
  }
}
