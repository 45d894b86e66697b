import { z } from 'zod';

export const GUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const JWT_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
] as const;

const nonEmpty = z.string().trim().min(1, 'must not be empty');
const guid = z.string().regex(GUID_PATTERN, 'must be a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)');

/** A secret written inline, or `{ "fromEnv": "NAME" }` to read it from the environment at load time. */
export const secretReferenceSchema = z.union(
  [
    z.string().min(1, 'must not be empty'),
    z.strictObject({
      fromEnv: z.string().regex(ENV_NAME_PATTERN, 'must be an environment variable name'),
    }),
  ],
  { error: 'must be a string or { "fromEnv": "VARIABLE_NAME" }' },
);

export const azureAdSchema = z.strictObject({
  instance: nonEmpty,
  tenantId: nonEmpty,
  clientId: guid.optional(),
  audience: nonEmpty.optional(),
  requiredRoles: z.array(nonEmpty).optional(),
  requiredScopes: z.array(nonEmpty).optional(),
  allowedTenants: z.array(guid).optional(),
  clockSkewSeconds: z.number().int().min(0).max(600).optional(),
  allowedAlgorithms: z.array(z.enum(JWT_ALGORITHMS)).min(1).optional(),
});

export const clientCredentialSchema = z.strictObject({
  kind: nonEmpty,
  secret: secretReferenceSchema.optional(),
  keyVaultUrl: nonEmpty.optional(),
  certificateName: nonEmpty.optional(),
  certificatePath: nonEmpty.optional(),
  managedIdentityClientId: guid.optional(),
});

export const inboundSchema = z.strictObject({
  type: nonEmpty,
  azureAd: azureAdSchema.optional(),
  settings: z.record(z.string(), z.unknown()).optional(),
});

/** A shared token cache for several replicas (JwtObo). */
export const tokenCacheSchema = z.strictObject({
  type: z.enum(['Redis'], { error: 'must be "Redis"' }),
  /** `redis://` or `rediss://` URL; may carry a password, so it is a secret. */
  url: secretReferenceSchema,
  /** 32 bytes, base64 (e.g. `openssl rand -base64 32`): cached tokens are encrypted with it. */
  encryptionKey: secretReferenceSchema,
  keyPrefix: z
    .string()
    .regex(/^[A-Za-z0-9:_-]{1,64}$/, 'must be 1-64 characters of letters, digits, ":", "_" or "-"')
    .optional(),
});

export const outboundSchema = z.strictObject({
  type: nonEmpty,
  clientId: guid.optional(),
  clientCredential: clientCredentialSchema.optional(),
  tokenCache: tokenCacheSchema.optional(),
  /**
   * Callers with an application token (app roles, no user): `Refuse` them at the door with 403
   * (the default under JwtObo: On-Behalf-Of needs a user), or serve them as `ManagedIdentity`
   * (the host's identity).
   */
  appOnlyCallers: z
    .enum(['Refuse', 'ManagedIdentity'], { error: 'must be "Refuse" or "ManagedIdentity"' })
    .optional(),
  settings: z.record(z.string(), z.unknown()).optional(),
});

export const serverConfigSchema = z.strictObject({
  inboundAuthentication: inboundSchema,
  outboundAuthentication: outboundSchema,
});

export type RawServerConfig = z.infer<typeof serverConfigSchema>;

/** Every key the schema knows, for "did you mean" hints on unknown keys. */
export const KNOWN_KEYS: readonly string[] = [
  ...Object.keys(serverConfigSchema.shape),
  ...Object.keys(inboundSchema.shape),
  ...Object.keys(outboundSchema.shape),
  ...Object.keys(azureAdSchema.shape),
  ...Object.keys(clientCredentialSchema.shape),
  ...Object.keys(tokenCacheSchema.shape),
  'fromEnv',
];
