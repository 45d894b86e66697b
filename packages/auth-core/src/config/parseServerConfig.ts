import { ConfigError, type ConfigIssue } from '../errors.js';
import { checkFields, zodIssues } from './configIssues.js';
import { resolveAzureAd, resolveCredential, resolveTokenCache } from './resolveSections.js';
import {
  CUSTOM_INBOUND_RULE,
  CUSTOM_OUTBOUND_RULE,
  INBOUND_TYPE_RULES,
  OUTBOUND_TYPE_RULES,
} from './rules.js';
import { type RawServerConfig, serverConfigSchema } from './schema.js';
import type {
  AnyServerConfig,
  InboundAuthenticationConfig,
  OutboundAuthenticationConfig,
  ParseServerConfigOptions,
  ServerConfig,
} from './types.js';

export type { ParseServerConfigOptions };

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
          appOnlyCallers: outbound.appOnlyCallers ?? 'Refuse',
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
