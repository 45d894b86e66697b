import { ConfigError } from '../errors.js';

/**
 * A map from a configuration `type` (or credential `kind`) to a builder. Each instance is
 * independent; the implementing packages supply the built-ins and users `register` their own.
 */
export class TypeFactory<TArgs extends unknown[], TResult> {
  readonly #what: string;
  readonly #builders = new Map<string, (...args: TArgs) => TResult>();

  /** `what` names the config key in errors, e.g. `outboundAuthentication.type`. */
  constructor(what: string, builtins: Readonly<Record<string, (...args: TArgs) => TResult>> = {}) {
    this.#what = what;
    for (const [type, builder] of Object.entries(builtins)) this.#builders.set(type, builder);
  }

  /** Adds or replaces the builder for `type`. */
  register(type: string, builder: (...args: TArgs) => TResult): this {
    if (type.trim() === '') throw new TypeError('TypeFactory.register: type must not be empty');
    this.#builders.set(type, builder);
    return this;
  }

  has(type: string): boolean {
    return this.#builders.has(type);
  }

  knownTypes(): string[] {
    return [...this.#builders.keys()];
  }

  /** Builds for `type`; an unregistered type is a ConfigError listing the known ones. */
  create(type: string, ...args: TArgs): TResult {
    const builder = this.#builders.get(type);
    if (!builder) {
      throw new ConfigError('config_invalid', [
        { path: this.#what, message: `unknown type "${type}"; known types: ${this.knownTypes().join(', ')}` },
      ]);
    }
    return builder(...args);
  }
}
