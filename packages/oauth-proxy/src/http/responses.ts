// The façade's answers as web-standard Responses (the node:http adapter writes them out).

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

export function html(status: number, body: string, headers: Record<string, string> = {}): Response {
  const out = new Headers(headers);
  out.set('content-type', 'text/html; charset=utf-8');
  out.set('cache-control', 'no-store');
  out.set('referrer-policy', 'no-referrer');
  out.set('x-frame-options', 'DENY');
  // the pages run no script; no form-action: browsers apply it to the redirects after the form
  // (to Entra ID, then to the client's redirect URI), which it would block
  out.set('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
  return new Response(body, { status, headers: out });
}

export function redirect(location: string, headers: Record<string, string> = {}): Response {
  const out = new Headers(headers);
  out.set('location', location);
  out.set('cache-control', 'no-store');
  out.set('referrer-policy', 'no-referrer');
  return new Response(null, { status: 302, headers: out });
}
