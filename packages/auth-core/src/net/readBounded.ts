// Reading a body (a request's, or an answer from Entra ID or Azure Resource Manager) to a bound:
// the one helper the façade, the Entra front and the Postgres tools' ARM client share.

/**
 * A body read to at most `maxBytes`: undefined one byte
 * past it, without reading further.
 */
export async function readBounded(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
): Promise<Buffer | undefined> {
  if (!body) return Buffer.alloc(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      // not awaited: one branch of a tee'd body (a Request's clone) settles its cancel only when
      // the other branch is cancelled too
      reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}
