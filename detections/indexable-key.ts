import { createHash } from 'node:crypto';

/** 512 UTF-16 units are at most 1,536 bytes: well inside the ~2.7 KB of a btree entry of the detections index. */
const MAX_INDEXED_KEY_LENGTH = 512;

/**
 * A key made of event content (an actor id, a domain) longer than the detections index can hold, which only hostile
 * content makes, is kept as its SHA-256: the same value still makes the same key, and the page still commits.
 */
export function indexableKey(key: string): string {
  return key.length <= MAX_INDEXED_KEY_LENGTH ? key : `sha256:${createHash('sha256').update(key).digest('hex')}`;
}
