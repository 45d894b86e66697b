import {
  ConfigError,
  type IInboundAuthSetup,
  type InboundAuthenticationConfig,
  TypeFactory,
} from '@mcp-auth-kit/auth-core';
import { JwtBearerInboundSetup, type JwtBearerInboundSetupOptions } from './JwtBearerInboundSetup.js';
import { NoneInboundSetup } from './NoneInboundSetup.js';

/** Builds an inbound setup from `inboundAuthentication`; register more types with `.register(type, builder)`. */
export type InboundSetupFactory = TypeFactory<
  [InboundAuthenticationConfig, JwtBearerInboundSetupOptions],
  IInboundAuthSetup
>;

/** A new factory with the built-in types `None` and `JwtBearerScheme`. */
export function createInboundSetupFactory(): InboundSetupFactory {
  return new TypeFactory<[InboundAuthenticationConfig, JwtBearerInboundSetupOptions], IInboundAuthSetup>(
    'inboundAuthentication.type',
    {
      None: () => new NoneInboundSetup(),
      JwtBearerScheme: (config, options) => {
        if (!config.azureAd) {
          throw new ConfigError('config_invalid', [
            { path: 'inboundAuthentication.azureAd', message: 'required for type JwtBearerScheme' },
          ]);
        }
        return new JwtBearerInboundSetup(config.azureAd, options);
      },
    },
  );
}
