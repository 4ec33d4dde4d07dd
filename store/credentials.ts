import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { OperatorError } from '../config/operator-error';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Encrypts API keys at rest with AES-256-GCM; the layout of a sealed value is IV ‖ auth tag ‖ ciphertext. */
export interface CredentialCipher {
  seal(secret: string): Buffer;
  open(sealed: Buffer): string;
}

export class CredentialsKeyError extends OperatorError {
  override name = 'CredentialsKeyError';
}

/** CREDENTIALS_KEY holds 32 random bytes as 64 hex digits or as base64. */
export function parseCredentialsKey(value: string | undefined): Buffer {
  if (!value) throw new CredentialsKeyError('CREDENTIALS_KEY is not set: generate one with `openssl rand -base64 32`');
  const key = /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
  if (key.length !== 32) throw new CredentialsKeyError('CREDENTIALS_KEY must be 32 bytes, as 64 hex digits or base64 (openssl rand -base64 32)');
  return key;
}

export function createCredentialCipher(key: Buffer): CredentialCipher {
  return {
    seal(secret) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]);
    },
    open(sealed) {
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
      decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      try {
        return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
      } catch {
        // GCM refuses a wrong key and a tampered value alike; neither message may carry key material.
        throw new CredentialsKeyError('the stored API key cannot be decrypted: CREDENTIALS_KEY differs from the one it was stored with');
      }
    },
  };
}
