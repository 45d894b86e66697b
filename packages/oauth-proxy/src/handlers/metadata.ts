import { type FacadeContext, type Handler, qualify } from '../context.js';
import { json } from '../http/responses.js';

/** RFC 8414 authorization server metadata. */
export function authorizationServerMetadata(ctx: FacadeContext): Record<string, unknown> {
  return {
    issuer: ctx.issuer,
    authorization_endpoint: `${ctx.issuer}/oauth/authorize`,
    token_endpoint: `${ctx.issuer}/oauth/token`,
    registration_endpoint: `${ctx.issuer}/oauth/register`,
    revocation_endpoint: `${ctx.issuer}/oauth/revoke`,
    jwks_uri: `${ctx.issuer}/oauth/jwks`,
    scopes_supported: ctx.scopes.map((s) => qualify(ctx, s)),
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['none', 'client_secret_post', 'client_secret_basic'],
    revocation_endpoint_auth_methods_supported: ['none', 'client_secret_post', 'client_secret_basic'],
    authorization_response_iss_parameter_supported: true,
    client_id_metadata_document_supported: true,
  };
}

const publicCache = { 'cache-control': 'public, max-age=3600', 'access-control-allow-origin': '*' };

export const metadata: Handler = async (ctx) => json(200, authorizationServerMetadata(ctx), publicCache);

export const jwks: Handler = async (ctx) => json(200, await ctx.tokens.jwks(), publicCache);
