import {
  type IInboundAuthSetup,
  type InboundAuthenticationConfig,
  type JwtBearerSchemeInboundConfig,
  TypeFactory,
} from '@mcp-auth-kit/auth-core';
import { JwtBearerInboundSetup, type JwtBearerInboundSetupOptions } from './JwtBearerInboundSetup.js';
import { NoneInboundSetup } from './NoneInboundSetup.js';

/** Any validated `inboundAuthentication` section, whatever types the application registered. */
export type AnyInboundConfig = InboundAuthenticationConfig<string>;

/**
 * Builds the inbound setup that `inboundAuthentication.type` names: `create(config.inboundAuthentication)`.
 * Register more types with `.register(type, builder)`.
 */
export type InboundSetupFactory = TypeFactory<
  [config: AnyInboundConfig, options?: JwtBearerInboundSetupOptions],
  IInboundAuthSetup
>;

/** A new factory with the built-in types `None` and `JwtBearerScheme`. */
export function createInboundSetupFactory(): InboundSetupFactory {
  return new TypeFactory<
    [config: AnyInboundConfig, options?: JwtBearerInboundSetupOptions],
    IInboundAuthSetup
  >('inboundAuthentication.type', (config) => config.type, {
    None: () => new NoneInboundSetup(),
    // the factory dispatches on `type`, so the section is the JwtBearerScheme member
    JwtBearerScheme: (config, options) =>
      new JwtBearerInboundSetup((config as JwtBearerSchemeInboundConfig).azureAd, options),
  });
}
