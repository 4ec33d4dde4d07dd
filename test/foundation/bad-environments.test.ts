import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../scripts/stack/processes';

const root = path.join(__dirname, '..', '..');
const tsx = require.resolve('tsx/cli');
const validKey = Buffer.alloc(32, 7).toString('base64');

/** Runs `make up`'s entry point the way make does, with a controlled environment. */
function runUp(env: Record<string, string | undefined>) {
  const result = spawnSync(process.execPath, [tsx, 'scripts/stack/up.ts'], {
    cwd: root,
    env: { HOME: os.homedir(), PATH: process.env.PATH, CREDENTIALS_KEY: validKey, ...env } as NodeJS.ProcessEnv,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stderr: result.stderr.trim() };
}

describe('make up in a bad environment', () => {
  let scratch: string;
  beforeEach(() => {
    scratch = mkdtempSync(path.join(os.tmpdir(), 'bad-env-'));
  });
  afterEach(() => rmSync(scratch, { recursive: true, force: true }));

  it('says how to get a Temporal CLI when there is neither Go nor a binary', () => {
    // Only node's own folder on PATH: no go, no temporal; an empty cache: no earlier build.
    const { status, stderr } = runUp({ PATH: path.dirname(process.execPath), XDG_CACHE_HOME: scratch });
    expect(status).not.toBe(0);
    expect(stderr.split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^error: no Temporal CLI found and Go is not installed: install Go .* or put a temporal binary on PATH or in TEMPORAL_CLI_PATH$/);
  });

  it('shows the tail of the build log when the Go build fails', () => {
    const fakeGo = path.join(scratch, 'bin', 'go');
    mkdirSync(path.dirname(fakeGo));
    writeFileSync(fakeGo, '#!/bin/sh\necho "go: github.com/temporalio/cli@v1.5.1: reading module: connection refused" >&2\nexit 1\n');
    chmodSync(fakeGo, 0o755);
    const { status, stderr } = runUp({ PATH: `${path.dirname(fakeGo)}:${path.dirname(process.execPath)}`, XDG_CACHE_HOME: scratch });
    expect(status).not.toBe(0);
    expect(stderr).toContain('error: building the Temporal CLI failed');
    expect(stderr).toContain('reading module: connection refused');
  });

  it('names the port when the Temporal port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const { status, stderr } = runUp({ TEMPORAL_PORT: String(port) });
      expect(status).not.toBe(0);
      expect(stderr).toBe(`error: port ${port} (Temporal frontend) is already in use: stop the process that holds it or set TEMPORAL_PORT`);
    } finally {
      blocker.close();
    }
  });

  it('names the server, not the password, when DATABASE_URL is unreachable', async () => {
    const [port, uiPort] = [await freePort(), await freePort()];
    const { status, stderr } = runUp({ DATABASE_URL: 'postgres://audit:s3cret-password@127.0.0.1:1/audit', TEMPORAL_PORT: String(port), TEMPORAL_UI_PORT: String(uiPort) });
    expect(status).not.toBe(0);
    expect(stderr.split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^error: cannot reach PostgreSQL at 127\.0\.0\.1:1\/audit \(DATABASE_URL\): /);
    expect(stderr).not.toContain('s3cret-password');
  });

  // Sessions and CI run as root, so embedded PostgreSQL runs as the postgres user, which cannot enter a private folder.
  it('says where to put the data when the postgres user cannot reach it', async () => {
    const privateFolder = path.join(scratch, 'private');
    mkdirSync(privateFolder, { mode: 0o700 });
    const [port, uiPort, pgPort] = [await freePort(), await freePort(), await freePort()];
    const { status, stderr } = runUp({ AUDIT_DATA_DIR: path.join(privateFolder, 'data'), TEMPORAL_PORT: String(port), TEMPORAL_UI_PORT: String(uiPort), POSTGRES_PORT: String(pgPort) });
    expect(status).not.toBe(0);
    expect(stderr).toBe(
      `error: embedded PostgreSQL runs as the postgres user, which cannot enter ${path.join(privateFolder, 'data')} (a parent folder is private): ` +
        'set AUDIT_DATA_DIR to a folder it can enter (for example /var/lib/atlassian-audit), or DATABASE_URL to a PostgreSQL of your own',
    );
  });

  it('rejects a missing credentials key before starting anything', () => {
    const { status, stderr } = runUp({ CREDENTIALS_KEY: undefined });
    expect(status).not.toBe(0);
    expect(stderr).toBe('error: CREDENTIALS_KEY is not set: generate one with `openssl rand -base64 32`');
  });
});
