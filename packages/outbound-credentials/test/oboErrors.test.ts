// The pure pieces of On-Behalf-Of, on msal-node's own error classes: the mapping from its error
// fields (never message text) and the throttle-entry rule.
import { InteractionRequiredAuthError, ServerError } from '@azure/msal-node';
import { describe, expect, it } from 'vitest';
import { isDefaultThrottle } from '../src/msalThrottle.js';
import { mapOboError } from '../src/oboErrors.js';

/** msal-node's ServerError as its response handler builds it: (errorCode, correlationId, message, subError, errorNo). */
const serverError = (
  code: string,
  _correlation: undefined,
  message: string,
  subError?: string,
  errorNo?: string,
) => new ServerError(code, '00000000-0000-0000-0000-000000000000', message, subError, errorNo);

describe('mapOboError', () => {
  it.each([
    [
      serverError('invalid_grant', undefined, 'the message says nothing we read', undefined, '7000114'),
      'app_only_caller',
      'AADSTS7000114',
    ],
    [
      serverError('invalid_grant', undefined, 'whatever', undefined, '50173'),
      'caller_token_rejected',
      'AADSTS50173',
    ],
    [
      new InteractionRequiredAuthError(
        'interaction_required',
        'mfa',
        undefined,
        undefined,
        undefined,
        undefined,
        '{"access_token":{"capolids":{"essential":true,"values":["p1"]}}}',
        '50076',
      ),
      'claims_challenge',
      'AADSTS50076',
    ],
    [
      new InteractionRequiredAuthError('interaction_required', 'no claims given'),
      'caller_token_rejected',
      undefined,
    ],
    [
      serverError('invalid_client', undefined, 'x', undefined, '7000215'),
      'app_credential_rejected',
      'AADSTS7000215',
    ],
    [serverError('invalid_scope', undefined, 'x', undefined, '70011'), 'invalid_scope', 'AADSTS70011'],
    [serverError('temporarily_unavailable', undefined, 'x'), 'provider_unavailable', undefined],
    [new Error('ECONNREFUSED'), 'provider_unavailable', undefined],
  ])('%#: maps to %s', (error, code, aadsts) => {
    const mapped = mapOboError(error);
    expect(mapped.code).toBe(code);
    if (aadsts) expect(mapped.message).toContain(`(${aadsts})`);
    else expect(mapped.message).not.toContain('AADSTS');
    expect(mapped.cause).toBe(error);
  });

  it.each([
    ['50076', 'complete the multi-factor prompt'],
    ['50079', 'register one (https://aka.ms/mfasetup)'],
    ['53003', "the tenant's administrator decides"],
    ['53000', 'compliant or managed device'],
    ['50158', 'sign in again with further claims'],
  ])(
    'a Conditional Access refusal (AADSTS%s) carries its claims and says what the user must do',
    (code, says) => {
      const claims = '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}';
      const mapped = mapOboError(
        new InteractionRequiredAuthError(
          'interaction_required',
          'x',
          undefined,
          undefined,
          undefined,
          undefined,
          claims,
          code,
        ),
      );
      expect(mapped.code).toBe('claims_challenge');
      expect(mapped.claims).toBe(claims);
      expect(mapped.callerShouldReauthenticate).toBe(true);
      expect(mapped.message).toContain(says);
      expect(mapped.message).toContain(`(AADSTS${code})`);
    },
  );

  it('reads the code from errorNo, not from the message', () => {
    const misleading = new ServerError(
      'invalid_grant',
      'AADSTS7000114: looks like an app-only caller',
      undefined,
      '50173',
    );
    expect(mapOboError(misleading).code).toBe('caller_token_rejected');
  });
});

describe('isDefaultThrottle', () => {
  const now = 1_000_000;
  it.each([
    [now + 60_000, true],
    [now + 58_000, true],
    [now + 54_000, false],
    [now + 120_000, false],
    ['soon', false],
    [undefined, false],
  ])('throttleTime %s → %s', (throttleTime, expected) => {
    expect(isDefaultThrottle(throttleTime, now)).toBe(expected);
  });
});
