import { entraError } from '../http.js';
import type { EmulatorContext } from './internals.js';

export function tenantFromPath(ctx: EmulatorContext, segment: string): string {
  const tenant = segment.toLowerCase();
  if (tenant === ctx.emulator.tenantId || tenant === 'organizations' || tenant === 'common') return tenant;
  if ([...ctx.users.values()].some((u) => u.tenantId === tenant)) return tenant;
  throw entraError(400, 'invalid_tenant', 90002, `Tenant '${segment}' not found.`);
}

export function discoveryV2(ctx: EmulatorContext, tenant: string): Record<string, unknown> {
  const base = `${ctx.emulator.httpsUrl}/${tenant}`;
  const issuerTenant = tenant === 'organizations' || tenant === 'common' ? '{tenantid}' : tenant;
  return {
    issuer: `${ctx.emulator.httpsUrl}/${issuerTenant}/v2.0`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    token_endpoint: `${base}/oauth2/v2.0/token`,
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
    grant_types_supported: [
      'authorization_code',
      'refresh_token',
      'client_credentials',
      'urn:ietf:params:oauth:grant-type:jwt-bearer',
    ],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    claims_supported: [
      'sub',
      'iss',
      'aud',
      'exp',
      'iat',
      'nbf',
      'name',
      'oid',
      'tid',
      'ver',
      'preferred_username',
    ],
    tenant_region_scope: 'NA',
    cloud_instance_name: 'emulator',
    request_uri_parameter_supported: false,
    // Client ID Metadata Documents (preview): only where the tenant has them
    ...(ctx.cimd.enabled ? { client_id_metadata_document_supported: true } : {}),
  };
}

export function discoveryV1(ctx: EmulatorContext, tenant: string): Record<string, unknown> {
  const base = `${ctx.emulator.httpsUrl}/${tenant}`;
  const issuerTenant = tenant === 'organizations' || tenant === 'common' ? '{tenantid}' : tenant;
  return {
    issuer: `https://sts.windows.net/${issuerTenant}/`,
    token_endpoint: `${base}/oauth2/token`,
    jwks_uri: `${ctx.emulator.httpsUrl}/common/discovery/keys`,
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    cloud_instance_name: 'emulator',
  };
}
