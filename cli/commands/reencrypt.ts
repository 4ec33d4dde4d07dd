import { Command } from 'commander';
import { sealClearDestinations } from '../../alerts/destinations';
import { OperatorError } from '../../config/operator-error';
import { reencryptSecrets } from '../../store/reencrypt';
import { CliContext } from '../context';
import { printResult } from '../output';

export function register(program: Command, context: CliContext): void {
  program
    .command('reencrypt')
    .description(
      'seal every stored API key, webhook URL and signing secret with CREDENTIALS_KEY, opening them with it or CREDENTIALS_PREVIOUS_KEYS; ' +
        'resumable, and safe while workers run. Afterwards the previous keys can be dropped',
    )
    .action(async () => {
      const cipher = context.cipher();
      const db = await context.database();
      // Webhook URLs stored in clear by a release before they were sealed: sealed first, then re-encrypted like the rest.
      const sealed = await sealClearDestinations(db, cipher);
      const report = await reencryptSecrets(db, cipher);
      const done = `re-encrypted ${report.reencrypted} secret(s) with key ${cipher.keyId}; ${report.alreadyCurrent} already were${sealed ? `; sealed ${sealed} webhook URL(s) stored in clear` : ''}`;
      if (report.failed.length > 0) {
        throw new OperatorError(`${report.failed.length} secret(s) could not be opened (${done}): ${report.failed.join('; ')}`);
      }
      printResult(context.outputFormat(), { action: 'reencrypt', keyId: cipher.keyId, reencrypted: report.reencrypted, alreadyCurrent: report.alreadyCurrent, sealedClearUrls: sealed }, done);
    });
}
