import type { AuthContextAccessor } from './AuthContextAccessor.js';
import { fromAuthInfo, type McpAuthInfo } from './authInfo.js';
import type { RequestAuthContext } from './RequestAuthContext.js';

/**
 * What a tool handler receives as its second argument from either MCP SDK generation: v1 passes
 * `extra` with `authInfo`; v2 passes `ctx` with `http.authInfo`.
 */
export interface McpToolExtra {
  readonly authInfo?: McpAuthInfo;
  readonly http?: { readonly authInfo?: McpAuthInfo };
}

/**
 * The caller of a tool call: the AuthInfo the SDK handed the handler (v1 `extra.authInfo`, v2
 * `ctx.http.authInfo`), else the accessor's context (AsyncLocalStorage), else undefined.
 */
export function resolveCaller(
  extra: McpToolExtra | undefined,
  accessor?: AuthContextAccessor,
): RequestAuthContext | undefined {
  const info = extra?.authInfo ?? extra?.http?.authInfo;
  if (info) {
    try {
      return fromAuthInfo(info);
    } catch {
      // not an AuthInfo of ours (another verifier): fall back to the accessor
    }
  }
  return accessor?.current();
}
