/**
 * Every cross-field rule of the configuration, as data. The parser walks these tables; to see
 * what a type or kind requires, allows or forbids, read them here and nowhere else.
 */

/** `required`: must be present; `optional`: may be present; absent from a rule: forbidden. */
export type FieldRule = 'required' | 'optional';

export interface InboundTypeRule {
  readonly fields: { readonly azureAd?: FieldRule; readonly settings?: FieldRule };
  readonly description: string;
}

export interface OutboundTypeRule {
  readonly fields: {
    readonly clientId?: FieldRule;
    readonly clientCredential?: FieldRule;
    readonly tokenCache?: FieldRule;
    readonly appOnlyCallers?: FieldRule;
    readonly settings?: FieldRule;
  };
  /** Inbound types this outbound type may be paired with; undefined means any. */
  readonly requiresInbound?: readonly string[];
  /** The app registration's `azureAd.clientId` is needed (the app acts for the caller). */
  readonly requiresInboundClientId?: boolean;
  readonly description: string;
}

export interface CredentialKindRule {
  readonly fields: {
    readonly secret?: FieldRule;
    readonly keyVaultUrl?: FieldRule;
    readonly certificateName?: FieldRule;
    readonly certificatePath?: FieldRule;
    readonly managedIdentityClientId?: FieldRule;
  };
  readonly description: string;
}

export const INBOUND_TYPE_RULES: Readonly<Record<string, InboundTypeRule>> = {
  None: { fields: {}, description: 'no inbound authentication (loopback development only)' },
  JwtBearerScheme: {
    fields: { azureAd: 'required' },
    description: 'Entra ID bearer tokens validated on every request',
  },
};

export const OUTBOUND_TYPE_RULES: Readonly<Record<string, OutboundTypeRule>> = {
  Default: {
    fields: {},
    description: 'DefaultAzureCredential (local development)',
  },
  ManagedIdentity: {
    fields: { clientId: 'optional' },
    description: "the host's managed identity; clientId selects a user-assigned identity",
  },
  JwtPassthrough: {
    fields: {},
    requiresInbound: ['JwtBearerScheme'],
    description: "the caller's own validated token, only for the resource its audience names",
  },
  JwtObo: {
    fields: { clientCredential: 'required', tokenCache: 'optional', appOnlyCallers: 'optional' },
    requiresInbound: ['JwtBearerScheme'],
    requiresInboundClientId: true,
    description: "On-Behalf-Of: the caller's token exchanged for one to the downstream resource",
  },
};

export const CREDENTIAL_KIND_RULES: Readonly<Record<string, CredentialKindRule>> = {
  ClientSecret: { fields: { secret: 'required' }, description: 'a client secret' },
  CertificateKeyVault: {
    fields: { keyVaultUrl: 'required', certificateName: 'required', managedIdentityClientId: 'optional' },
    description: "a certificate in Azure Key Vault, read with the host's managed identity",
  },
  CertificateFile: {
    fields: { certificatePath: 'required' },
    description: 'a PEM file holding the certificate and its private key',
  },
  ManagedIdentityAssertion: {
    fields: { managedIdentityClientId: 'optional' },
    description: "the host's managed identity signs for the app (federated credential, no secret)",
  },
};

/** Rule applied to a type registered by a user: any field may be present, any pairing allowed. */
export const CUSTOM_OUTBOUND_RULE: OutboundTypeRule = {
  fields: {
    clientId: 'optional',
    clientCredential: 'optional',
    tokenCache: 'optional',
    appOnlyCallers: 'optional',
    settings: 'optional',
  },
  description: 'registered by the application',
};

export const CUSTOM_INBOUND_RULE: InboundTypeRule = {
  fields: { azureAd: 'optional', settings: 'optional' },
  description: 'registered by the application',
};
