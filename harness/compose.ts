import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.join(__dirname, '..');

/** What docker-compose.yml refuses to start without: stand-ins, for validating the file. */
export const COMPOSE_REQUIRED_ENV = { CREDENTIALS_KEY: 'validation-only', POSTGRES_PASSWORD: 'validation-only' };

/**
 * `docker-compose <args>` on the project's file, with the required variables set (less those named in `unset`). No
 * Docker engine runs here: the file is validated, not run.
 */
export function compose(args: string[], unset: string[] = []): { status: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, ...COMPOSE_REQUIRED_ENV };
  for (const name of unset) delete env[name];
  return spawnSync('docker-compose', args, { cwd: root, env, encoding: 'utf8' });
}

/** `docker-compose config`'s output, failing loudly when the file does not validate. */
export function composeConfig(): string {
  const result = compose(['config']);
  if (result.status !== 0) throw new Error(`docker-compose config failed: ${result.stderr}`);
  return result.stdout;
}
