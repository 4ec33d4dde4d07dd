/** One line for a failed fetch: a timeout as such, else the network's own code or message (never a response body). */
export function describeFetchError(err: unknown, timeoutMs: number): string {
  // Errors from fetch and its aborts come from Node's own realm: read them by shape, not by instanceof.
  const failure = (err ?? {}) as { name?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } };
  if (failure.name === 'TimeoutError' || failure.name === 'AbortError') return `no answer within ${timeoutMs / 1000} s`;
  const detail = failure.cause?.code ?? failure.cause?.message ?? failure.message;
  return typeof detail === 'string' && detail ? detail : String(err);
}
