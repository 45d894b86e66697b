import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { createSecureContext, TLSSocket } from 'node:tls';
import type { EntraEmulator } from './EntraEmulator.js';
import { issueServerCertificate } from './pki.js';

/** The audience Azure Database for PostgreSQL accepts (scope `…/.default`). */
export const POSTGRES_AAD_AUDIENCE = 'https://ossrdbms-aad.database.windows.net';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;
const MAX_STARTUP_BYTES = 10_000;
/** An Entra token is a few kB; anything much larger is not one. */
const MAX_PASSWORD_BYTES = 64 * 1024;

export interface PostgresTokenGateOptions {
  readonly emulator: EntraEmulator;
  /** The real server, reached where it trusts the gate (e.g. its Unix socket with `trust`). */
  readonly upstream: { readonly socketPath: string } | { readonly host: string; readonly port: number };
  /** Offer TLS with a certificate from the emulator's CA (clients may still connect in plain text). */
  readonly tls?: boolean;
  /** Database roles that log in with a plain password instead of a token (e.g. an admin). */
  readonly passwordRoles?: Readonly<Record<string, string>>;
  readonly host?: string;
}

/** Why the gate refused a login, for tests that assert on it. */
export interface GateRefusal {
  readonly role: string;
  readonly reason:
    | 'not_a_token'
    | 'bad_signature'
    | 'expired'
    | 'wrong_audience'
    | 'role_mismatch'
    | 'unknown_principal';
}

/**
 * Azure Database for PostgreSQL's Entra login in front of a real PostgreSQL server: it asks the
 * client for a cleartext password and admits it only if that password is an unexpired token the
 * emulator issued for the `https://ossrdbms-aad.database.windows.net` audience whose principal is
 * the login role (a user's UPN, or a managed identity's name). Then it relays the session to the
 * real server as that role.
 */
export class PostgresTokenGate {
  readonly #options: PostgresTokenGateOptions;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #secureContext;
  #port = 0;
  /** Logins admitted, by role (for asserting how many connections a library opened). */
  readonly #logins: Array<{ role: string; database: string; atMs: number }> = [];
  readonly #refusals: GateRefusal[] = [];

  /** Logins admitted, oldest first (read-only). */
  get logins(): ReadonlyArray<{ readonly role: string; readonly database: string; readonly atMs: number }> {
    return this.#logins;
  }

  /** Logins refused, with the reason (read-only). */
  get refusals(): readonly GateRefusal[] {
    return this.#refusals;
  }

  private constructor(options: PostgresTokenGateOptions) {
    this.#options = options;
    if (options.tls) {
      const cert = issueServerCertificate(options.emulator.ca);
      this.#secureContext = createSecureContext({ cert: cert.certificatePem, key: cert.privateKeyPem });
    }
    this.#server = createServer((socket) => {
      // Like a real server: no Nagle delay on small protocol messages (else 40 ms stalls on delayed ACKs).
      socket.setNoDelay(true);
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
      socket.on('error', () => socket.destroy());
      this.#serve(socket).catch(() => socket.destroy());
    });
  }

  static async start(options: PostgresTokenGateOptions): Promise<PostgresTokenGate> {
    const gate = new PostgresTokenGate(options);
    await new Promise<void>((resolve, reject) => {
      gate.#server.once('error', reject);
      gate.#server.listen(0, options.host ?? '127.0.0.1', () => resolve());
    });
    gate.#port = (gate.#server.address() as { port: number }).port;
    return gate;
  }

  get host(): string {
    return this.#options.host ?? '127.0.0.1';
  }

  get port(): number {
    return this.#port;
  }

  /** Closes the listener and every relayed session. */
  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Drops every open session (as a server restart would), keeping the listener. */
  dropConnections(): void {
    for (const socket of this.#sockets) socket.destroy();
  }

  async #serve(raw: Socket): Promise<void> {
    let socket: Socket = raw;
    let reader = new MessageReader(socket);
    let startup = await reader.startup();
    while (startup.code === SSL_REQUEST || startup.code === GSSENC_REQUEST) {
      if (startup.code === SSL_REQUEST && this.#secureContext) {
        socket.write('S');
        reader.detach();
        const tls = new TLSSocket(socket, { isServer: true, secureContext: this.#secureContext });
        tls.on('error', () => raw.destroy());
        socket = tls;
        reader = new MessageReader(tls);
      } else {
        socket.write('N');
      }
      startup = await reader.startup();
    }
    if (startup.code === CANCEL_REQUEST) {
      const upstream = this.#connectUpstream();
      upstream.on('error', () => upstream.destroy());
      upstream.end(startup.raw);
      socket.end();
      return;
    }
    if (startup.code !== PROTOCOL_3) {
      sendFatal(socket, '0A000', 'unsupported frontend protocol');
      return;
    }
    const params = parseStartupParams(startup.body);
    const role = params.get('user') ?? '';
    const database = params.get('database') ?? role;

    // AuthenticationCleartextPassword, as Azure Database for PostgreSQL asks for the token.
    socket.write(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3]));
    const message = await reader.message();
    if (message.type !== 0x70 || message.body.length > MAX_PASSWORD_BYTES) {
      sendFatal(socket, '28P01', `password authentication failed for user "${role}"`);
      return;
    }
    const password = message.body.subarray(0, Math.max(0, message.body.indexOf(0))).toString('utf8');
    const refusal = await this.#check(role, password);
    if (refusal) {
      this.#refusals.push({ role, reason: refusal });
      sendFatal(socket, '28P01', `password authentication failed for user "${role}"`);
      return;
    }
    this.#logins.push({ role, database, atMs: Date.now() });

    const upstream = this.#connectUpstream();
    reader.detach();
    const leftover = reader.takeBuffered();
    upstream.once('connect', () => {
      upstream.write(buildStartup(params));
      // The real server trusts the gate; its AuthenticationOk and the rest go straight to the client.
      if (leftover.length > 0) upstream.write(leftover);
      socket.pipe(upstream);
      upstream.pipe(socket);
    });
    upstream.on('error', () => socket.destroy());
    upstream.on('close', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
  }

  #connectUpstream(): Socket {
    const upstream = this.#options.upstream;
    return 'socketPath' in upstream
      ? netConnect(upstream.socketPath)
      : netConnect(upstream.port, upstream.host);
  }

  async #check(role: string, password: string): Promise<GateRefusal['reason'] | undefined> {
    const plain = this.#options.passwordRoles?.[role];
    if (plain !== undefined) return password === plain ? undefined : 'not_a_token';
    if (password.split('.').length !== 3) return 'not_a_token';
    let claims: Record<string, unknown>;
    try {
      claims = await this.#options.emulator.verify(password, { ignoreExpiry: true });
    } catch {
      return 'bad_signature';
    }
    const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!audiences.includes(POSTGRES_AAD_AUDIENCE)) return 'wrong_audience';
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= Date.now()) return 'expired';
    const principal = this.#options.emulator.principal(String(claims.oid ?? ''));
    if (!principal) return 'unknown_principal';
    const expected = 'userPrincipalName' in principal ? principal.userPrincipalName : principal.name;
    return expected.toLowerCase() === role.toLowerCase() ? undefined : 'role_mismatch';
  }
}

