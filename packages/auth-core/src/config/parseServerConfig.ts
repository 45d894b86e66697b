import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../errors.js';
import {
  CREDENTIAL_KIND_RULES,
  CUSTOM_INBOUND_RULE,
  CUSTOM_OUTBOUND_RULE,
  type FieldRule,
  INBOUND_TYPE_RULES,
  OUTBOUND_TYPE_RULES,
} from './rules.js';
import { SecretValue } from './SecretValue.js';
import { GUID_PATTERN, KNOWN_KEYS, type RawServerConfig, serverConfigSchema } from './schema.js';
import type {
  AnyServerConfig,
  AzureAdConfig,
  ClientCredentialConfig,
  InboundAuthenticationConfig,
  OutboundAuthenticationConfig,
  ServerConfig,
  TokenCacheConfig,
} from './types.js';

export interface ParseServerConfigOptions<
  CustomInbound extends string = never,
  CustomOutbound extends string = never,
> {
  /** Where secrets given as `{ "fromEnv": "NAME" }` are read; defaults to `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Shown in error messages (a file name); never the content. */
  readonly source?: string;
  /** Inbound types registered by the application besides the built-in ones. */
  readonly extraInboundTypes?: readonly CustomInbound[];
  /** Outbound types registered by the application besides the built-in ones. */
  readonly extraOutboundTypes?: readonly CustomOutbound[];
}

const DEFAULT_CLOCK_SKEW_SECONDS = 120;
const MULTI_TENANT_IDS = new Set(['organizations', 'common']);
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** True for `localhost`, `[::1]` and any 127.0.0.0/8 address. */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname.toLowerCase()) || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** The one rule for URLs the kit sends credentials to: https, or plain http only on a loopback host. */
export function isSecureOrLoopbackUrl(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
}

/**
 * Validates a parsed `appsettings.json` object and returns the typed configuration, or throws one
 * ConfigError listing every problem with its JSON path. Secret values never appear in messages.
 */
export function parseServerConfig<
  const CustomInbound extends string = never,
  const CustomOutbound extends string = never,
>(
  input: unknown,
  options: ParseServerConfigOptions<CustomInbound, CustomOutbound> = {},
): ServerConfig<CustomInbound, CustomOutbound> {
  const parsed = serverConfigSchema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError('config_invalid', zodIssues(parsed.error, input), { source: options.source });
  }
  const issues: ConfigIssue[] = [];
  const config = resolve(parsed.data, options, issues);
  if (issues.length > 0) throw new ConfigError('config_invalid', issues, { source: options.source });
  // Without issues, the rules proved what each type's member of the union promises.
  return config as ServerConfig<CustomInbound, CustomOutbound>;
}

function zodIssues(error: z.ZodError, input: unknown): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of error.issues) {
    const base = formatPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const hint = KNOWN_KEYS.find((k) => k.toLowerCase() === key.toLowerCase() && k !== key);
        out.push({
          path: joinPath(base, key),
          message: hint ? `unknown key (did you mean "${hint}"?)` : 'unknown key',
        });
      }
      continue;
    }
    // Only "is it missing" is read from the input; input values never reach a message.
    const missing = issue.path.length > 0 && valueAt(input, issue.path) === undefined;
    const message = missing ? 'required' : issue.message.replace(/^Invalid input: /, '');
    out.push({ path: base, message });
  }
  return out;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : joinPath(acc, String(key))),
    '',
  );
}

function joinPath(base: string, key: string): string {
  return base ? `${base}.${key}` : key;
}

function checkFields(
  path: string,
  owner: string,
  present: Record<string, unknown>,
  rules: Readonly<Record<string, FieldRule | undefined>>,
  issues: ConfigIssue[],
): void {
  for (const [field, value] of Object.entries(present)) {
    const rule = rules[field];
    if (value !== undefined && rule === undefined) {
      issues.push({ path: joinPath(path, field), message: `not allowed for ${owner}` });
    }
  }
  for (const [field, rule] of Object.entries(rules)) {
    if (rule === 'required' && present[field] === undefined) {
      issues.push({ path: joinPath(path, field), message: `required for ${owner}` });
    }
  }
}

