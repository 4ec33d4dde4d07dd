// Response bodies come from outside (the API, a webhook receiver) and may be of any size: one that streams gigabytes
// would run a worker out of memory, and then the next worker that takes the page over. Bodies are therefore read as
// a stream up to a cap, and what lies past it is never read: the stream is cancelled.

/** The body went past the cap; nothing past the cap was read. */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
  constructor(readonly maxBytes: number) {
    super(`the response body is larger than ${maxBytes} bytes`);
  }
}

/** The body as UTF-8 text (as `response.text()` reads it), or BodyTooLargeError as soon as it passes `maxBytes`. */
export async function readBodyCapped(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new BodyTooLargeError(maxBytes);
  }
  const { chunks, cut } = await readUpTo(response, maxBytes);
  if (cut) throw new BodyTooLargeError(maxBytes);
  return new TextDecoder().decode(Buffer.concat(chunks));
}

/** At most the first `maxBytes` of the body as text (a character cut in two becomes U+FFFD); the rest is not read. */
export async function readBodyPrefix(response: Response, maxBytes: number): Promise<string> {
  const { chunks } = await readUpTo(response, maxBytes);
  return new TextDecoder().decode(Buffer.concat(chunks).subarray(0, maxBytes));
}

/** Up to `maxBytes` and one chunk more of the body; `cut` when there was more, whose stream is then cancelled. */
async function readUpTo(response: Response, maxBytes: number): Promise<{ chunks: Uint8Array[]; cut: boolean }> {
  if (!response.body) return { chunks: [], cut: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { chunks, cut: false };
    chunks.push(value);
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return { chunks, cut: true };
    }
  }
}
