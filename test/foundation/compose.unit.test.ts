import { parse as load } from 'yaml';
import { allSearchAttributes } from '../../contract/search-attributes';
import { compose, composeConfig } from '../../harness/compose';
import { dockerfileHealthcheck } from '../../harness/dockerfile';

// No Docker engine runs here: the file is validated with `docker-compose config`, not run.
describe('docker-compose.yml', () => {
  it('is a valid compose file with the services of the production stack', () => {
    const services = compose(['config', '--services']).stdout;
    expect(services.trim().split('\n').sort()).toEqual(['postgresql', 'temporal', 'temporal-schema', 'temporal-setup', 'temporal-ui', 'worker']);
  });

  it('registers every search attribute the workflows use', () => {
    const config = composeConfig();
    const cliType: Record<string, string> = { KEYWORD: 'Keyword', DATETIME: 'Datetime', INT: 'Int', BOOL: 'Bool' };
    for (const key of allSearchAttributes) expect(config).toContain(`${key.name}=${cliType[key.type]}`);
  });

  it('refuses to start the worker without a credentials key', () => {
    const result = compose(['config'], ['CREDENTIALS_KEY']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('set CREDENTIALS_KEY');
  });

  it('refuses to start without a database password: there is no default one', () => {
    const result = compose(['config'], ['POSTGRES_PASSWORD']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('set POSTGRES_PASSWORD');
    expect(composeConfig()).not.toMatch(/password[^\n]*temporal\b|:temporal@/i);
  });

  it('publishes the Temporal frontend and the Web UI, which have no authentication, on loopback only', () => {
    type Port = string | { published: string | number; target: number; host_ip?: string };
    const { services } = load(composeConfig()) as { services: Record<string, { ports?: Port[] }> };
    // docker-compose v1 writes `127.0.0.1:7233:7233/tcp`, v2 an object.
    const published = Object.entries(services).flatMap(([service, { ports = [] }]) =>
      ports.map((port) => {
        if (typeof port !== 'string') return { service, port: String(port.published), hostIp: port.host_ip ?? 'all interfaces' };
        const parts = port.replace(/\/\w+$/, '').split(':');
        return { service, port: parts.at(-2) ?? parts[0], hostIp: parts.length === 3 ? parts[0] : 'all interfaces' };
      }),
    );
    expect(published.map(({ service, port }) => `${service} ${port}`).sort()).toEqual(['temporal 7233', 'temporal-ui 8080']);
    for (const entry of published) expect(entry).toEqual({ ...entry, hostIp: '127.0.0.1' });
  });

  it("checks the worker's health as its image does, on the port it sets", () => {
    const config = load(composeConfig()) as {
      services: { worker: { environment: Record<string, unknown>; healthcheck: { test: string[] } } };
    };
    const { environment, healthcheck } = config.services.worker;
    // Compose writes $ as $$ in what it passes on.
    expect(healthcheck.test.map((part) => part.replaceAll('$$', '$'))).toEqual(['CMD', ...dockerfileHealthcheck()]);
    expect(environment.HEALTH_PORT).toBeDefined();
  });
});
