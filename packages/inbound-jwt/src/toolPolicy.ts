import {
  type AuthContextAccessor,
  defaultAuthContextAccessor,
  type McpAuthInfo,
  type RequestAuthContext,
  resolveCaller,
} from '@mcp-auth-kit/auth-core';
import { answerResponse, type OutcomeHttp, outcomeFor, outcomeHttp, writeAnswer } from './challenge.js';
import type { NodeMiddleware } from './createAuthMiddleware.js';
import { InboundAuthError } from './errors.js';
import { metadataUrlFor, type ResourceUrlOptions } from './requestUrls.js';
import {
  FetchRequestView,
  jsonRpcErrorAnswer,
  NodeRequestView,
  type RequestView,
  type Step,
} from './requestView.js';

/** What a tool needs: any one of the listed scopes or roles suffices. */
export interface ToolRequirement {
  readonly scopes?: readonly string[];
  readonly roles?: readonly string[];
}

/** Per-tool requirements, by tool name; tools not listed need nothing beyond authentication. */
export type ToolPolicy = Readonly<Record<string, ToolRequirement>>;

/** Undefined when `context` may call `toolName`, else the `insufficient_scope` error naming what is needed. */
export function checkToolPolicy(
  caller: RequestAuthContext | undefined | (() => RequestAuthContext | undefined),
  toolName: string,
  policy: ToolPolicy,
): InboundAuthError | undefined {
  const need = Object.hasOwn(policy, toolName) ? policy[toolName] : undefined;
  if (!need) return undefined;
  const scopes = need.scopes ?? [];
  const roles = need.roles ?? [];
  if (scopes.length === 0 && roles.length === 0) return undefined;
  // the caller is looked up only for a tool the policy names
  const context = typeof caller === 'function' ? caller() : caller;
  if (
    context &&
    (scopes.some((s) => context.scopes.includes(s)) || roles.some((r) => context.roles.includes(r)))
  ) {
    return undefined;
  }
  return new InboundAuthError(
    'insufficient_scope',
    `the tool ${toolName} needs one of: ${[...scopes, ...roles].join(', ')}`,
    // only scopes can be requested (app roles are assigned): the 403's scope names those alone
    scopes.length > 0 ? { scope: scopes.join(' ') } : {},
  );
}

export interface ToolPolicyMiddlewareOptions extends ResourceUrlOptions, ToolPolicyStageOptions {
  readonly accessor?: AuthContextAccessor;
}

/** The first protocol revision whose requests carry `Mcp-Method` / `Mcp-Name` (SEP-2243). */
const MODERN_REVISION = '2026-07-28';
const BASE64_SENTINEL = /^=\?base64\?([A-Za-z0-9+/]*={0,2})\?=$/;
/** JSON-RPC: the Mcp-Method / Mcp-Name headers are missing or disagree with the body. */
const HEADER_MISMATCH = -32020;

/** `Mcp-Name` as sent: plain, or `=?base64?…?=` for values a header cannot carry; null when malformed. */
export function decodeMcpNameHeader(value: string): string | null {
  const m = BASE64_SENTINEL.exec(value);
  if (!m) return value;
  const decoded = Buffer.from(m[1]!, 'base64');
  if (decoded.toString('base64') !== m[1]) return null;
  return decoded.toString('utf8');
}

/** Reads one header from node's headers or a `Headers`; null when a node header is repeated. */
type HeaderReader = Pick<RequestView, 'header'>;

/** What the policy decided about a POST, before or after its body was read. */
export type ToolPolicyDecision =
  | { readonly kind: 'allow' }
  /** An older protocol revision: decide again with the parsed body. */
  | { readonly kind: 'needs_body' }
  | { readonly kind: 'refuse'; readonly error: InboundAuthError }
  /** Missing, repeated or disagreeing routing headers (JSON-RPC -32020, HTTP 400). */
  | { readonly kind: 'malformed'; readonly message: string };

/**
 * The one policy decision for every adapter. A 2026-07-28 request (its `MCP-Protocol-Version`
 * names that revision or a later one) is decided from `Mcp-Method` / `Mcp-Name`; a body, when one
 * was already parsed, must agree with them. Older revisions carry no such headers: they need the
 * parsed body (`needs_body`), and then every `tools/call` in it (a batch included) is checked.
 */
export function decideToolPolicy(
  request: HeaderReader,
  body: { readonly parsed: unknown } | undefined,
  caller: RequestAuthContext | undefined | (() => RequestAuthContext | undefined),
  policy: ToolPolicy,
): ToolPolicyDecision {
  const version = request.header('mcp-protocol-version');
  if (typeof version === 'string' && version.trim() >= MODERN_REVISION) {
    const method = request.header('mcp-method')?.trim();
    if (!method)
      return { kind: 'malformed', message: 'a 2026-07-28 request needs exactly one Mcp-Method header' };
    let tool: string | undefined;
    if (method === 'tools/call') {
      const raw = request.header('mcp-name')?.trim();
      if (!raw)
        return {
          kind: 'malformed',
          message: 'a 2026-07-28 tools/call request needs exactly one Mcp-Name header',
        };
      const decoded = decodeMcpNameHeader(raw);
      if (decoded === null)
        return { kind: 'malformed', message: 'the Mcp-Name header carries an invalid Base64 value' };
      tool = decoded;
    }
    if (body && bodyDisagrees(body.parsed, method, tool)) {
      return { kind: 'malformed', message: 'the Mcp-Method / Mcp-Name headers disagree with the body' };
    }
    const denied = tool === undefined ? undefined : checkToolPolicy(caller, tool, policy);
    return denied ? { kind: 'refuse', error: denied } : { kind: 'allow' };
  }
  if (!body) return { kind: 'needs_body' };
  const messages = Array.isArray(body.parsed) ? body.parsed : [body.parsed];
  for (const message of messages) {
    const m = message as { method?: unknown; params?: { name?: unknown } } | null;
    if (m?.method !== 'tools/call' || typeof m.params?.name !== 'string') continue;
    const denied = checkToolPolicy(caller, m.params.name, policy);
    if (denied) return { kind: 'refuse', error: denied };
  }
  return { kind: 'allow' };
}

