import { createHmac } from 'node:crypto';

/** What an operator names a person by. E-mails compare case-insensitively, so they are kept lower-case. */
export type ErasureKey = { kind: 'account_id'; value: string } | { kind: 'email'; value: string };

/** What replaces a name, an e-mail, an IP address or a location in a redacted row. */
export const ERASED = '[erased]';

/** What a pseudonymized account id starts with. */
export const PSEUDONYM_PREFIX = 'erased:';

export interface ErasureHasher {
  /** Which credentials key the hashes come from (hex, public). */
  readonly keyId: string;
  /** The keyed hash an erasure record names the person by, under the newest key. */
  keyHash(key: ErasureKey): string;
  /** The same under every configured key, newest first: records made before a key rotation are still found. */
  keyHashes(key: ErasureKey): string[];
  /** `erased:<hmac>`: the same for the same account id, so "one person did X and Y" survives the erasure. */
  pseudonym(accountId: string): string;
}

/**
 * Hashes under keys derived from the credentials keys: kept out of the database, so whoever reads the tables cannot
 * test a guessed e-mail against the records or the pseudonyms.
 */
export function createErasureHasher(credentialKeys: readonly Buffer[]): ErasureHasher {
  const derived = credentialKeys.map((key) => createHmac('sha256', key).update('atlassian-audit erasure').digest());
  const hash = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest('hex');
  const keyText = (key: ErasureKey) => `${key.kind}:${key.value}`;
  return {
    keyId: hash(derived[0], 'key id').slice(0, 16),
    keyHash: (key) => hash(derived[0], keyText(key)),
    keyHashes: (key) => derived.map((k) => hash(k, keyText(key))),
    pseudonym: (accountId) => `${PSEUDONYM_PREFIX}${hash(derived[0], `pseudonym:${accountId}`).slice(0, 24)}`,
  };
}
