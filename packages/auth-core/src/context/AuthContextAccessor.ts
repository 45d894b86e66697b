import { AsyncLocalStorage } from 'node:async_hooks';
import { AuthCoreError } from '../errors.js';
import type { RequestAuthContext } from './RequestAuthContext.js';

/**
 * Carries the current request's auth context across async calls (the analogue of ASP.NET's
 * HttpContextAccessor). Instances are independent; the middleware and the credential provider
 * must share one (both default to `defaultAuthContextAccessor`).
 */
export class AuthContextAccessor {
  readonly #storage = new AsyncLocalStorage<RequestAuthContext>();

  /** Runs `fn` with `context` as the current request auth context. */
  run<T>(context: RequestAuthContext, fn: () => T): T {
    return this.#storage.run(context, fn);
  }

  /** The current context, or undefined outside an authenticated request. */
  current(): RequestAuthContext | undefined {
    return this.#storage.getStore();
  }

  /** The current context; throws `no_request_context` outside an authenticated request. */
  require(what = 'this operation'): RequestAuthContext {
    const context = this.#storage.getStore();
    if (!context) {
      throw new AuthCoreError(
        'no_request_context',
        `${what} needs the caller's identity, but runs outside an authenticated request`,
      );
    }
    return context;
  }
}

/** The accessor used when none is passed explicitly. */
export const defaultAuthContextAccessor: AuthContextAccessor = new AuthContextAccessor();
