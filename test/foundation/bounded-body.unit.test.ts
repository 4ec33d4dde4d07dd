import { BodyTooLargeError, readBodyCapped, readBodyPrefix } from '../../config/bounded-body';

/** A response whose body is made chunk by chunk as it is read, counting what was pulled; `chunks` of 1 KiB each. */
function streamed(chunks: number, headers: Record<string, string> = {}): { response: Response; pulled: () => number } {
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled >= chunks) return controller.close();
      pulled++;
      controller.enqueue(new Uint8Array(1024).fill(0x61));
    },
  });
  return { response: new Response(body, { headers }), pulled: () => pulled };
}

describe('reading a body up to a cap', () => {
  it('reads a body within the cap whole, as text', async () => {
    expect(await readBodyCapped(new Response('{"ok":true}'), 11)).toBe('{"ok":true}');
    expect(await readBodyCapped(new Response(null), 10)).toBe('');
  });

  it('stops at the first chunk past the cap and pulls nothing more', async () => {
    const { response, pulled } = streamed(1_000_000);
    await expect(readBodyCapped(response, 10 * 1024)).rejects.toBeInstanceOf(BodyTooLargeError);
    expect(pulled()).toBeLessThanOrEqual(12);
  });

  it('refuses a declared Content-Length past the cap without reading', async () => {
    const { response, pulled } = streamed(100, { 'Content-Length': String(100 * 1024) });
    await expect(readBodyCapped(response, 1024)).rejects.toThrow('the response body is larger than 1024 bytes');
    expect(pulled()).toBeLessThanOrEqual(1);
  });

  it('gives the start of a long reply, a character cut in two as U+FFFD', async () => {
    const { response, pulled } = streamed(1_000_000);
    expect(await readBodyPrefix(response, 4096)).toBe('a'.repeat(4096));
    expect(pulled()).toBeLessThanOrEqual(6);
    expect(await readBodyPrefix(new Response('aé'), 2)).toBe('a\uFFFD');
  });
});
