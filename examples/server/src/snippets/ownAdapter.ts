import { type IInboundAuthSetup, type McpAuthInfo, toAuthInfo } from '@mcp-auth-kit/auth-core';
import {
  answerResponse,
  authenticationStage,
  FetchRequestView,
  toolPolicyStage,
} from '@mcp-auth-kit/inbound-jwt';

// A host of your own over the stages every adapter shares: the same checks, the same answers.
export function guard(
  setup: IInboundAuthSetup,
  handler: (request: Request, authInfo: McpAuthInfo | undefined) => Promise<Response>,
) {
  const authenticate = authenticationStage(setup);
  const policy = toolPolicyStage({ postgres_database_query: { scopes: ['mcp.query'] } });
  return async (request: Request): Promise<Response> => {
    const view = new FetchRequestView(request, { resourceUrl: 'https://mcp.contoso.com/mcp' });
    const result = await authenticate(view); // a known token answers at once
    if (result.kind === 'answer') return answerResponse(result.answer); // 401/403/503
    const refusal = await policy(view, () => result.context);
    if (refusal) return answerResponse(refusal); // 403 insufficient_scope, or 400
    return handler(request, result.context && toAuthInfo(result.context, view.resource()));
  };
}
