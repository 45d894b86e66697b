import { InboundAuthError } from './errors.js';

/**
 * The MCP SDK's own error shapes for `OAuthTokenVerifier.verifyAccessToken`, for both generations
 * at once, without a hard dependency on either:
 *
 * - SDK v2 (`@modelcontextprotocol/server`) recognises its `OAuthError` by a brand carried on the
 *   instance (`Symbol.for('mcp.sdk.errorBrands')`, which works across bundles) and maps `code`;
 *   any other error becomes 500 with no challenge.
 * - SDK v1 (`@modelcontextprotocol/sdk`) maps by `instanceof` its own classes, so when v1 is
 *   installed the error is an instance of v1's class (loaded on first use).
 */
const BRANDS = Symbol.for('mcp.sdk.errorBrands');
const OAUTH_ERROR_BRAND = 'mcp.OAuthError';

export type SdkOAuthErrorCode = 'invalid_token' | 'insufficient_scope' | 'server_error';

interface V1Errors {
  InvalidTokenError: new (message: string) => Error;
  InsufficientScopeError: new (message: string) => Error;
  ServerError: new (message: string) => Error;
}

let v1Errors: Promise<V1Errors | undefined> | undefined;
function loadV1Errors(): Promise<V1Errors | undefined> {
  // A variable specifier: bundlers and tsc leave the optional peer alone.
  const specifier = '@modelcontextprotocol/sdk/server/auth/errors.js';
  v1Errors ??= import(specifier).then(
    (m: V1Errors) => m,
    () => undefined,
  );
  return v1Errors;
}

/** The error `verifyAccessToken` throws for `code`: recognised by SDK v1 and v2 alike. */
export async function sdkOAuthError(code: SdkOAuthErrorCode, message: string): Promise<Error> {
  const v1 = await loadV1Errors();
  const error: Error = v1
    ? new (code === 'invalid_token'
        ? v1.InvalidTokenError
        : code === 'insufficient_scope'
          ? v1.InsufficientScopeError
          : v1.ServerError)(message)
    : new InboundAuthError(code === 'server_error' ? 'provider_unavailable' : code, message);
  brandAsOAuthError(error, code, message);
  return error;
}

function brandAsOAuthError(error: Error, code: SdkOAuthErrorCode, message: string): void {
  Object.defineProperty(error, BRANDS, { value: new Set([OAUTH_ERROR_BRAND]), configurable: true });
  // v2 reads `code` and calls toResponseObject(); v1's classes have the latter already.
  Object.defineProperty(error, 'code', { value: code, configurable: true, writable: true });
  if (typeof (error as { toResponseObject?: unknown }).toResponseObject !== 'function') {
    Object.defineProperty(error, 'toResponseObject', {
      value: () => ({ error: code, error_description: message }),
      configurable: true,
    });
  }
}
