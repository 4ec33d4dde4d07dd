import path from 'node:path';
import { cacheDir, explicitBinary, goBuildModule, isExecutable, type Log } from './go-build';

/**
 * SeaweedFS (Apache-2.0), the local S3-compatible server. Its go.mod has replace directives, so `go install` refuses
 * it: the pinned commit's module is built from a copy of its folder instead.
 */
export const SEAWEEDFS_MODULE = 'github.com/seaweedfs/seaweedfs';
export const PINNED_SEAWEEDFS_VERSION = 'v0.0.0-20261109003541-7506e5f91cd6';

function cachedBinaryPath(): string {
  return path.join(cacheDir(), `seaweedfs-${PINNED_SEAWEEDFS_VERSION}`, 'weed');
}

/** Finds the `weed` binary: SEAWEEDFS_PATH, then the per-user cached build; builds the pinned commit with Go when there is none. */
export async function resolveSeaweedfs(log: Log = (line) => process.stderr.write(`${line}\n`)): Promise<string> {
  const explicit = explicitBinary('SEAWEEDFS_PATH');
  if (explicit) return explicit;
  const cached = cachedBinaryPath();
  if (isExecutable(cached)) return cached;
  await goBuildModule({ label: 'the S3 server (SeaweedFS)', module: SEAWEEDFS_MODULE, version: PINNED_SEAWEEDFS_VERSION, packageDir: './weed', target: cached }, log);
  return cached;
}
