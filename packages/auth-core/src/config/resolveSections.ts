import type { ConfigIssue } from '../errors.js';
import { checkFields } from './configIssues.js';
import { CREDENTIAL_KIND_RULES } from './rules.js';
import { SecretValue } from './SecretValue.js';
import { GUID_PATTERN, type RawServerConfig } from './schema.js';
import type {
  AzureAdConfig,
  ClientCredentialConfig,
  ParseServerConfigOptions,
  TokenCacheConfig,
} from './types.js';
import { isSecureOrLoopbackUrl } from './urls.js';

const DEFAULT_CLOCK_SKEW_SECONDS = 120;
const MULTI_TENANT_IDS = new Set(['organizations', 'common']);
export function resolveAzureAd(
  raw: NonNullable<RawServerConfig['inboundAuthentication']['azureAd']>,
  issues: ConfigIssue[],
) {
  const path = 'inboundAuthentication.azureAd';
  let instance = raw.instance;
  let url: URL | undefined;
  try {
    url = new URL(raw.instance);
  } catch {
    issues.push({
      path: `${path}.instance`,
      message: 'must be an absolute URL such as https://login.microsoftonline.com/',
    });
  }
  if (url) {
    if (!isSecureOrLoopbackUrl(url)) {
      issues.push({
        path: `${path}.instance`,
        message: 'must use https (http is accepted only on a loopback host)',
      });
    }
    if (url.search || url.hash || url.username || url.password) {
      issues.push({ path: `${path}.instance`, message: 'must not carry a query, fragment or credentials' });
    }
    instance = url.href.endsWith('/') ? url.href : `${url.href}/`;
  }

  const tenantId = raw.tenantId.toLowerCase();
  const multiTenant = MULTI_TENANT_IDS.has(tenantId);
  if (!multiTenant && !GUID_PATTERN.test(tenantId)) {
    issues.push({
      path: `${path}.tenantId`,
      message: 'must be the tenant GUID, or "organizations"/"common" with allowedTenants',
    });
  }
  if (multiTenant && (raw.allowedTenants?.length ?? 0) === 0) {
    issues.push({
      path: `${path}.allowedTenants`,
      message: `required (non-empty) when tenantId is "${tenantId}": accepting every tenant is never implied`,
    });
  }
  if (!multiTenant && raw.allowedTenants !== undefined) {
    issues.push({
      path: `${path}.allowedTenants`,
      message: 'only allowed when tenantId is "organizations" or "common"',
    });
  }
  if (raw.clientId === undefined && raw.audience === undefined) {
    issues.push({
      path: `${path}.audience`,
      message: 'clientId or audience is required: tokens are always audience-checked',
    });
  }

  const resolved: AzureAdConfig = {
    instance,
    tenantId,
    clientId: raw.clientId?.toLowerCase(),
    audience: raw.audience,
    requiredRoles: raw.requiredRoles ?? [],
    requiredScopes: raw.requiredScopes ?? [],
    allowedTenants: (raw.allowedTenants ?? []).map((t) => t.toLowerCase()),
    clockSkewSeconds: raw.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS,
    allowedAlgorithms: raw.allowedAlgorithms ?? ['RS256'],
  };
  return resolved;
}

export function resolveSecret(
  raw: string | { fromEnv: string } | undefined,
  path: string,
  options: ParseServerConfigOptions<string, string>,
  issues: ConfigIssue[],
): SecretValue | undefined {
  if (typeof raw === 'string') return new SecretValue(raw);
  if (!raw) return undefined;
  const value = (options.env ?? process.env)[raw.fromEnv];
  if (value === undefined || value === '') {
    issues.push({ path: `${path}.fromEnv`, message: `environment variable ${raw.fromEnv} is not set` });
    return undefined;
  }
  return new SecretValue(value, `env:${raw.fromEnv}`);
}

export function resolveTokenCache(
  raw: NonNullable<RawServerConfig['outboundAuthentication']['tokenCache']>,
  options: ParseServerConfigOptions<string, string>,
  issues: ConfigIssue[],
): TokenCacheConfig | undefined {
  const path = 'outboundAuthentication.tokenCache';
  const url = resolveSecret(raw.url, `${path}.url`, options, issues);
  const encryptionKey = resolveSecret(raw.encryptionKey, `${path}.encryptionKey`, options, issues);
  if (url) {
    let scheme = '';
    try {
      scheme = new URL(url.reveal()).protocol;
    } catch {
      scheme = '';
    }
    if (scheme !== 'redis:' && scheme !== 'rediss:') {
      issues.push({ path: `${path}.url`, message: 'must be a redis:// or rediss:// URL' });
    }
  }
  if (encryptionKey && Buffer.from(encryptionKey.reveal(), 'base64').length !== 32) {
    issues.push({
      path: `${path}.encryptionKey`,
      message: 'must be 32 bytes, base64-encoded (openssl rand -base64 32)',
    });
  }
  if (!url || !encryptionKey) return undefined;
  return { type: raw.type, url, encryptionKey, keyPrefix: raw.keyPrefix ?? 'mcp-auth-kit' };
}

export function resolveCredential(
  raw: NonNullable<RawServerConfig['outboundAuthentication']['clientCredential']>,
  options: ParseServerConfigOptions<string, string>,
  issues: ConfigIssue[],
): ClientCredentialConfig {
  const path = 'outboundAuthentication.clientCredential';
  const rule = CREDENTIAL_KIND_RULES[raw.kind];
  if (!rule) {
    issues.push({
      path: `${path}.kind`,
      message: `unknown kind; known kinds: ${Object.keys(CREDENTIAL_KIND_RULES).join(', ')}`,
    });
  } else {
    const { kind: _k, ...fields } = raw;
    checkFields(path, `kind ${raw.kind}`, fields, rule.fields, issues);
  }

  const secret = resolveSecret(raw.secret, `${path}.secret`, options, issues);

  if (raw.keyVaultUrl !== undefined) {
    try {
      const url = new URL(raw.keyVaultUrl);
      if (!isSecureOrLoopbackUrl(url)) {
        issues.push({
          path: `${path}.keyVaultUrl`,
          message: 'must use https (http is accepted only on a loopback host)',
        });
      }
    } catch {
      issues.push({
        path: `${path}.keyVaultUrl`,
        message: 'must be an absolute URL such as https://myvault.vault.azure.net/',
      });
    }
  }

  return {
    kind: raw.kind,
    secret,
    keyVaultUrl: raw.keyVaultUrl,
    certificateName: raw.certificateName,
    certificatePath: raw.certificatePath,
    managedIdentityClientId: raw.managedIdentityClientId?.toLowerCase(),
  };
}
