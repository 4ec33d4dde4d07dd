import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { allSearchAttributes } from '../../contract/search-attributes';

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
});
