import net from 'node:net';

/**
 * Opens and closes one TCP connection to host:port. The gRPC client retries a refused connection silently until its
 * deadline and then reports only "Failed to connect before the deadline"; this names the real cause at once.
 * Resolves with undefined when something listens, else with the reason (ECONNREFUSED, ENOTFOUND, a timeout).
 */
export function probeTcp(address: string, timeoutMs = 3_000): Promise<string | undefined> {
  const target = parseAddress(address);
  if (!target) return Promise.resolve(`"${address}" is not host:port`);
  return new Promise((resolve) => {
    const socket = net.connect({ host: target.host, port: target.port });
    const done = (reason?: string) => {
      socket.destroy();
      resolve(reason);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs / 1000} s`));
    socket.once('connect', () => done());
    socket.once('error', (err: NodeJS.ErrnoException) => {
      const first = err instanceof AggregateError && err.errors.length > 0 ? (err.errors[0] as NodeJS.ErrnoException) : err;
      done(first.message || first.code || 'connection failed');
    });
  });
}

function parseAddress(address: string): { host: string; port: number } | undefined {
  const match = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(address.trim());
  if (!match) return undefined;
  const port = Number(match[2]);
  return port > 0 && port < 65536 ? { host: match[1], port } : undefined;
}