function sendFatal(socket: Socket, code: string, message: string): void {
  const fields = Buffer.concat([
    field('S', 'FATAL'),
    field('V', 'FATAL'),
    field('C', code),
    field('M', message),
    Buffer.from([0]),
  ]);
  const header = Buffer.alloc(5);
  header.write('E', 0);
  header.writeInt32BE(fields.length + 4, 1);
  socket.end(Buffer.concat([header, fields]));
}

function field(type: string, value: string): Buffer {
  return Buffer.concat([Buffer.from(type), Buffer.from(value, 'utf8'), Buffer.from([0])]);
}

function parseStartupParams(body: Buffer): Map<string, string> {
  const params = new Map<string, string>();
  const parts = body.toString('utf8').split('\0');
  for (let i = 0; i + 1 < parts.length; i += 2) {
    if (parts[i] === '') break;
    params.set(parts[i]!, parts[i + 1]!);
  }
  return params;
}

function buildStartup(params: Map<string, string>): Buffer {
  const chunks: Buffer[] = [];
  for (const [k, v] of params) chunks.push(Buffer.from(`${k}\0${v}\0`, 'utf8'));
  chunks.push(Buffer.from([0]));
  const body = Buffer.concat(chunks);
  const header = Buffer.alloc(8);
  header.writeInt32BE(body.length + 8, 0);
  header.writeInt32BE(PROTOCOL_3, 4);
  return Buffer.concat([header, body]);
}

/** Reads whole protocol messages from a socket until detached. */
class MessageReader {
  #buffer = Buffer.alloc(0);
  #waiter: (() => void) | undefined;
  #closed = false;
  readonly #onData = (chunk: Buffer) => {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    this.#waiter?.();
  };
  readonly #onEnd = () => {
    this.#closed = true;
    this.#waiter?.();
  };

  constructor(private readonly socket: Socket) {
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('close', this.#onEnd);
  }

  detach(): void {
    this.socket.off('data', this.#onData);
    this.socket.off('end', this.#onEnd);
    this.socket.off('close', this.#onEnd);
  }

  takeBuffered(): Buffer {
    const rest = this.#buffer;
    this.#buffer = Buffer.alloc(0);
    return rest;
  }

  async #need(n: number): Promise<void> {
    while (this.#buffer.length < n) {
      if (this.#closed) throw new Error('connection closed');
      await new Promise<void>((resolve) => {
        this.#waiter = resolve;
      });
      this.#waiter = undefined;
    }
  }

  async startup(): Promise<{ code: number; body: Buffer; raw: Buffer }> {
    await this.#need(8);
    const length = this.#buffer.readInt32BE(0);
    if (length < 8 || length > MAX_STARTUP_BYTES) throw new Error('bad startup length');
    await this.#need(length);
    const raw = this.#buffer.subarray(0, length);
    this.#buffer = this.#buffer.subarray(length);
    return { code: raw.readInt32BE(4), body: raw.subarray(8), raw };
  }

  async message(): Promise<{ type: number; body: Buffer }> {
    await this.#need(5);
    const type = this.#buffer[0]!;
    const length = this.#buffer.readInt32BE(1);
    if (length < 4 || length > MAX_PASSWORD_BYTES + 5) throw new Error('bad message length');
    await this.#need(1 + length);
    const body = this.#buffer.subarray(5, 1 + length);
    this.#buffer = this.#buffer.subarray(1 + length);
    return { type, body };
  }
}
