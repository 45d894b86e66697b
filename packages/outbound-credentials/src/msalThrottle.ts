import type { ConfidentialClientApplication } from '@azure/msal-node';

/** msal-node's throttle time when the answer carried no Retry-After (DEFAULT_THROTTLE_TIME_SECONDS). */
const MSAL_DEFAULT_THROTTLE_MS = 60_000;

/**
 * After a failed token request msal-node remembers the failure (a 5xx or 429: for Retry-After, or
 * 60 s without one) under a key made of app, authority and scopes only: no user. With one client
 * serving every caller, one caller's transient 5xx would then refuse On-Behalf-Of to all callers
 * for a minute without a request. The failure is reported to its caller (retryable); an entry msal
 * made with its own 60 s default is dropped, so other callers, and this one's retry, reach the
 * identity provider. An entry the service asked for (Retry-After, as Entra ID sends when it
 * rate-limits) is kept: then every caller waits, as the service said.
 */
export function releaseDefaultThrottle(cca: ConfidentialClientApplication): void {
  const storage = (
    cca.getTokenCache() as unknown as {
      storage?: {
        getKeys?(): string[];
        getItem?(key: string): unknown;
        removeItem?(key: string): unknown;
      };
    }
  ).storage;
  if (
    typeof storage?.getKeys !== 'function' ||
    typeof storage.getItem !== 'function' ||
    typeof storage.removeItem !== 'function'
  ) {
    return; // another msal-node layout: leave its throttling as it is
  }
  // msal-node stamps throttle entries with the real clock, so this compares with it too
  const now = Date.now();
  for (const key of storage.getKeys()) {
    if (!key.startsWith('throttling.')) continue;
    const entry = storage.getItem(key) as { throttleTime?: unknown } | undefined;
    if (isDefaultThrottle(entry?.throttleTime, now)) storage.removeItem(key);
  }
}

/**
 * Whether a throttle entry is one msal-node made just now with its own 60 s default (at most 60 s
 * left, and more than 60 s minus a little), rather than one the service asked for with Retry-After.
 */
export function isDefaultThrottle(throttleTime: unknown, nowMs: number): boolean {
  if (typeof throttleTime !== 'number') return false;
  const remaining = throttleTime - nowMs;
  return remaining <= MSAL_DEFAULT_THROTTLE_MS && remaining > MSAL_DEFAULT_THROTTLE_MS - 5_000;
}
