import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { ConfigError, parseServerConfig } from '@mcp-auth-kit/auth-core';
import { describe, expect, it } from 'vitest';

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >;

const TENANT = '70a036f6-8e4d-4615-bad6-149c02e7720d';
const APP = '85a0b190-f927-4e27-b286-cd301d965e4a';
const KEY32 = Buffer.alloc(32, 7).toString('base64');
const obo = (tokenCache: Record<string, unknown>) =>
  base({ type: 'JwtObo', clientCredential: { kind: 'ClientSecret', secret: 'x' }, tokenCache });

function base(
  outbound: Record<string, unknown> = { type: 'ManagedIdentity' },
  azureAd: Record<string, unknown> = {},
) {
  return {
    inboundAuthentication: {
      type: 'JwtBearerScheme',
      azureAd: {
        instance: 'https://login.microsoftonline.com/',
        tenantId: TENANT,
        clientId: APP,
        ...azureAd,
      },
    },
    outboundAuthentication: outbound,
  };
}

function issuesOf(input: unknown, options?: Parameters<typeof parseServerConfig>[1]): string[] {
  try {
    parseServerConfig(input, options);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('config_invalid');
    return (error as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('expected a ConfigError');
}

describe('the three appsettings.json shapes of the source document', () => {
  it('loads managed identity (user-assigned) unchanged', () => {
    const config = parseServerConfig(fixture('appsettings.managed-identity.json'));
    expect(config.inboundAuthentication.type).toBe('JwtBearerScheme');
    expect(config.inboundAuthentication.azureAd).toMatchObject({
      instance: 'https://login.microsoftonline.com/',
      tenantId: TENANT,
      clientId: APP,
      audience: APP,
      requiredRoles: [],
      clockSkewSeconds: 120,
      allowedAlgorithms: ['RS256'],
    });
    expect(config.outboundAuthentication).toMatchObject({
      type: 'ManagedIdentity',
      clientId: '12345678-1234-1234-1234-123456789abc',
    });
  });

  it('loads JWT passthrough unchanged', () => {
    const config = parseServerConfig(fixture('appsettings.passthrough.json'));
    expect(config.outboundAuthentication.type).toBe('JwtPassthrough');
    expect(config.outboundAuthentication.clientCredential).toBeUndefined();
  });

  it('loads On-Behalf-Of with a client secret unchanged, and never prints the secret', () => {
    const config = parseServerConfig(fixture('appsettings.obo.json'));
    const credential = config.outboundAuthentication.clientCredential!;
    expect(credential.kind).toBe('ClientSecret');
    expect(credential.secret?.reveal()).toBe('your-client-secret');
    expect(JSON.stringify(config)).not.toContain('your-client-secret');
    expect(inspect(config, { depth: 10 })).not.toContain('your-client-secret');
    expect(`${credential.secret}`).toBe('[redacted]');
  });
});

describe('valid variations', () => {
  it.each([
    ['system-assigned managed identity', base({ type: 'ManagedIdentity' })],
    ['Default outbound', base({ type: 'Default' })],
    [
      'inbound None with Default',
      { inboundAuthentication: { type: 'None' }, outboundAuthentication: { type: 'Default' } },
    ],
    [
      'inbound None with ManagedIdentity',
      { inboundAuthentication: { type: 'None' }, outboundAuthentication: { type: 'ManagedIdentity' } },
    ],
    [
      'audience without clientId',
      base({ type: 'ManagedIdentity' }, { clientId: undefined, audience: 'api://my-api' }),
    ],
    ['http instance on loopback', base({ type: 'ManagedIdentity' }, { instance: 'http://127.0.0.1:8443/' })],
    [
      'https instance on localhost with a port',
      base({ type: 'ManagedIdentity' }, { instance: 'https://localhost:9443' }),
    ],
    [
      'multi-tenant with an allow-list',
      base({ type: 'ManagedIdentity' }, { tenantId: 'organizations', allowedTenants: [TENANT] }),
    ],
    [
      'requiredRoles and scopes',
      base({ type: 'ManagedIdentity' }, { requiredRoles: ['Mcp.Invoke'], requiredScopes: ['mcp.tools'] }),
    ],
    [
      'clock skew and algorithms',
      base({ type: 'ManagedIdentity' }, { clockSkewSeconds: 30, allowedAlgorithms: ['RS256', 'PS256'] }),
    ],
    [
      'CertificateKeyVault',
      base({
        type: 'JwtObo',
        clientCredential: {
          kind: 'CertificateKeyVault',
          keyVaultUrl: 'https://kv.vault.azure.net/',
          certificateName: 'obo',
        },
      }),
    ],
    [
      'CertificateKeyVault with a user-assigned identity',
      base({
        type: 'JwtObo',
        clientCredential: {
          kind: 'CertificateKeyVault',
          keyVaultUrl: 'https://kv.vault.azure.net/',
          certificateName: 'obo',
          managedIdentityClientId: '12345678-1234-1234-1234-123456789abc',
        },
      }),
    ],
    [
      'CertificateFile',
      base({
        type: 'JwtObo',
        clientCredential: { kind: 'CertificateFile', certificatePath: '/etc/app/obo.pem' },
      }),
    ],
    [
      'ManagedIdentityAssertion',
      base({ type: 'JwtObo', clientCredential: { kind: 'ManagedIdentityAssertion' } }),
    ],
  ])('accepts %s', (_name, input) => {
    expect(() => parseServerConfig(input)).not.toThrow();
  });

  it('normalises the instance to end with a slash and ids to lower case', () => {
    const config = parseServerConfig(
      base(
        { type: 'ManagedIdentity', clientId: '12345678-1234-1234-1234-123456789ABC' },
        { instance: 'https://login.microsoftonline.us', tenantId: TENANT.toUpperCase() },
      ),
    );
    expect(config.inboundAuthentication.azureAd?.instance).toBe('https://login.microsoftonline.us/');
    expect(config.inboundAuthentication.azureAd?.tenantId).toBe(TENANT);
    expect(config.outboundAuthentication.clientId).toBe('12345678-1234-1234-1234-123456789abc');
  });

  it('reads a secret from the environment', () => {
    const config = parseServerConfig(
      base({ type: 'JwtObo', clientCredential: { kind: 'ClientSecret', secret: { fromEnv: 'OBO_SECRET' } } }),
      {
        env: { OBO_SECRET: 's3cr3t-value' },
      },
    );
    const secret = config.outboundAuthentication.clientCredential?.secret;
    expect(secret?.reveal()).toBe('s3cr3t-value');
    expect(secret?.origin).toBe('env:OBO_SECRET');
    expect(inspect(config, { depth: 10 })).not.toContain('s3cr3t-value');
  });

  it('accepts a type registered by the application', () => {
    const config = parseServerConfig(base({ type: 'MyVault', settings: { vault: 'x' } }), {
      extraOutboundTypes: ['MyVault'],
    });
    expect(config.outboundAuthentication.settings).toEqual({ vault: 'x' });
  });
});

describe('every rule refuses what it forbids', () => {
  it.each<[string, unknown, string]>([
    [
      'a missing inbound section',
      { outboundAuthentication: { type: 'Default' } },
      'inboundAuthentication: required',
    ],
    [
      'a missing outbound section',
      { inboundAuthentication: { type: 'None' } },
      'outboundAuthentication: required',
    ],
    [
      'a typo in a key',
      {
        ...base(),
        inboundAuthentication: {
          type: 'JwtBearerScheme',
          azureAd: { instance: 'https://login.microsoftonline.com/', tenantID: TENANT, clientId: APP },
        },
      },
      'inboundAuthentication.azureAd.tenantID: unknown key (did you mean "tenantId"?)',
    ],
    ['an unknown top-level key', { ...base(), extra: 1 }, 'extra: unknown key'],
    [
      'an unknown inbound type',
      { ...base(), inboundAuthentication: { type: 'Jwt' } },
      "inboundAuthentication.type: unknown type 'Jwt'; known types: None, JwtBearerScheme",
    ],
    [
      'an unknown outbound type',
      base({ type: 'Obo' }),
      "outboundAuthentication.type: unknown type 'Obo'; known types: Default, ManagedIdentity, JwtPassthrough, JwtObo",
    ],
    [
      'JwtBearerScheme without azureAd',
      { inboundAuthentication: { type: 'JwtBearerScheme' }, outboundAuthentication: { type: 'Default' } },
      'inboundAuthentication.azureAd: required for type JwtBearerScheme',
    ],
    [
      'None with azureAd',
      {
        inboundAuthentication: { type: 'None', azureAd: base().inboundAuthentication.azureAd },
        outboundAuthentication: { type: 'Default' },
      },
      'inboundAuthentication.azureAd: not allowed for type None',
    ],
    [
      'JwtPassthrough without inbound validation',
      { inboundAuthentication: { type: 'None' }, outboundAuthentication: { type: 'JwtPassthrough' } },
      'outboundAuthentication.type: JwtPassthrough requires inboundAuthentication.type JwtBearerScheme',
    ],
    [
      'JwtObo without inbound validation',
      {
        inboundAuthentication: { type: 'None' },
        outboundAuthentication: { type: 'JwtObo', clientCredential: { kind: 'ClientSecret', secret: 'x' } },
      },
      'outboundAuthentication.type: JwtObo requires inboundAuthentication.type JwtBearerScheme',
    ],
    [
      'JwtObo without an app clientId',
      base(
        { type: 'JwtObo', clientCredential: { kind: 'ClientSecret', secret: 'x' } },
        { clientId: undefined, audience: 'api://x' },
      ),
      'inboundAuthentication.azureAd.clientId: required for outbound type JwtObo',
    ],
    [
      'JwtObo without clientCredential',
      base({ type: 'JwtObo' }),
      'outboundAuthentication.clientCredential: required for type JwtObo',
    ],
    [
      'ManagedIdentity with clientCredential',
      base({ type: 'ManagedIdentity', clientCredential: { kind: 'ClientSecret', secret: 'x' } }),
      'outboundAuthentication.clientCredential: not allowed for type ManagedIdentity',
    ],
    [
      'a clientId on JwtObo',
      base({
        type: 'JwtObo',
        clientId: '12345678-1234-1234-1234-123456789abc',
        clientCredential: { kind: 'ClientSecret', secret: 'x' },
      }),
      'outboundAuthentication.clientId: not allowed for type JwtObo',
    ],
    [
      'appOnlyCallers on ManagedIdentity (it serves everyone as the host already)',
      base({ type: 'ManagedIdentity', appOnlyCallers: 'ManagedIdentity' }),
      'outboundAuthentication.appOnlyCallers: not allowed for type ManagedIdentity',
    ],
    [
      'an unknown appOnlyCallers value',
      base({
        type: 'JwtObo',
        clientCredential: { kind: 'ClientSecret', secret: 'x' },
        appOnlyCallers: 'Allow',
      }),
      'outboundAuthentication.appOnlyCallers: must be "Refuse" or "ManagedIdentity"',
    ],
    [
      'a clientId on JwtPassthrough',
      base({ type: 'JwtPassthrough', clientId: '12345678-1234-1234-1234-123456789abc' }),
      'outboundAuthentication.clientId: not allowed for type JwtPassthrough',
    ],
    [
      'a clientId on Default',
      base({ type: 'Default', clientId: '12345678-1234-1234-1234-123456789abc' }),
      'outboundAuthentication.clientId: not allowed for type Default',
    ],
    [
      'a managed identity clientId that is not a GUID',
      base({ type: 'ManagedIdentity', clientId: 'my-identity' }),
      'outboundAuthentication.clientId: must be a GUID',
    ],
    [
      'an azureAd clientId that is not a GUID',
      base({ type: 'Default' }, { clientId: 'app' }),
      'inboundAuthentication.azureAd.clientId: must be a GUID',
    ],
    [
      'settings on a built-in type',
      base({ type: 'ManagedIdentity', settings: {} }),
      'outboundAuthentication.settings: not allowed for type ManagedIdentity',
    ],
    [
      'an http instance off loopback',
      base({ type: 'Default' }, { instance: 'http://login.microsoftonline.com/' }),
      'inboundAuthentication.azureAd.instance: must use https',
    ],
    [
      'an instance that is not a URL',
      base({ type: 'Default' }, { instance: 'login.microsoftonline.com' }),
      'inboundAuthentication.azureAd.instance: must be an absolute URL',
    ],
    [
      'an instance with a query',
      base({ type: 'Default' }, { instance: 'https://login.microsoftonline.com/?x=1' }),
      'inboundAuthentication.azureAd.instance: must not carry a query',
    ],
    [
      'a tenant domain name',
      base({ type: 'Default' }, { tenantId: 'contoso.onmicrosoft.com' }),
      'inboundAuthentication.azureAd.tenantId: must be the tenant GUID',
    ],
    [
      'multi-tenant without an allow-list',
      base({ type: 'Default' }, { tenantId: 'common' }),
      'inboundAuthentication.azureAd.allowedTenants: required (non-empty) when tenantId is "common"',
    ],
    [
      'an allow-list on a single tenant',
      base({ type: 'Default' }, { allowedTenants: [TENANT] }),
      'inboundAuthentication.azureAd.allowedTenants: only allowed when tenantId is "organizations" or "common"',
    ],
    [
      'neither clientId nor audience',
      base({ type: 'Default' }, { clientId: undefined }),
      'inboundAuthentication.azureAd.audience: clientId or audience is required',
    ],
    [
      'an empty role',
      base({ type: 'Default' }, { requiredRoles: [''] }),
      'inboundAuthentication.azureAd.requiredRoles[0]: must not be empty',
    ],
    [
      'an unknown algorithm',
      base({ type: 'Default' }, { allowedAlgorithms: ['HS256'] }),
      'inboundAuthentication.azureAd.allowedAlgorithms[0]',
    ],
    [
      'a negative clock skew',
      base({ type: 'Default' }, { clockSkewSeconds: -1 }),
      'inboundAuthentication.azureAd.clockSkewSeconds',
    ],
    [
      'an unknown credential kind',
      base({ type: 'JwtObo', clientCredential: { kind: 'Password' } }),
      'outboundAuthentication.clientCredential.kind: unknown kind; known kinds: ClientSecret, CertificateKeyVault, CertificateFile, ManagedIdentityAssertion',
    ],
    [
      'ClientSecret without secret',
      base({ type: 'JwtObo', clientCredential: { kind: 'ClientSecret' } }),
      'outboundAuthentication.clientCredential.secret: required for kind ClientSecret',
    ],
    [
      'ClientSecret with a certificate path',
      base({
        type: 'JwtObo',
        clientCredential: { kind: 'ClientSecret', secret: 'x', certificatePath: '/a.pem' },
      }),
      'outboundAuthentication.clientCredential.certificatePath: not allowed for kind ClientSecret',
    ],
    [
      'CertificateKeyVault without a vault',
      base({ type: 'JwtObo', clientCredential: { kind: 'CertificateKeyVault', certificateName: 'c' } }),
      'outboundAuthentication.clientCredential.keyVaultUrl: required for kind CertificateKeyVault',
    ],
    [
      'CertificateKeyVault without a name',
      base({
        type: 'JwtObo',
        clientCredential: { kind: 'CertificateKeyVault', keyVaultUrl: 'https://kv.vault.azure.net/' },
      }),
      'outboundAuthentication.clientCredential.certificateName: required for kind CertificateKeyVault',
    ],
    [
      'CertificateKeyVault with a secret',
      base({
        type: 'JwtObo',
        clientCredential: {
          kind: 'CertificateKeyVault',
          keyVaultUrl: 'https://kv.vault.azure.net/',
          certificateName: 'c',
          secret: 'x',
        },
      }),
      'outboundAuthentication.clientCredential.secret: not allowed for kind CertificateKeyVault',
    ],
    [
      'an http vault off loopback',
      base({
        type: 'JwtObo',
        clientCredential: {
          kind: 'CertificateKeyVault',
          keyVaultUrl: 'http://kv.vault.azure.net/',
          certificateName: 'c',
        },
      }),
      'outboundAuthentication.clientCredential.keyVaultUrl: must use https',
    ],
    [
      'CertificateFile without a path',
      base({ type: 'JwtObo', clientCredential: { kind: 'CertificateFile' } }),
      'outboundAuthentication.clientCredential.certificatePath: required for kind CertificateFile',
    ],
    [
      'ManagedIdentityAssertion with a secret',
      base({ type: 'JwtObo', clientCredential: { kind: 'ManagedIdentityAssertion', secret: 'x' } }),
      'outboundAuthentication.clientCredential.secret: not allowed for kind ManagedIdentityAssertion',
    ],
    [
      'a managedIdentityClientId that is not a GUID',
      base({
        type: 'JwtObo',
        clientCredential: { kind: 'ManagedIdentityAssertion', managedIdentityClientId: 'mi' },
      }),
      'outboundAuthentication.clientCredential.managedIdentityClientId: must be a GUID',
    ],
    [
      'an empty secret',
      base({ type: 'JwtObo', clientCredential: { kind: 'ClientSecret', secret: '' } }),
      'outboundAuthentication.clientCredential.secret',
    ],
    [
      'a secret reference with a bad name',
      base({ type: 'JwtObo', clientCredential: { kind: 'ClientSecret', secret: { fromEnv: 'A-B' } } }),
      'outboundAuthentication.clientCredential.secret',
    ],
    [
      'a wrongly typed field',
      base({ type: 'Default' }, { requiredRoles: 'Admin' }),
      'inboundAuthentication.azureAd.requiredRoles',
    ],
    ['a document that is not an object', [], ''],
    [
      'a token cache with ManagedIdentity',
      base({
        type: 'ManagedIdentity',
        tokenCache: { type: 'Redis', url: 'redis://h', encryptionKey: KEY32 },
      }),
      'outboundAuthentication.tokenCache: not allowed for type ManagedIdentity',
    ],
    [
      'a token cache of an unknown type',
      obo({ type: 'Memcached', url: 'redis://h', encryptionKey: KEY32 }),
      'outboundAuthentication.tokenCache.type: must be "Redis"',
    ],
    [
      'a token cache URL that is not redis',
      obo({ type: 'Redis', url: 'http://h', encryptionKey: KEY32 }),
      'outboundAuthentication.tokenCache.url: must be a redis:// or rediss:// URL',
    ],
    [
      'a short encryption key',
      obo({ type: 'Redis', url: 'redis://h', encryptionKey: 'c2hvcnQ=' }),
      'outboundAuthentication.tokenCache.encryptionKey: must be 32 bytes',
    ],
    [
      'a token cache without a key',
      obo({ type: 'Redis', url: 'redis://h' }),
      'outboundAuthentication.tokenCache.encryptionKey: required',
    ],
    [
      'a bad key prefix',
      obo({ type: 'Redis', url: 'redis://h', encryptionKey: KEY32, keyPrefix: 'a b' }),
      'outboundAuthentication.tokenCache.keyPrefix',
    ],
  ])('refuses %s', (_name, input, expected) => {
    const issues = issuesOf(input);
    expect(
      issues.some((i) => i.startsWith(expected)),
      issues.join('\n'),
    ).toBe(true);
  });

  it('reads the token cache URL and key from the environment, and never prints them', () => {
    const config = parseServerConfig(
      obo({ type: 'Redis', url: { fromEnv: 'REDIS_URL' }, encryptionKey: { fromEnv: 'CACHE_KEY' } }),
      {
        env: { REDIS_URL: 'redis://:hunter2@10.0.0.5:6379', CACHE_KEY: KEY32 },
      },
    );
    expect(config.outboundAuthentication.tokenCache?.url.reveal()).toBe('redis://:hunter2@10.0.0.5:6379');
    expect(config.outboundAuthentication.tokenCache?.keyPrefix).toBe('mcp-auth-kit');
    expect(inspect(config, { depth: 10 })).not.toContain('hunter2');
    expect(JSON.stringify(config)).not.toContain(KEY32);
    const issues = issuesOf(obo({ type: 'Redis', url: { fromEnv: 'NOPE_URL' }, encryptionKey: KEY32 }), {
      env: {},
    });
    expect(issues).toEqual([
      'outboundAuthentication.tokenCache.url.fromEnv: environment variable NOPE_URL is not set',
    ]);
  });

  it('names a missing environment variable', () => {
    const issues = issuesOf(
      base({
        type: 'JwtObo',
        clientCredential: { kind: 'ClientSecret', secret: { fromEnv: 'NOPE_SECRET' } },
      }),
      { env: {} },
    );
    expect(issues).toEqual([
      'outboundAuthentication.clientCredential.secret.fromEnv: environment variable NOPE_SECRET is not set',
    ]);
  });

  it('lists every problem at once, not just the first', () => {
    const rules = issuesOf(
      base(
        { type: 'JwtObo', clientCredential: { kind: 'ClientSecret' } },
        { instance: 'http://example.com', tenantId: 'common' },
      ),
    );
    expect(rules.map((i) => i.split(':')[0])).toEqual([
      'inboundAuthentication.azureAd.instance',
      'inboundAuthentication.azureAd.allowedTenants',
      'outboundAuthentication.clientCredential.secret',
    ]);
    const shapes = issuesOf(
      base({ type: 'ManagedIdentity', clientId: 'x' }, { clientId: 'y', clockSkewSeconds: 'z' }),
    );
    expect(shapes).toHaveLength(3);
  });

  it('never echoes a secret in any message', () => {
    const secret = 'super-secret-value-123';
    for (const input of [
      base({ type: 'ManagedIdentity', clientCredential: { kind: 'ClientSecret', secret } }),
      base({ type: 'JwtObo', clientCredential: { kind: 'CertificateFile', secret } }),
      base({ type: 'JwtObo', clientCredential: { kind: 'ClientSecret', secret: { fromEnv: secret } } }),
      base({ type: 'JwtObo', clientCredential: { kind: 'ClientSecret', secret: [secret] } }),
    ]) {
      try {
        parseServerConfig(input);
        throw new Error('expected failure');
      } catch (error) {
        expect((error as Error).message).not.toContain(secret);
        expect(inspect(error, { depth: 10 })).not.toContain(secret);
      }
    }
  });

  it('formats the message as one line per issue with its path', () => {
    try {
      parseServerConfig(base({ type: 'JwtObo', clientCredential: { kind: 'ClientSecret' } }), {
        source: 'appsettings.json',
      });
      throw new Error('expected failure');
    } catch (error) {
      expect((error as Error).message).toBe(
        'Invalid configuration in appsettings.json:\n  - outboundAuthentication.clientCredential.secret: required for kind ClientSecret',
      );
    }
  });
});
