// Azure Resource Manager calls for the Postgres tools, made as the caller: the token comes from the
// same credential provider as the database password (On-Behalf-Of for ARM's scope under JwtObo; the
// host's identity under ManagedIdentity). ARM's answers become clear tool errors; the token only
// ever goes to the configured endpoint (a nextLink or operation URL elsewhere is not followed).
import type { TokenCredential } from '@azure/core-auth';
import { PostgresToolError } from '../errors.js';
import { azureScopeForHost, type PostgresServerEntry } from '../servers.js';
import { armSend, retryAfterMs } from './armHttp.js';

export interface AzureResourceManagerOptions {
  /**
   * The subscriptions whose flexible servers callers may discover and then use by name. Required:
   * a server in any other subscription is refused before any call.
   */
  readonly subscriptions: readonly string[];
  /** ARM's endpoint; default `https://management.azure.com` (sovereign clouds: their own). */
  readonly endpoint?: string;
  /** The token scope; default the endpoint's cloud (`https://management.azure.com/.default` for public Azure). */
  readonly scope?: string;
  /** The flexible servers API version; default `2024-08-01`. */
  readonly apiVersion?: string;
  /** One ARM request's time limit; default 15 s. A parameter change waits for its operation up to `operationTimeoutMs`. */
  readonly requestTimeoutMs?: number;
  /** How long a parameter change may run (ARM's long-running operation); default 60 s. */
  readonly operationTimeoutMs?: number;
  /**
   * Where to connect for a discovered server, by its fully qualified domain name, when that is not
   * the name itself (an SSH tunnel, a private endpoint under another name, the emulator).
   */
  readonly connectOverrides?: Readonly<Record<string, PostgresServerEntry>>;
}

/** A flexible server as ARM describes it (what the tools show). */
export interface ArmFlexibleServer {
  readonly id: string;
  readonly name: string;
  readonly location: string;
  readonly sku?: { readonly name?: string; readonly tier?: string };
  readonly properties: {
    readonly fullyQualifiedDomainName?: string;
    readonly version?: string;
    readonly state?: string;
    readonly storage?: {
      readonly storageSizeGB?: number;
      readonly autoGrow?: string;
      readonly tier?: string;
    };
    readonly backup?: { readonly backupRetentionDays?: number; readonly geoRedundantBackup?: string };
    readonly highAvailability?: { readonly mode?: string; readonly state?: string };
    readonly network?: { readonly publicNetworkAccess?: string; readonly delegatedSubnetResourceId?: string };
  };
}

export interface ArmConfiguration {
  readonly name: string;
  readonly properties: {
    readonly value?: string;
    readonly defaultValue?: string;
    readonly description?: string;
    readonly dataType?: string;
    readonly allowedValues?: string;
    readonly source?: string;
    readonly isDynamicConfig?: boolean;
    readonly isReadOnly?: boolean;
    readonly isConfigPendingRestart?: boolean;
    readonly unit?: string;
  };
}

const PROVIDER = 'Microsoft.DBforPostgreSQL';
const MAX_PAGES = 20;
const MAX_POLLS = 60;
// subscription ids are GUIDs; resource group and server names per ARM's naming rules
const SUBSCRIPTION = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const RESOURCE_GROUP = /^[-\w._()]{1,90}$/u;
const SERVER = /^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])?$/;
// a PostgreSQL parameter name, namespaced ones included (`pg_qs.query_capture_mode`): no empty
// segment, so never `.` or `..`
const PARAMETER = /^(?=.{1,100}$)[a-z0-9_]+(\.[a-z0-9_]+)*$/i;

const SOVEREIGN_SCOPES: ReadonlyArray<readonly [host: string, scope: string]> = [
  ['management.usgovcloudapi.net', 'https://management.usgovcloudapi.net/.default'],
  ['management.chinacloudapi.cn', 'https://management.chinacloudapi.cn/.default'],
];

/** Where a tool's Azure resource lives, as the caller named it. */
export interface ArmLocation {
  readonly subscription: string;
  readonly resourceGroup: string;
}

/** ARM as the tools use it; one per tool pack. */
export class AzureResourceManager {
  readonly endpoint: URL;
  readonly scope: string;
  readonly #subscriptions: ReadonlySet<string>;
  readonly #apiVersion: string;
  readonly #requestTimeoutMs: number;
  readonly #operationTimeoutMs: number;
  readonly #overrides: ReadonlyMap<string, PostgresServerEntry>;

