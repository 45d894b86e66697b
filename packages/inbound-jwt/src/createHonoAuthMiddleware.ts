import type { IInboundAuthSetup } from '@mcp-auth-kit/auth-core';
import { createFetchAuth, type FetchAuthOptions } from './createFetchAuth.js';

/** The part of Hono's `Context` the middleware uses (structural: hono is not a dependency). */
export interface HonoContextLike {
  readonly req: { readonly raw: Request };
  set(key: 'authInfo', value: unknown): void;
}

/**
 * Hono middleware over the web-standard gate: a refused request gets its challenge `Response`; an
 * accepted one continues with the caller's AuthInfo under `c.get('authInfo')`, ready for
 * `handler.fetch(c.req.raw, { authInfo: c.get('authInfo') })`.
 *
 * @example
 * app.use('/mcp', createHonoAuthMiddleware(setup));
 */
export function createHonoAuthMiddleware(
  setup: IInboundAuthSetup,
  options: FetchAuthOptions = {},
): (c: HonoContextLike, next: () => Promise<void>) => Promise<Response | undefined> {
  const gate = createFetchAuth(setup, options);
  return async (c, next) => {
    const auth = await gate(c.req.raw);
    if (auth instanceof Response) return auth;
    c.set('authInfo', auth);
    await next();
    return undefined;
  };
}
