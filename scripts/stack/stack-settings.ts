import path from 'node:path';
import { OperatorError } from '../../config/operator-error';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
/** Everything the local stack keeps between runs; `make reset` deletes it. AUDIT_DATA_DIR moves it (tests do). */
export const DATA_DIR = process.env.AUDIT_DATA_DIR ? path.resolve(process.env.AUDIT_DATA_DIR) : path.join(PROJECT_ROOT, '.data');

export const portFromEnv = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new OperatorError(`${name}=${raw} is not a port number (1-65535)`);
  return port;
};
