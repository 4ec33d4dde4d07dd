import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { parse as load } from 'yaml';
import { allSearchAttributes } from '../../contract/search-attributes';
import { dockerfileHealthcheck } from '../harness/dockerfile';

const root = path.join(__dirname, '..', '..');

// No Docker engine runs here: the file is validated with `docker-compose config`, not run.
describe('docker-compose.yml', () => {
  it('is a valid compose file with the services of the production stack', () => {
    const services = execFileSync('docker-compose', ['config', '--services'], {
      cwd: root,
      env: { ...process.env, CREDENTIALS_KEY: 'validation-only' },
      encoding: 'utf8',
    });
    expect(services.trim().split('\n').sort()).toEqual(['postgresql', 'temporal', 'temporal-schema', 'temporal-setup', 'temporal-ui', 'worker']);
  });

  it('registers every search attribute the workflows use', () => {
    const config = execFileSync('docker-compose', ['config'], { cwd: root, env: { ...process.env, CREDENTIALS_KEY: 'x' }, encoding: 'utf8' });
    const cliType: Record<string, string> = { KEYWORD: 'Keyword', DATETIME: 'Datetime', INT: 'Int', BOOL: 'Bool' };
    for (const key of allSearchAttributes) expect(config).toContain(`${key.name}=${cliType[key.type]}`);
  });

  it('refuses to start the worker without a credentials key', () => {
    const env = { ...process.env };
    delete env.CREDENTIALS_KEY;
    const result = spawnSync('docker-compose', ['config'], { cwd: root, env, encoding: 'utf8' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('set CREDENTIALS_KEY');
  });

  it("checks the worker's health as its image does, on the port it sets", () => {
    const config = load(execFileSync('docker-compose', ['config'], { cwd: root, env: { ...process.env, CREDENTIALS_KEY: 'x' }, encoding: 'utf8' })) as {
      services: { worker: { environment: Record<string, unknown>; healthcheck: { test: string[] } } };
    };
    const { environment, healthcheck } = config.services.worker;
    // Compose writes $ as $$ in what it passes on.
    expect(healthcheck.test.map((part) => part.replaceAll('$$', '$'))).toEqual(['CMD', ...dockerfileHealthcheck()]);
    expect(environment.HEALTH_PORT).toBeDefined();
  });
});
