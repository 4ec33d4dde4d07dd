import { apiKeyContext } from '../../store/credentials';
import { Command } from 'commander';
import { updateSource } from '../../store/sources';
import { keyRotatedSignal } from '../../contract/source-messages';
import { readApiKey } from '../api-key-input';
import { CliContext } from '../context';
import { parseKeyExpiry } from '../inputs';
import { checkApiKey } from '../key-check';
import { parseSecretVariable } from '../secret-variables';
import { requireLiveSource, requireRunningWorkflow } from '../lookup';
import { printResult } from '../output';

interface RotateOptions {
  apiKeyEnv?: string;
  keyExpires?: string;
}

export function register(program: Command, context: CliContext): void {
  program
    .command('rotate-key')
    .description("replace a source's API key: the new key is checked live before it is stored")
    .argument('<name>', 'source name')
    .option('--api-key-env <var>', 'read the new API key from this environment variable (AUDIT_SECRET_* or one in SOURCES_ENV_ALLOWED) instead of stdin')
    .option('--key-expires <YYYY-MM-DD>', "the new key's expiry date")
    .action(async (name: string, options: RotateOptions) => {
      const apiKeyEnv = options.apiKeyEnv !== undefined ? parseSecretVariable('--api-key-env', options.apiKeyEnv) : undefined;
      const apiKeyExpiresAt = options.keyExpires !== undefined ? parseKeyExpiry(options.keyExpires) : null;
      const cipher = context.cipher();
      const db = await context.database();
      const source = await requireLiveSource(db, name);
      const handle = await requireRunningWorkflow(await context.temporal(), source);
      const apiKey = await readApiKey(apiKeyEnv);
      await checkApiKey(source.apiBaseUrl, source.organizationId, apiKey);

      // The old key's expiry says nothing about the new key: without --key-expires it is cleared.
      await updateSource(db, source.id, { apiKeyCiphertext: cipher.seal(apiKey, apiKeyContext(source.id)), apiKeyExpiresAt });
      // The activity decrypts the key on every page, so the signal only wakes a source that a rejected key stopped.
      await handle.signal(keyRotatedSignal);
      const text = `rotated the API key of ${source.name}${apiKeyExpiresAt ? `; it expires ${options.keyExpires}` : ''}: revoke the old key in Atlassian Administration`;
      printResult(context.outputFormat(), { action: 'rotate-key', source: source.name, apiKeyExpiresAt }, text);
    });
}
