import { ConfigError } from '../errors.js';

/**
 * A map from a configuration `type` (or credential `kind`) to a builder. `create` reads the type
 * from its own arguments (the configuration section), so callers never repeat it. Each instance is
 * independent; the implementing packages supply the built-ins and users `register` their own.
 */
export class TypeFactory<TArgs extends unknown[], TResult> {
  readonly #what: string;
  readonly #typeOf: (...args: TArgs) => string;
  readonly #builders = new Map<string, (...args: TArgs) => TResult>();

  /**
   * `what` names the config key in errors (e.g. `outboundAuthentication.type`); `typeOf` reads the
   * type from `create`'s arguments.
   */
  constructor(
    what: string,
    typeOf: (...args: TArgs) => string,
    builtins: Readonly<Record<string, (...args: TArgs) => TResult>> = {},
  ) {
    this.#what = what;
    this.#typeOf = typeOf;
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

  /** Builds for the arguments' type; an unregistered type is a ConfigError naming it and the known ones. */
  create(...args: TArgs): TResult {
    const type = this.#typeOf(...args);
    const builder = this.#builders.get(type);
    if (!builder) {
      const shown = type.length > 64 ? `${type.slice(0, 64)}…` : type;
      throw new ConfigError('config_invalid', [
        {
          path: this.#what,
          message: `unknown type '${shown}'; known types: ${this.knownTypes().join(', ')}`,
        },
      ]);
    }
    return builder(...args);
  }
}
