// The resource / scope / audience coherence of the sign-in rules (AADSTS9010010).
import { type AzureAdConfig, isLoopbackHost } from '@mcp-auth-kit/auth-core';
import { scopesForResource } from '@mcp-auth-kit/inbound-jwt';
import { AADSTS_FIXES } from './causes.js';
import type { CheckResult } from './types.js';

export function checkCoherence(azureAd: AzureAdConfig, resourceUrl: string | undefined): CheckResult {
  const name = 'resource, scopes and audience';
  if (!resourceUrl) {
    return {
      name,
      status: 'skip',
      detail:
        'no --resource-url: the metadata derives the resource from each request (pin it behind an ingress)',
    };
  }
  let resource: URL;
  try {
    resource = new URL(resourceUrl);
  } catch {
    return {
      name,
      status: 'fail',
      detail: `--resource-url ${resourceUrl} is not a URL`,
      fix: 'pass the public MCP URL',
    };
  }
  if (resource.protocol !== 'https:' && !isLoopbackHost(resource.hostname)) {
    return {
      name,
      status: 'fail',
      detail: `${resource.href} is not https: MCP clients refuse it and Entra ID does not accept it as an identifier URI`,
      fix: 'serve the MCP endpoint over https (a TLS-terminating ingress is fine) and pass that URL',
    };
  }
  const prefix = `${resource.href.replace(/\/$/, '')}/`;
  const stray = azureAd.requiredScopes.filter((s) => s.includes('://') && !s.startsWith(prefix));
  if (stray.length > 0) {
    return {
      name,
      status: 'fail',
      detail: `requiredScopes ${stray.join(', ')} do not start with ${prefix}: clients send the resource with these scopes and Entra ID refuses the pair (AADSTS9010010)`,
      fix: AADSTS_FIXES['9010010']!,
    };
  }
  const accepted = new Set([
    azureAd.clientId,
    `api://${azureAd.clientId}`,
    resource.href,
    resource.href.replace(/\/$/, ''),
  ]);
  if (azureAd.audience && !accepted.has(azureAd.audience)) {
    return {
      name,
      status: 'fail',
      detail: `azureAd.audience ${azureAd.audience} is neither the client id (v2 tokens) nor the resource URL (v1 tokens): tokens for ${resource.href} would be refused`,
      fix: 'drop azureAd.audience, or set it to the client id',
    };
  }
  return {
    name,
    status: 'pass',
    detail: `resource ${resource.href}; clients ask for ${scopesForResource(resource, azureAd).join(' ')}; the app's Application ID URI must be ${resource.href.replace(/\/$/, '')}`,
  };
}

/** The managed identity endpoint, where the configuration uses one. */