  constructor(options: AzureResourceManagerOptions) {
    if (!options || !Array.isArray(options.subscriptions) || options.subscriptions.length === 0) {
      throw new TypeError('azureResourceManager.subscriptions: name at least one subscription id');
    }
    for (const s of options.subscriptions) {
      if (!SUBSCRIPTION.test(s)) {
        throw new TypeError(
          `azureResourceManager.subscriptions: "${String(s).slice(0, 60)}" is not a subscription id (a GUID)`,
        );
      }
    }
    this.#subscriptions = new Set(options.subscriptions.map((s) => s.toLowerCase()));
    let endpoint: URL;
    try {
      endpoint = new URL(options.endpoint ?? 'https://management.azure.com');
    } catch {
      throw new TypeError('azureResourceManager.endpoint is not a URL');
    }
    if (endpoint.protocol !== 'https:') throw new TypeError('azureResourceManager.endpoint must be https');
    this.endpoint = endpoint;
    this.scope =
      options.scope ??
      SOVEREIGN_SCOPES.find(([host]) => endpoint.hostname === host)?.[1] ??
      'https://management.azure.com/.default';
    this.#apiVersion = options.apiVersion ?? '2024-08-01';
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
    this.#operationTimeoutMs = options.operationTimeoutMs ?? 60_000;
    this.#overrides = new Map(
      Object.entries(options.connectOverrides ?? {}).map(([fqdn, entry]) => [fqdn.toLowerCase(), entry]),
    );
  }

  /** Refuses names ARM would refuse, and subscriptions the operator did not configure, before any call. */
  check(location: ArmLocation, server?: string): void {
    if (!SUBSCRIPTION.test(location.subscription)) {
      throw new PostgresToolError('invalid_input', 'subscription must be a subscription id (a GUID)');
    }
    if (!this.#subscriptions.has(location.subscription.toLowerCase())) {
      throw new PostgresToolError(
        'server_not_allowed',
        `subscription ${location.subscription} is not one this server is configured for; configured: ${[...this.#subscriptions].join(', ')}`,
      );
    }
    if (!RESOURCE_GROUP.test(location.resourceGroup) || location.resourceGroup.endsWith('.')) {
      throw new PostgresToolError('invalid_input', 'resourceGroup is not a valid resource group name');
    }
    if (server !== undefined && !SERVER.test(server)) {
      throw new PostgresToolError(
        'invalid_input',
        'server must be a flexible server name (3 to 63 lower-case letters, digits and hyphens)',
      );
    }
  }

  /**
   * Where to connect for a server ARM knows by this host name: an operator override, or the name
   * itself when it is an Azure Database for PostgreSQL host (the caller's database token goes
   * there); any other name is refused.
   */
  connectTarget(fqdn: string): PostgresServerEntry {
    const override = this.#overrides.get(fqdn.toLowerCase());
    if (override) return override;
    if (!azureScopeForHost(fqdn)) {
      throw new PostgresToolError(
        'server_not_allowed',
        `Azure names the host ${fqdn.slice(0, 100)}, which is not an Azure Database for PostgreSQL host; the database token is not sent there`,
      );
    }
    return { host: fqdn };
  }

  /** The flexible servers in a resource group that the caller can see. */
  async listServers(credential: TokenCredential, at: ArmLocation): Promise<ArmFlexibleServer[]> {
    this.check(at);
    const servers: ArmFlexibleServer[] = [];
    let url: URL | undefined = this.#url(`${this.#group(at)}/providers/${PROVIDER}/flexibleServers`);
    for (let page = 0; url && page < MAX_PAGES; page++) {
      const { body } = await this.#send(credential, 'GET', url);
      const list = body as { value?: ArmFlexibleServer[]; nextLink?: string };
      servers.push(...(Array.isArray(list.value) ? list.value : []));
      url = list.nextLink ? this.#sameOrigin(list.nextLink) : undefined;
    }
    return servers;
  }

  async getServer(credential: TokenCredential, at: ArmLocation, server: string): Promise<ArmFlexibleServer> {
    this.check(at, server);
    return (await this.#send(credential, 'GET', this.#url(this.#server(at, server))))
      .body as ArmFlexibleServer;
  }

  async getConfiguration(
    credential: TokenCredential,
    at: ArmLocation,
    server: string,
    parameter: string,
  ): Promise<ArmConfiguration> {
    this.check(at, server);
    this.#checkParameter(parameter);
    const url = this.#url(`${this.#server(at, server)}/configurations/${encodeURIComponent(parameter)}`);
    return (await this.#send(credential, 'GET', url)).body as ArmConfiguration;
  }

  /** Changes one server parameter and waits for ARM's operation to finish; answers the parameter as it now is. */
  async setConfiguration(
    credential: TokenCredential,
    at: ArmLocation,
    server: string,
    parameter: string,
    value: string,
  ): Promise<ArmConfiguration> {
    this.check(at, server);
    this.#checkParameter(parameter);
    const url = this.#url(`${this.#server(at, server)}/configurations/${encodeURIComponent(parameter)}`);
    const deadline = Date.now() + this.#operationTimeoutMs;
    const put = await this.#send(credential, 'PUT', url, { properties: { value, source: 'user-override' } });
    if (put.status === 202 || put.status === 201) {
      const operation = put.headers.get('azure-asyncoperation') ?? put.headers.get('location');
      if (operation) await this.#waitFor(credential, this.#sameOrigin(operation), put.headers, deadline);
    }
    return this.getConfiguration(credential, at, server, parameter);
  }

  async #waitFor(
    credential: TokenCredential,
    url: URL | undefined,
    first: Headers,
    deadline: number,
  ): Promise<void> {
    if (!url) {
      throw new PostgresToolError(
        'azure_error',
        'Azure accepted the change but named an operation outside its endpoint; check the parameter in the portal',
      );
    }
    let headers = first;
    for (let poll = 0; poll < MAX_POLLS; poll++) {
      const wait = Math.min(retryAfterMs(headers) ?? 500, 10_000);
      if (Date.now() + wait > deadline) break;
      await new Promise((r) => setTimeout(r, wait));
      const answer = await this.#send(credential, 'GET', url);
      headers = answer.headers;
      const status = String(
        (answer.body as { status?: unknown }).status ?? (answer.status === 200 ? 'Succeeded' : ''),
      );
      if (status === 'Succeeded') return;
      if (status === 'Failed' || status === 'Canceled') {
        const error = (answer.body as { error?: { code?: unknown; message?: unknown } }).error;
        throw new PostgresToolError(
          'azure_error',
          `Azure could not change the parameter (${status}${error?.code ? `: ${String(error.code).slice(0, 80)}` : ''}${error?.message ? `, ${String(error.message).slice(0, 300)}` : ''})`,
        );
      }
    }
    throw new PostgresToolError(
      'timeout',
      `Azure is still applying the change after ${Math.round(this.#operationTimeoutMs / 1000)} s; read the parameter again later`,
    );
  }

  #checkParameter(parameter: string): void {
    if (!PARAMETER.test(parameter)) {
      throw new PostgresToolError(
        'invalid_input',
        'param must be a server parameter name (letters, digits and "_", in segments joined by single dots)',
      );
    }
  }

  #group(at: ArmLocation): string {
    return `/subscriptions/${encodeURIComponent(at.subscription)}/resourceGroups/${encodeURIComponent(at.resourceGroup)}`;
  }

  #server(at: ArmLocation, server: string): string {
    return `${this.#group(at)}/providers/${PROVIDER}/flexibleServers/${encodeURIComponent(server)}`;
  }

  /**
   * The URL of an ARM path whose segments were encoded one by one: never resolved, so a segment
   * that reads `..` cannot climb to another resource (names are checked first; this is the net).
   */
  #url(path: string): URL {
    if (path.split('/').some((segment) => segment === '.' || segment === '..')) {
      throw new PostgresToolError('invalid_input', 'a name in the Azure resource path is not valid');
    }
    const url = new URL(this.endpoint.href);
    url.pathname = path;
    if (url.pathname !== path) {
      throw new PostgresToolError('invalid_input', 'a name in the Azure resource path is not valid');
    }
    url.searchParams.set('api-version', this.#apiVersion);
    return url;
  }

  /** A URL ARM handed back (nextLink, operation): followed only on the configured endpoint's origin. */
  #sameOrigin(link: string): URL | undefined {
    try {
      const url = new URL(link, this.endpoint);
      return url.origin === this.endpoint.origin ? url : undefined;
    } catch {
      return undefined;
    }
  }

  #send(
    credential: TokenCredential,
    method: 'GET' | 'PUT',
    url: URL,
    body?: unknown,
  ): Promise<{ status: number; body: unknown; headers: Headers }> {
    return armSend(credential, this.scope, method, url, body, {
      timeoutMs: this.#requestTimeoutMs,
      origin: this.endpoint.origin,
    });
  }
}
