import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { currentRelease, patchWindowViolations, publishedReleases } from '../../harness/releases';
import * as patches from '../../workflows/patches';

const { PATCH_RELEASES } = patches;
const WORKFLOWS = path.join(__dirname, '..', '..', 'workflows');

/** Each patch id constant of workflows/patches.ts by its name, as call sites spell it. */
const idConstants = (Object.entries(patches) as [string, unknown][]).filter((entry): entry is [string, string] => typeof entry[1] === 'string');

/** Workflow code except the table itself: where patched() and deprecatePatch() are called. */
const workflowCode = readdirSync(WORKFLOWS)
  .filter((file) => file.endsWith('.ts') && file !== 'patches.ts')
  .map((file) => readFileSync(path.join(WORKFLOWS, file), 'utf8'))
  .join('\n');
const calls = (fn: string, name: string) => workflowCode.split(`${fn}(${name})`).length - 1;

describe('the patch lifecycle: patched() in its release, deprecatePatch() in the next, deleted in the one after', () => {
  const releases = ['v0.1.0', 'v0.2.0', 'v0.3.0'];

  it('accepts each patch inside its window', () => {
    expect(patchWindowViolations({ a: { introducedIn: 'v0.2.0' } }, 'v0.2.0', releases)).toEqual([]);
    expect(patchWindowViolations({ a: { introducedIn: 'v0.1.0', deprecatedIn: 'v0.2.0' } }, 'v0.2.0', releases)).toEqual([]);
  });

  it('refuses a patch past its window', () => {
    expect(patchWindowViolations({ a: { introducedIn: 'v0.1.0' } }, 'v0.2.0', releases)).toEqual(['a: introduced in v0.1.0, so v0.2.0 must deprecate it (deprecatePatch)']);
    expect(patchWindowViolations({ a: { introducedIn: 'v0.1.0', deprecatedIn: 'v0.2.0' } }, 'v0.3.0', releases)).toEqual(['a: deprecated in v0.2.0, so v0.3.0 must delete it with its entry']);
  });

  it('refuses a window that skips or invents a release', () => {
    expect(patchWindowViolations({ a: { introducedIn: 'v0.1.0', deprecatedIn: 'v0.3.0' } }, 'v0.3.0', releases)).toEqual(['a: introduced in v0.1.0, so deprecated in v0.2.0, not v0.3.0']);
    expect(patchWindowViolations({ a: { introducedIn: 'v0.3.0' } }, 'v0.2.0', ['v0.1.0'])).toEqual(['a: introduced in v0.3.0, which is neither published nor v0.2.0']);
  });
});

describe(`workflows/patches.ts at ${currentRelease()}`, () => {
  it('has every patch inside its window', () => {
    const published = publishedReleases().map((release) => release.name);
    expect(patchWindowViolations(PATCH_RELEASES, currentRelease(), published)).toEqual([]);
  });

  it('gives every patch id a release, and every release entry an id', () => {
    expect(idConstants.map(([, id]) => id).sort()).toEqual(Object.keys(PATCH_RELEASES).sort());
  });

  it.each(idConstants)('calls %s as its state says: patched() while active, deprecatePatch() once deprecated', (name, id) => {
    const deprecated = PATCH_RELEASES[id].deprecatedIn !== undefined;
    expect({ patched: calls('patched', name) > 0, deprecatePatch: calls('deprecatePatch', name) > 0 }).toEqual({ patched: !deprecated, deprecatePatch: deprecated });
  });
});
