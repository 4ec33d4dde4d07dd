import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.join(__dirname, '..');

/** A published release and the commit its tag points at (releases.json): CI clones may have the history but no tags. */
export interface PublishedRelease {
  name: string;
  commit: string;
}

/** The release being made: 'v' and package.json's version. */
export function currentRelease(): string {
  const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  return `v${version}`;
}

export function publishedReleases(): PublishedRelease[] {
  const { releases } = JSON.parse(readFileSync(path.join(root, 'releases.json'), 'utf8')) as { releases: PublishedRelease[] };
  for (const release of releases) releaseParts(release.name);
  return releases;
}

/** The newest published release older than the current one: the release whose runs the current code takes over. */
export function previousRelease(current = currentRelease()): PublishedRelease {
  const older = publishedReleases().filter((release) => compareReleases(release.name, current) < 0);
  if (older.length === 0) throw new Error(`releases.json lists no release before ${current}`);
  return older.sort((a, b) => compareReleases(a.name, b.name)).at(-1)!;
}

/** Negative, zero or positive as release a is older than, the same as or newer than release b. */
export function compareReleases(a: string, b: string): number {
  const [x, y] = [releaseParts(a), releaseParts(b)];
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
}

function releaseParts(name: string): [number, number, number] {
  const match = /^v(\d+)\.(\d+)\.(\d+)$/.exec(name);
  if (!match) throw new Error(`not a release name: '${name}' (expected v<major>.<minor>.<patch>)`);
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

export interface PatchWindow {
  introducedIn: string;
  deprecatedIn?: string;
}

/**
 * Where each patch stands against the release being made, one step per release: a patch introduced in release R is
 * still patched() in R, deprecated (deprecatePatch) in the next release, and deleted in the one after. The runs that
 * R's code started took the new branch and recorded its marker, and they continue-as-new within hours, so by the next
 * release no run needs the old branch, and by the one after no run needs the marker either.
 */
export function patchWindowViolations(table: Readonly<Record<string, PatchWindow>>, current: string, releases: string[]): string[] {
  const order = [...new Set([...releases, current])].sort(compareReleases);
  const next = (release: string) => order[order.indexOf(release) + 1];
  const problems: string[] = [];
  for (const [id, { introducedIn, deprecatedIn }] of Object.entries(table)) {
    if (!order.includes(introducedIn)) problems.push(`${id}: introduced in ${introducedIn}, which is neither published nor ${current}`);
    else if (compareReleases(introducedIn, current) > 0) problems.push(`${id}: introduced in ${introducedIn}, after ${current}`);
    else if (deprecatedIn === undefined) {
      if (compareReleases(introducedIn, current) < 0) problems.push(`${id}: introduced in ${introducedIn}, so ${current} must deprecate it (deprecatePatch)`);
    } else if (deprecatedIn !== next(introducedIn)) problems.push(`${id}: introduced in ${introducedIn}, so deprecated in ${next(introducedIn) ?? 'the next release'}, not ${deprecatedIn}`);
    else if (compareReleases(deprecatedIn, current) < 0) problems.push(`${id}: deprecated in ${deprecatedIn}, so ${current} must delete it with its entry`);
  }
  return problems;
}
