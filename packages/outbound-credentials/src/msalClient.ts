import { ConfidentialClientApplication, type ICachePlugin, LogLevel } from '@azure/msal-node';
import type { Logger, OnBehalfOfAppConfig } from '@mcp-auth-kit/auth-core';
import type { MsalAppCredential } from './appCredential.js';

/** msal-node's own log level, when its lines are routed to the logger. */
export type MsalLogLevel = 'error' | 'warning' | 'info' | 'verbose';

const LEVELS: Record<MsalLogLevel, LogLevel> = {
  error: LogLevel.Error,
  warning: LogLevel.Warning,
  info: LogLevel.Info,
  verbose: LogLevel.Verbose,
};

/**
 * The one msal-node client of an app registration: its authority (the configured instance is a
 * known authority, so sovereign clouds and the emulator need no instance discovery), its
 * credential, an optional cache plugin, and msal's own log lines (never with PII) at `logLevel`.
 */
export function createMsalClient(options: {
  readonly azureAd: OnBehalfOfAppConfig;
  readonly credential: MsalAppCredential;
  readonly cachePlugin: ICachePlugin | undefined;
  readonly logLevel: MsalLogLevel | undefined;
  readonly logger: Logger;
}): ConfidentialClientApplication {
  const { azureAd, logLevel, logger } = options;
  return new ConfidentialClientApplication({
    auth: {
      clientId: azureAd.clientId,
      authority: `${azureAd.instance}${azureAd.tenantId}`,
      knownAuthorities: [new URL(azureAd.instance).host],
      ...options.credential,
    },
    ...(options.cachePlugin ? { cache: { cachePlugin: options.cachePlugin } } : {}),
    ...(logLevel
      ? {
          system: {
            loggerOptions: {
              piiLoggingEnabled: false,
              logLevel: LEVELS[logLevel],
              loggerCallback: (_level: LogLevel, message: string) => logger.info(`msal: ${message}`),
            },
          },
        }
      : {}),
  });
}