function bodyDisagrees(body: unknown, method: string, tool: string | undefined): boolean {
  const m = body as { method?: unknown; params?: { name?: unknown } } | null;
  if (Array.isArray(body) || typeof m !== 'object' || m === null) return true;
  if (m.method !== method) return true;
  return tool !== undefined && m.params?.name !== tool;
}

export interface ToolPolicyStageOptions {
  readonly realm?: string;
  /** Largest request body read, in bytes; default 4 MiB. */
  readonly maxBodyBytes?: number;
}

/**
 * The per-tool policy, before the MCP transport sees the request: undefined to go on, else the
 * answer (403 `insufficient_scope` naming the scope, the MCP step-up flow; 400 for routing
 * headers that are missing or disagree with the body; the body's own refusal). A 2026-07-28
 * request is decided from its headers; an older one from its body, read once (at most
 * `maxBodyBytes`), and only for a POST.
 */
export function toolPolicyStage(
  policy: ToolPolicy,
  options: ToolPolicyStageOptions = {},
): (view: RequestView, caller: () => RequestAuthContext | undefined) => Step<OutcomeHttp | undefined> {
  const realm = options.realm ?? 'mcp';
  const limit = options.maxBodyBytes ?? 4 * 1024 * 1024;
  const answer = (
    view: RequestView,
    decision: ReturnType<typeof decideToolPolicy>,
  ): OutcomeHttp | undefined => {
    if (decision.kind === 'malformed') return jsonRpcErrorAnswer(400, HEADER_MISMATCH, decision.message);
    if (decision.kind !== 'refuse') return undefined;
    const outcome = outcomeFor(decision.error);
    if (outcome.kind !== 'challenge') return undefined;
    const resource = view.resource();
    return outcomeHttp(outcome, { realm, resourceMetadataUrl: metadataUrlFor(resource), resource });
  };
  return (view, caller) => {
    if (view.method !== 'POST') return undefined;
    const parsed = view.parsedBody();
    const first = decideToolPolicy(view, parsed === undefined ? undefined : { parsed }, caller, policy);
    if (first.kind !== 'needs_body') return answer(view, first);
    return view.readBody(limit).then((body) => {
      if (!body.ok) return body.answer;
      return answer(view, decideToolPolicy(view, { parsed: body.parsed }, caller, policy));
    });
  };
}

/**
 * The policy as node:http / Express middleware: a refused request is answered here, any other goes
 * on. A 2025 request's body is read (at most `maxBodyBytes`) and left on `req.body` for the MCP
 * transport (`transport.handleRequest(req, res, req.body)`); a 2026-07-28 request's is not read.
 */
export function createToolPolicyMiddleware(
  policy: ToolPolicy,
  options: ToolPolicyMiddlewareOptions = {},
): NodeMiddleware {
  const accessor = options.accessor ?? defaultAuthContextAccessor;
  const check = toolPolicyStage(policy, options);
  const decided = (
    res: Parameters<NodeMiddleware>[1],
    next: () => void,
    refusal: OutcomeHttp | undefined,
  ) => {
    if (refusal) writeAnswer(res, refusal);
    else next();
  };
  return (req, res, next) => {
    const request = req as typeof req & { auth?: McpAuthInfo };
    const caller = () =>
      accessor.current() ?? resolveCaller(request.auth ? { authInfo: request.auth } : undefined);
    const refusal = check(new NodeRequestView(req, options), caller);
    if (refusal instanceof Promise) refusal.then((r) => decided(res, next, r), next);
    else decided(res, next, refusal);
  };
}

/**
 * The same policy for fetch-style hosts: `undefined` to go on, or the refusal `Response`. A 2025
 * request's body is read from a clone (at most `maxBodyBytes`), so the request stays readable.
 */
export function createToolPolicyFetchCheck(
  policy: ToolPolicy,
  options: Omit<ToolPolicyMiddlewareOptions, 'accessor'> = {},
): (request: Request, authInfo: McpAuthInfo | undefined) => Promise<Response | undefined> {
  const check = toolPolicyStage(policy, options);
  return async (request, authInfo) => {
    const caller = () => resolveCaller(authInfo ? { authInfo } : undefined);
    const refusal = await check(new FetchRequestView(request, options), caller);
    return refusal ? answerResponse(refusal) : undefined;
  };
}
