import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.join(__dirname, '..', '..');
/** The one pin: make fetches this Node and runs everything on it (Makefile), and the image is built on it. */
const pinned = readFileSync(path.join(root, '.node-version'), 'utf8').trim();

describe('the pinned Node', () => {
  it('runs this suite (make puts it first on PATH)', () => {
    expect(process.version).toBe(`v${pinned}`);
  });

  it('is the one the image is built on', () => {
    const image = /^ARG NODE_IMAGE=node:(\S+)-bookworm-slim$/m.exec(readFileSync(path.join(root, 'Dockerfile'), 'utf8'));
    expect(image?.[1]).toBe(pinned);
  });
});
