// `doctor`'s check of who may sign in: whether the tenant advertises Entra ID's Client ID Metadata
// Documents (preview), whether the Entra front passes that on, and which clients the server's
// policy (`mcpServer.allowedClients`) admits.
import { ClientPolicy } from '@mcp-auth-kit/inbound-jwt';
import type { McpServerSection } from '../exampleConfig.js';
import type { CheckResult } from './types.js';

export function checkClients(
  discovery: Record<string, unknown> | undefined,
  mcpServer: McpServerSection,
): CheckResult {
  const name = 'clients (Client ID Metadata Documents, allowedClients)';
  let admitted: string;
  try {
    const list = mcpServer.allowedClients;
    admitted = list
      ? `the server admits only ${new ClientPolicy(list, 'mcpServer.allowedClients').describe().join('; ')}`
      : 'the server admits every client the tenant admitted (no mcpServer.allowedClients)';
  } catch (error) {
    return {
      name,
      status: 'fail',
      detail: (error as Error).message,
      fix: 'list app ids, or { appId, documentUrl } for a metadata-document client',
    };
  }
  const frontSays = mcpServer.entraFront?.clientIdMetadataDocuments === true;
  if (!discovery) {
    return { name, status: 'skip', detail: `needs OIDC discovery; ${admitted}` };
  }
  const tenantHas = discovery.client_id_metadata_document_supported === true;
  if (frontSays && !tenantHas) {
    return {
      name,
      status: 'fail',
      detail:
        'mcpServer.entraFront.clientIdMetadataDocuments is on but the tenant does not advertise client_id_metadata_document_supported: clients would send their document URL as client_id and Entra ID would refuse it (AADSTS700016)',
      fix: 'turn clientIdMetadataDocuments off until the tenant has Client ID Metadata Documents (preview)',
    };
  }
  const tenant = tenantHas
    ? frontSays || !mcpServer.entraFront
      ? 'the tenant advertises Client ID Metadata Documents: clients with a document sign in with its URL as client_id, as agent identities (an administrator may have to grant consent)'
      : 'the tenant advertises Client ID Metadata Documents, but the Entra front does not pass it on (set mcpServer.entraFront.clientIdMetadataDocuments)'
    : 'the tenant does not advertise Client ID Metadata Documents: clients sign in with a client id Entra ID knows';
  return { name, status: 'pass', detail: `${tenant}; ${admitted}` };
}
