import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorEndpoint, Fault } from '../faults.js';
import { HttpError, readBody, sendJson } from '../http.js';
import type { RecordedRequest } from '../types.js';
import { type ArmEmulator, handleArm } from './arm.js';
import { authorize } from './authorizationCode.js';
import { discoveryV1, discoveryV2, tenantFromPath } from './discovery.js';
import { classify, type EmulatorContext } from './internals.js';
import { keyVault } from './keyVault.js';
import { managedIdentityToken } from './managedIdentity.js';
import { token } from './tokenEndpoint.js';

/** Answers one request: faults first (down, slow, status), then the route; every answer is recorded. */

export async function handleRequest(
  ctx: EmulatorContext,
  state: {
    readonly faults: ReadonlyMap<EmulatorEndpoint, Fault>;
    readonly requests: RecordedRequest[];
    readonly arm: ArmEmulator;
  },
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://emulator');
  const method = req.method ?? 'GET';
  const endpoint = classify(url.pathname);
  const record: { grant?: string; clientId?: string; objectId?: string; scope?: string } = {};
  const fault = endpoint === 'other' || endpoint === 'authorize' ? undefined : state.faults.get(endpoint);
  if (fault?.kind === 'down') {
    req.socket.destroy();
    return;
  }
  if (fault?.kind === 'slow') await new Promise((r) => setTimeout(r, fault.delayMs));
  let status = 200;
  if (endpoint === 'arm') {
    // ARM's own error shapes (and a 202 for long-running operations), not Entra's
    await handleArm(ctx, state.arm, req, res, url, fault, record);
    state.requests.push({
      endpoint,
      method,
      path: url.pathname,
      status: res.statusCode,
      objectId: record.objectId,
      atMs: Date.now(),
    } as RecordedRequest);
    return;
  }
  if (endpoint === 'authorize') {
    // a page or a redirect, not JSON
    try {
      const tenant = tenantFromPath(ctx, url.pathname.split('/').filter((p) => p !== '')[0]!);
      await authorize(ctx, ctx.authorization, tenant, url, res);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      sendJson(res, error.status, error.body, error.headers);
    }
    status = res.statusCode;
    state.requests.push({
      endpoint,
      method,
      path: url.pathname,
      status,
      atMs: Date.now(),
    } as RecordedRequest);
    return;
  }
  try {
    if (fault?.kind === 'status') {
      throw new HttpError(
        fault.status,
        {
          error: 'temporarily_unavailable',
          error_description: `AADSTS90033: A transient error has occurred (emulated ${fault.status}).`,
        },
        fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) },
      );
    }
    const body = await route(ctx, req, method, url, endpoint, record);
    sendJson(res, 200, body);
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    status = error.status;
    sendJson(res, error.status, error.body, error.headers);
  } finally {
    state.requests.push({
      endpoint,
      method,
      path: url.pathname,
      status,
      grant: record.grant,
      clientId: record.clientId,
      objectId: record.objectId,
      scope: record.scope,
      atMs: Date.now(),
    });
  }
}

async function route(
  ctx: EmulatorContext,
  req: IncomingMessage,
  method: string,
  url: URL,
  endpoint: RecordedRequest['endpoint'],
  record: { grant?: string; clientId?: string; objectId?: string; scope?: string },
): Promise<unknown> {
  const parts = url.pathname.split('/').filter((p) => p !== '');
  const notFound = () =>
    new HttpError(404, { error: 'not_found', error_description: `no route for ${method} ${url.pathname}` });
  switch (endpoint) {
    case 'discovery': {
      const tenant = tenantFromPath(ctx, parts[0]!);
      return url.pathname.includes('/v2.0/') ? discoveryV2(ctx, tenant) : discoveryV1(ctx, tenant);
    }
    case 'jwks':
      return ctx.emulator.jwks();
    case 'token': {
      if (method !== 'POST') throw notFound();
      const tenant = tenantFromPath(ctx, parts[0]!);
      const form = new URLSearchParams(await readBody(req));
      return token(ctx, tenant, form, url, record);
    }
    case 'managedIdentity':
      return managedIdentityToken(ctx, req, url, record);
    case 'keyVault':
      return keyVault(ctx, req, parts, record);
    default:
      throw notFound();
  }
}
