import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The exec-form command of the Dockerfile's HEALTHCHECK (its options and line continuations skipped). */
export function dockerfileHealthcheck(): string[] {
  const dockerfile = readFileSync(path.join(__dirname, '..', 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const match = /^HEALTHCHECK\b.*?\bCMD\s+(\[.*\])\s*$/m.exec(dockerfile);
  if (!match) throw new Error('the Dockerfile has no HEALTHCHECK in exec form');
  return JSON.parse(match[1]) as string[];
}
