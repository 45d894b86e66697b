// The Entra front's rules on their own: how scope and resource are fixed, and Entra ID's loopback
// redirect URI rule for the public client.
import { describe, expect, it } from 'vitest';
import { redirectUriAllowed } from '../src/front/loopbackRule.js';
import { fixResource, fixScope } from '../src/front/scopes.js';

const rules = {
  applicationIdUri: 'api://1b2c',
  resource: 'https://mcp.contoso.com/mcp',
  scopes: ['mcp.tools'],
};
const authorizeDefault = ['api://1b2c/mcp.tools'];

describe('fixScope', () => {
  it('fills a missing scope with the API scope and a refresh token; OIDC scopes only beside an API scope', () => {
    expect(fixScope(rules, null, authorizeDefault)).toBe('api://1b2c/mcp.tools offline_access');
    expect(fixScope(rules, '', ['api://1b2c/.default'])).toBe('api://1b2c/.default offline_access');
    expect(fixScope(rules, 'offline_access', authorizeDefault)).toBe('api://1b2c/mcp.tools offline_access');
    expect(fixScope(rules, 'openid profile', authorizeDefault)).toBe('api://1b2c/mcp.tools openid profile');
  });

  it('re-qualifies scopes named by the MCP URL, qualifies short names, and never adds to a request that names the API', () => {
    expect(fixScope(rules, 'https://mcp.contoso.com/mcp/mcp.tools', authorizeDefault)).toBe(
      'api://1b2c/mcp.tools',
    );
    expect(fixScope(rules, 'https://mcp.contoso.com/mcp/mcp.read offline_access', authorizeDefault)).toBe(
      'api://1b2c/mcp.read offline_access',
    );
    expect(fixScope(rules, 'mcp.tools', authorizeDefault)).toBe('api://1b2c/mcp.tools');
    expect(fixScope(rules, 'api://1b2c/mcp.tools api://1b2c/mcp.tools', authorizeDefault)).toBe(
      'api://1b2c/mcp.tools',
    );
  });

  it('passes another resource’s scopes unchanged (Entra ID decides), adding nothing to them', () => {
    expect(fixScope(rules, 'https://graph.microsoft.com/User.Read openid', authorizeDefault)).toBe(
      'https://graph.microsoft.com/User.Read openid',
    );
    // an unknown short name is not this API's: unchanged
    expect(fixScope(rules, 'admin.all', authorizeDefault)).toBe('admin.all');
  });
});

describe('fixResource', () => {
  it('rewrites the MCP URL (with or without a trailing slash) to the Application ID URI; anything else unchanged', () => {
    expect(fixResource(rules, 'https://mcp.contoso.com/mcp')).toBe('api://1b2c');
    expect(fixResource(rules, 'https://mcp.contoso.com/mcp/')).toBe('api://1b2c');
    expect(fixResource(rules, 'https://other.example/mcp')).toBe('https://other.example/mcp');
    expect(fixResource(rules, null)).toBeNull();
  });
});

describe('redirectUriAllowed (Entra ID’s rule for a public client)', () => {
  const registered = [
    'http://localhost/callback',
    'http://127.0.0.1/oauth/callback',
    'https://app.example/cb',
  ];
  it('a loopback URI matches on any port with the same host and path; everything else exactly', () => {
    expect(redirectUriAllowed(registered, 'http://localhost:53682/callback')).toBe(true);
    expect(redirectUriAllowed(registered, 'http://127.0.0.1:6276/oauth/callback')).toBe(true);
    expect(redirectUriAllowed(registered, 'https://app.example/cb')).toBe(true);
    for (const refused of [
      'http://127.0.0.1:53682/callback', // another loopback host than the one registered
      'http://localhost:53682/callback/x',
      'http://localhost:53682/callback?x=1',
      'https://app.example/cb/',
      'https://app.example:8443/cb',
      'http://app.example/cb',
      'not a url',
    ]) {
      expect(redirectUriAllowed(registered, refused), refused).toBe(false);
    }
  });
});
