import { createCipheriv, createDecipheriv, createHmac, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { OperatorError } from '../config/operator-error';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID_BYTES = 8;
/** Marks the current layout: MAGIC ‖ key id ‖ IV ‖ auth tag ‖ ciphertext. Older values are IV ‖ tag ‖ ciphertext. */
const MAGIC = Buffer.from('AKS1');
const HEADER_BYTES = MAGIC.length + KEY_ID_BYTES;

/**
 * Encrypts secrets at rest with AES-256-GCM. Each value names the key that sealed it, so the key can be rotated,
 * and is bound to a context (for an API key, its source) as additional authenticated data, so a value copied to
 * another row does not decrypt there.
 */
export interface CredentialCipher {
  /** Id of the newest key, the one that seals (hex). */
  readonly keyId: string;
  seal(secret: string, context: string): Buffer;
  open(sealed: Buffer, context: string): string;
  /** Sealed with the newest key in the current layout: nothing for `reencrypt` to do. */
  isCurrent(sealed: Buffer): boolean;
}

export class CredentialsKeyError extends OperatorError {
  override name = 'CredentialsKeyError';
}

/** The context that binds a source's API key to the source. */
export const apiKeyContext = (sourceId: string) => `source-api-key:${sourceId}`;
/** The context that binds a webhook's URL to its destination row: a source's own (by format), or the global one. */
export const webhookUrlContext = (sourceId: string | null, format: string) => `webhook-url:${sourceId ?? 'global'}:${format}`;
/** The context that binds a webhook's signing secret to its URL: copied to another destination, it does not decrypt. */
export const webhookSecretContext = (url: string) => `webhook-signing-secret:${url}`;
/** The context that binds one of an output's secrets (its URL, a signing secret, a token) to the output and the secret's name. */
export const outputSecretContext = (outputId: string, name: string) => `output-secret:${outputId}:${name}`;

/** A key holds 32 random bytes as 64 hex digits or as base64. */
export function parseCredentialsKey(value: string | undefined, name = 'CREDENTIALS_KEY'): Buffer {
  if (!value) throw new CredentialsKeyError(`${name} is not set: generate one with \`openssl rand -base64 32\``);
  const key = /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
  if (key.length !== 32) throw new CredentialsKeyError(`${name} must be 32 bytes, as 64 hex digits or base64 (openssl rand -base64 32)`);
  return key;
}

/**
 * CREDENTIALS_KEY seals; CREDENTIALS_PREVIOUS_KEYS (comma-separated) still open what older keys sealed, until
 * `reencrypt` has moved everything to the newest key.
 */
export function parseCredentialKeys(env: { CREDENTIALS_KEY?: string; CREDENTIALS_PREVIOUS_KEYS?: string }): Buffer[] {
  const previous = (env.CREDENTIALS_PREVIOUS_KEYS ?? '').split(',').map((text) => text.trim()).filter(Boolean);
  return [parseCredentialsKey(env.CREDENTIALS_KEY), ...previous.map((text, i) => parseCredentialsKey(text, `CREDENTIALS_PREVIOUS_KEYS (key ${i + 1})`))];
}

/** A public name for a key that reveals nothing of it. */
function keyIdOf(key: Buffer): Buffer {
  return createHmac('sha256', key).update('credential key id').digest().subarray(0, KEY_ID_BYTES);
}

/** `keys[0]` seals; every key opens what it sealed. */
export function createCredentialCipher(keys: Buffer | readonly Buffer[]): CredentialCipher {
  const raw = Array.isArray(keys) ? keys : [keys as Buffer];
  // Made once: given raw bytes, the cipher makes a key object of them on every call, which cost a worker's idle page
  // several times the decryption itself.
  const all = raw.map((key) => createSecretKey(key));
  const byId = new Map(raw.map((key, i) => [keyIdOf(key).toString('hex'), all[i]]));
  const newestId = keyIdOf(raw[0]);

  const decrypt = (key: KeyObject, body: Buffer, aad: Buffer | undefined): string | undefined => {
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, body.subarray(0, IV_BYTES));
      decipher.setAuthTag(body.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      if (aad) decipher.setAAD(aad);
      return Buffer.concat([decipher.update(body.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  };

  return {
    keyId: newestId.toString('hex'),
    seal(secret, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', all[0], iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
      return Buffer.concat([MAGIC, newestId, iv, cipher.getAuthTag(), ciphertext]);
    },
    open(sealed, context) {
      // GCM refuses a wrong key, a wrong context and a tampered value alike; no message may carry key material.
      const key = hasHeader(sealed) ? byId.get(sealed.subarray(MAGIC.length, HEADER_BYTES).toString('hex')) : undefined;
      if (key) {
        const secret = decrypt(key, sealed.subarray(HEADER_BYTES), Buffer.from(context, 'utf8'));
        if (secret === undefined) throw new CredentialsKeyError('the stored secret does not belong here: it was sealed for another row, or it was altered');
        return secret;
      }
      // The layout before key ids: unbound, sealed with one of the configured keys (`reencrypt` upgrades it).
      for (const candidate of all) {
        const secret = decrypt(candidate, sealed, undefined);
        if (secret !== undefined) return secret;
      }
      throw new CredentialsKeyError(
        'the stored secret cannot be decrypted: none of CREDENTIALS_KEY and CREDENTIALS_PREVIOUS_KEYS is the key it was sealed with',
      );
    },
    isCurrent(sealed) {
      return hasHeader(sealed) && sealed.subarray(MAGIC.length, HEADER_BYTES).equals(newestId);
    },
  };
}

function hasHeader(sealed: Buffer): boolean {
  return sealed.length > HEADER_BYTES + IV_BYTES + TAG_BYTES && sealed.subarray(0, MAGIC.length).equals(MAGIC);
}