function resolve(
  raw: RawServerConfig,
  options: ParseServerConfigOptions<string, string>,
  issues: ConfigIssue[],
): AnyServerConfig {
  const inbound = raw.inboundAuthentication;
  const outbound = raw.outboundAuthentication;

  const extraInbound = new Set(options.extraInboundTypes ?? []);
  const inboundRule =
    INBOUND_TYPE_RULES[inbound.type] ?? (extraInbound.has(inbound.type) ? CUSTOM_INBOUND_RULE : undefined);
  if (!inboundRule) {
    const known = [...Object.keys(INBOUND_TYPE_RULES), ...extraInbound];
    issues.push({
      path: 'inboundAuthentication.type',
      message: `unknown type ${quoteValue(inbound.type)}; known types: ${known.join(', ')}`,
    });
  } else {
    const { type: _t, ...fields } = inbound;
    checkFields('inboundAuthentication', `type ${inbound.type}`, fields, inboundRule.fields, issues);
  }
  const azureAd = inbound.azureAd ? resolveAzureAd(inbound.azureAd, issues) : undefined;

  const extraOutbound = new Set(options.extraOutboundTypes ?? []);
  const outboundRule =
    OUTBOUND_TYPE_RULES[outbound.type] ??
    (extraOutbound.has(outbound.type) ? CUSTOM_OUTBOUND_RULE : undefined);
  if (!outboundRule) {
    const known = [...Object.keys(OUTBOUND_TYPE_RULES), ...extraOutbound];
    issues.push({
      path: 'outboundAuthentication.type',
      message: `unknown type ${quoteValue(outbound.type)}; known types: ${known.join(', ')}`,
    });
  } else {
    const { type: _t, ...fields } = outbound;
    const owner = `type ${outbound.type}`;
    checkFields('outboundAuthentication', owner, fields, outboundRule.fields, issues);
    if (outboundRule.requiresInbound && !outboundRule.requiresInbound.includes(inbound.type)) {
      issues.push({
        path: 'outboundAuthentication.type',
        message: `${outbound.type} requires inboundAuthentication.type ${outboundRule.requiresInbound.join(' or ')}: a token that nobody validated is never used downstream`,
      });
    }
    if (outboundRule.requiresInboundClientId && inbound.azureAd && inbound.azureAd.clientId === undefined) {
      issues.push({
        path: 'inboundAuthentication.azureAd.clientId',
        message: `required for outbound type ${outbound.type} (the app registration that acts for the caller)`,
      });
    }
  }

  const clientCredential = outbound.clientCredential
    ? resolveCredential(outbound.clientCredential, options, issues)
    : undefined;
  const tokenCache = outbound.tokenCache
    ? resolveTokenCache(outbound.tokenCache, options, issues)
    : undefined;

  const inboundAuthentication = {
    type: inbound.type,
    azureAd,
    settings: inbound.settings,
  } as InboundAuthenticationConfig<string>;
  const outboundAuthentication = (
    outbound.type === 'JwtObo'
      ? {
          type: outbound.type,
          clientId: undefined,
          clientCredential,
          tokenCache,
          app: azureAd,
          settings: outbound.settings,
        }
      : {
          type: outbound.type,
          clientId: outbound.clientId?.toLowerCase(),
          clientCredential,
          tokenCache,
          settings: outbound.settings,
        }
  ) as OutboundAuthenticationConfig<string>;
  return { inboundAuthentication, outboundAuthentication };
}

/** A configuration value for a message (a type name: not a secret), quoted and bounded. */
function quoteValue(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  const clean = value.replace(/[\u0000-\u001f\u007f]/g, '');
  return `'${clean.length > 64 ? `${clean.slice(0, 64)}…` : clean}'`;
}

function resolveAzureAd(
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

function resolveSecret(
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

function resolveTokenCache(
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

function resolveCredential(
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
