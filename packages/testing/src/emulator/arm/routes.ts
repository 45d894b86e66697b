// ARM's routes as a table of patterns (segments compared without case, as ARM does; `{name}`
// captures): subscription, long-running operation, resource group, flexible servers, one server,
// its configurations, one configuration (read, and change as a long-running operation).
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { readBody } from '../../http.js';
import type { EmulatorContext } from '../internals.js';
import type { ArmEmulator } from './ArmEmulator.js';
import { PROVIDER } from './ArmEmulator.js';
import { ArmError, configurationResource, serverResource, validValue } from './resources.js';

export interface ArmAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
}

interface RouteContext {
  readonly ctx: EmulatorContext;
  readonly arm: ArmEmulator;
  readonly req: IncomingMessage;
  readonly url: URL;
  /** The path's segments as sent (decoded), and the captures by name. */
  readonly parts: readonly string[];
  readonly params: Readonly<Record<string, string>>;
  readonly subscription: NonNullable<ReturnType<ArmEmulator['subscription']>>;
  /** Throws AuthorizationFailed unless the caller's roles allow `action` at the first `segments` of the path. */
  authorize(action: string, segments: number): void;
}

type Route = {
  readonly methods: readonly string[];
  readonly pattern: readonly string[];
  handle(r: RouteContext): ArmAnswer | Promise<ArmAnswer>;
};

const provider = PROVIDER.toLowerCase();
const group = ['subscriptions', '{subscription}', 'resourcegroups', '{group}'];
const servers = [...group, 'providers', provider, 'flexibleservers'];
const configurations = [...servers, '{server}', 'configurations'];

const groupNotFound = (r: RouteContext) =>
  new ArmError(
    404,
    'ResourceGroupNotFound',
    `Resource group '${r.params.group!.slice(0, 100)}' could not be found.`,
  );

function groupOf(r: RouteContext) {
  const found = r.subscription.resourceGroups.get(r.params.group!.toLowerCase());
  if (!found) throw groupNotFound(r);
  return found;
}

