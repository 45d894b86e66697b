/**
 * The one catalogue of Entra ID error codes (AADSTS numbers) the kit and its tools meet, each with
 * what it means and what fixes it: used by doctor, the authorization servers' logs and errors, and
 * the README's troubleshooting. Branch on the code (`error_codes[0]`, msal's `errorNo`), never on
 * message text.
 */
export const AADSTS: Readonly<Record<string, { readonly meaning: string; readonly fix: string }>> = {
  '90002': {
    meaning: 'the tenant does not exist',
    fix: 'check azureAd.tenantId (and azureAd.instance for a sovereign cloud)',
  },
  '700016': {
    meaning: 'the application is not registered in this tenant',
    fix: 'check the client id (azureAd.clientId, or the public client), or have the tenant consent to the app',
  },
  '7000215': {
    meaning: 'the client secret is wrong',
    fix: "create a new one under the app registration's Certificates & secrets and update clientCredential.secret",
  },
  '7000222': {
    meaning: 'the client secret has expired',
    fix: 'create a new one and update clientCredential.secret',
  },
  '700027': {
    meaning: 'the client assertion (certificate) is not one the app trusts',
    fix: 'upload the certificate’s public part under Certificates & secrets',
  },
  '70021': {
    meaning: 'no federated credential on the app matches the assertion',
    fix: 'add one (issuer, the identity as subject, audience api://AzureADTokenExchange)',
  },
  '65001': {
    meaning: 'consent is missing',
    fix: 'grant admin consent for the API permission (e.g. Azure Database for PostgreSQL, user_impersonation), or let users consent',
  },
  '500011': {
    meaning: 'the resource named in the scope has no service principal in this tenant',
    fix: "check the scope, or add the resource's enterprise application",
  },
  '7000114': {
    meaning: 'an app-only token cannot be exchanged On-Behalf-Of',
    fix: "pass a user's token",
  },
  '50076': {
    meaning: 'Conditional Access requires multi-factor authentication',
    fix: 'sign in again with it (the server passes claims challenges on)',
  },
  '50079': {
    meaning: 'the user must register a multi-factor method',
    fix: 'register one at https://aka.ms/mfasetup',
  },
  '53003': {
    meaning: 'a Conditional Access policy blocks this access',
    fix: "the tenant's administrator decides",
  },
  '9010010': {
    meaning: 'the resource does not match the Application ID URI of the scopes',
    fix: "set the app's Application ID URI to the MCP URL (--resource-url), or put the Entra front in front to rewrite it",
  },
  '50011': {
    meaning: 'the redirect URI is not registered on the app',
    fix: 'add it (for the façade, proxy.callbackUrl as a Web redirect URI; for a public client, the loopback URI without port)',
  },
  '50013': {
    meaning: 'the token was not issued for this app',
    fix: 'sign in for this server (its audience must be the app)',
  },
  '500133': { meaning: 'the token has expired', fix: 'get a fresh one' },
  '50173': { meaning: 'the token was revoked (password change, sign-out)', fix: 'sign in again' },
  '54005': { meaning: 'the authorization code was already redeemed', fix: 'sign in again' },
  '70008': {
    meaning: 'the authorization code or refresh token has expired',
    fix: 'sign in again',
  },
  '700082': {
    meaning: 'the refresh token expired after inactivity',
    fix: 'sign in again',
  },
  '90009': {
    meaning: 'a refresh request without scope',
    fix: 'send scope on refresh (the Entra front adds it)',
  },
  '900144': {
    meaning: 'a token request without scope',
    fix: 'send scope (the Entra front adds it for clients that do not)',
  },
  '70011': {
    meaning: 'the scope is not valid (offline_access alone, or an unknown scope)',
    fix: "ask for the API's scope beside offline_access (the Entra front does)",
  },
  '650053': {
    meaning:
      'the scope asked for is not one the resource exposes (a refresh without the API scope falls back to Microsoft Graph)',
    fix: "ask for the API's own scope on refresh",
  },
};

/** `meaning: fix` for an AADSTS code the catalogue knows; undefined otherwise. */
export function aadstsFix(code: string | number | undefined): string | undefined {
  const entry = code === undefined ? undefined : AADSTS[String(code)];
  return entry ? `${entry.meaning}: ${entry.fix}` : undefined;
}
