import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { Readiness } from './readiness';

export const HEALTH_PATHS = { live: '/livez', ready: '/readyz', metrics: '/metrics' } as const;

export interface HealthServerOptions {
  port: number;
  host: string;
  readiness: () => Promise<Readiness>;
  /** Served on /metrics: the metrics read from PostgreSQL at scrape time. */
  stateMetrics: Registry;
}

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

/**
 * /livez: the process answers (an orchestrator restarts it when it stops answering; a dependency being down is no
 * reason to). /readyz: the worker can work, 200 or 503 with each check's answer as JSON. /metrics: the state metrics.
 */
export function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const server = createServer((request, response) => {
    route(request, options).then(
      ({ status, type, body }) => send(response, status, type, body),
      (err: Error) => send(response, 503, 'text/plain; charset=utf-8', `${err.message.split('\n')[0]}\n`),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve({
        port: typeof address === 'object' && address ? address.port : options.port,
        close: () => new Promise<void>((done) => {
          server.close(() => done());
          server.closeAllConnections();
        }),
      });
    });
  });
}

async function route(request: IncomingMessage, options: HealthServerOptions): Promise<{ status: number; type: string; body: string }> {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  if (request.method !== 'GET' && request.method !== 'HEAD') return { status: 405, type: 'text/plain; charset=utf-8', body: 'only GET\n' };
  if (path === HEALTH_PATHS.live) return { status: 200, type: 'text/plain; charset=utf-8', body: 'ok\n' };
  if (path === HEALTH_PATHS.ready) {
    const readiness = await options.readiness();
    return { status: readiness.ready ? 200 : 503, type: 'application/json', body: `${JSON.stringify(readiness)}\n` };
  }
  if (path === HEALTH_PATHS.metrics) return { status: 200, type: options.stateMetrics.contentType, body: await options.stateMetrics.metrics() };
  return { status: 404, type: 'text/plain; charset=utf-8', body: `not found; try ${Object.values(HEALTH_PATHS).join(', ')}\n` };
}

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}
