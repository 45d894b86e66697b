// A Streamable HTTP answer's JSON-RPC message, whether the server sent it as JSON or as an SSE
// stream (SDK v2's 2025 fallback answers over SSE): the last `data:` line that parses.
export function parseMcpResponse(text) {
  try {
    return JSON.parse(text);
  } catch {}
  let message;
  for (const line of text.split('\n')) {
    if (!line.startsWith('data:')) continue;
    try {
      message = JSON.parse(line.slice(5));
    } catch {}
  }
  return message;
}
