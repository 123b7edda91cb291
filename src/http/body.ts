/**
 * The request-body limit (`http.maxBodyBytes`): an app is never handed more, and a client never
 * makes the node buffer more.
 *
 * @module
 */

function tooLarge(max: number): Response {
  return new Response(`Payload Too Large: at most ${max} bytes\n`, {
    status: 413,
    headers: { "content-type": "text/plain", connection: "close" },
  });
}

/**
 * `request` when its body is within `max` bytes (a body of unknown length read into memory, at
 * most `max` of it), else a 413 answer.
 */
export async function limitBody(request: Request, max = Infinity): Promise<Request | Response> {
  // Headers first: touching `body` makes Node's adapter build a full Request, GETs included.
  if (max === Infinity || request.method === "GET" || request.method === "HEAD") return request;
  const declared = request.headers.get("content-length");
  if (declared !== null) {
    const length = Number(declared);
    return Number.isSafeInteger(length) && length <= max ? request : tooLarge(max);
  }
  if (!request.headers.has("transfer-encoding") || request.body === null) return request;
  // No length given (chunked): read up to the limit, then hand the app the bytes read.
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      return tooLarge(max);
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new Request(request, { body });
}