function serverOf(r: RouteContext) {
  const g = groupOf(r);
  const server = r.arm.server(r.subscription.id, g.name, r.params.server!);
  if (!server) {
    throw new ArmError(
      404,
      'ResourceNotFound',
      `The Resource '${PROVIDER}/flexibleServers/${r.params.server!.slice(0, 100)}' under resource group '${g.name}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
    );
  }
  return server;
}

const ROUTES: readonly Route[] = [
  {
    methods: ['GET'],
    pattern: ['subscriptions', '{subscription}'],
    handle: (r) => {
      r.authorize('Microsoft.Resources/subscriptions/read', 2);
      const sub = r.subscription;
      return {
        status: 200,
        body: {
          id: `/subscriptions/${sub.id}`,
          subscriptionId: sub.id,
          displayName: sub.displayName,
          state: 'Enabled',
          tenantId: r.ctx.emulator.tenantId,
        },
      };
    },
  },
  {
    methods: ['GET'],
    pattern: [
      'subscriptions',
      '{subscription}',
      'providers',
      provider,
      'locations',
      '{location}',
      'azureasyncoperation',
      '{operation}',
    ],
    handle: (r) => {
      const operation = r.arm.operation(r.params.operation!);
      if (!operation) {
        throw new ArmError(
          404,
          'ResourceNotFound',
          `The operation '${r.params.operation!.slice(0, 100)}' was not found.`,
        );
      }
      return { status: 200, body: { name: r.params.operation, ...operation } };
    },
  },
  {
    methods: ['GET'],
    pattern: group,
    handle: (r) => {
      r.authorize('Microsoft.Resources/subscriptions/resourceGroups/read', 4);
      const g = groupOf(r);
      return {
        status: 200,
        body: {
          id: `/subscriptions/${r.subscription.id}/resourceGroups/${g.name}`,
          name: g.name,
          location: g.location,
          properties: { provisioningState: 'Succeeded' },
        },
      };
    },
  },
  {
    methods: ['GET'],
    pattern: servers,
    handle: (r) => {
      r.authorize(`${PROVIDER}/flexibleServers/read`, 4);
      const g = groupOf(r);
      return {
        status: 200,
        body: {
          value: r.arm
            .servers(r.subscription.id, g.name)
            .map((s) => serverResource(s, r.ctx.emulator.tenantId)),
        },
      };
    },
  },
  {
    methods: ['GET'],
    pattern: [...servers, '{server}'],
    handle: (r) => {
      r.authorize(`${PROVIDER}/flexibleServers/read`, 8);
      return { status: 200, body: serverResource(serverOf(r), r.ctx.emulator.tenantId) };
    },
  },
  {
    methods: ['GET'],
    pattern: configurations,
    handle: (r) => {
      r.authorize(`${PROVIDER}/flexibleServers/configurations/read`, 9);
      const server = serverOf(r);
      return {
        status: 200,
        body: { value: [...server.configurations.values()].map((c) => configurationResource(server, c)) },
      };
    },
  },
  {
    methods: ['GET'],
    pattern: [...configurations, '{name}'],
    handle: (r) => {
      r.authorize(`${PROVIDER}/flexibleServers/configurations/read`, 10);
      const server = serverOf(r);
      const name = r.params.name!;
      const c = server.configurations.get(name.toLowerCase());
      if (!c) {
        throw new ArmError(
          404,
          'ResourceNotFound',
          `The Resource '${PROVIDER}/flexibleServers/${server.name}/configurations/${name.slice(0, 100)}' under resource group '${server.resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
        );
      }
      return { status: 200, body: configurationResource(server, c) };
    },
  },
  {
    methods: ['PUT', 'PATCH'],
    pattern: [...configurations, '{name}'],
    handle: async (r) => {
      r.authorize(`${PROVIDER}/flexibleServers/configurations/write`, 10);
      const server = serverOf(r);
      const name = r.params.name!;
      const c = server.configurations.get(name.toLowerCase());
      if (!c) {
        throw new ArmError(
          400,
          'InvalidParameterName',
          `The parameter name '${name.slice(0, 100)}' is not valid for this server.`,
        );
      }
      let body: { properties?: { value?: unknown } };
      try {
        body = JSON.parse(await readBody(r.req)) as typeof body;
      } catch {
        throw new ArmError(
          400,
          'InvalidRequestContent',
          'The request content was invalid and could not be deserialized.',
        );
      }
      const value = body?.properties?.value;
      if (typeof value !== 'string') {
        throw new ArmError(
          400,
          'InvalidRequestContent',
          "The request content must carry 'properties.value' as a string.",
        );
      }
      if (!validValue(c, value)) {
        throw new ArmError(
          400,
          'InvalidParameterValue',
          `Invalid value given for parameter ${c.name}. Specify a valid parameter value.`,
        );
      }
      c.value = value;
      c.source = value === c.defaultValue ? 'system-default' : 'user-override';
      if (!c.isDynamicConfig) c.isConfigPendingRestart = true;
      const operationId = randomUUID();
      r.arm.recordOperation(operationId);
      const base = `${r.ctx.emulator.httpsUrl}/subscriptions/${r.subscription.id}/providers/${PROVIDER}/locations/${server.location}`;
      const version = r.url.searchParams.get('api-version')!;
      return {
        status: 202,
        body: {},
        headers: {
          'azure-asyncoperation': `${base}/azureAsyncOperation/${operationId}?api-version=${version}`,
          location: `${base}/operationResults/${operationId}?api-version=${version}`,
        },
      };
    },
  },
];

/** The captures of `pattern` in `parts`, or undefined when it does not match. */
function match(pattern: readonly string[], parts: readonly string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p.startsWith('{')) params[p.slice(1, -1)] = parts[i]!;
    else if (p !== parts[i]!.toLowerCase()) return undefined;
  }
  return params;
}

/** Answers an authenticated ARM request: its subscription first (SubscriptionNotFound), then the route. */
export async function route(
  ctx: EmulatorContext,
  arm: ArmEmulator,
  req: IncomingMessage,
  url: URL,
  principalId: string,
  caller: string,
): Promise<ArmAnswer> {
  const parts = url.pathname
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  const method = req.method ?? 'GET';
  const subscription = arm.subscription(parts[1] ?? '');
  if (!subscription) {
    throw new ArmError(
      404,
      'SubscriptionNotFound',
      `The subscription '${(parts[1] ?? '').slice(0, 100)}' could not be found.`,
    );
  }
  for (const candidate of ROUTES) {
    const params = candidate.methods.includes(method) ? match(candidate.pattern, parts) : undefined;
    if (!params) continue;
    return candidate.handle({
      ctx,
      arm,
      req,
      url,
      parts,
      params,
      subscription,
      authorize(action, segments) {
        const scope = `/${parts.slice(0, segments).join('/')}`;
        if (!arm.allowed(principalId, action, scope)) {
          throw new ArmError(
            403,
            'AuthorizationFailed',
            `The client '${caller}' with object id '${principalId}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
          );
        }
      },
    });
  }
  throw new ArmError(
    404,
    'InvalidResourceType',
    `The resource type could not be found in the namespace for api version '${url.searchParams.get('api-version')}'.`,
  );
}
