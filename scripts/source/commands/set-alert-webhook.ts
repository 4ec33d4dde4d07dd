import { Command } from 'commander';
import { parseWebhookUrl, redactUrl, setSourceDestination, WebhookUrlError } from '../../../alerts/destinations';
import { OperatorError } from '../../../config/operator-error';
import { CliContext } from '../context';
import { requireLiveSource } from '../lookup';
import { printLine } from '../output';

export function register(program: Command, context: CliContext): void {
  program
    .command('set-alert-webhook')
    .description("send a source's alerts to a webhook of its own, besides ALERT_WEBHOOK_URL / ALERT_SLACK_WEBHOOK_URL; off removes it")
    .argument('<name>', 'source name')
    .argument('<url|off>', 'an http(s) URL, or off')
    .option('--slack', 'a Slack-compatible incoming webhook, which takes { "text": ... }')
    .action(async (name: string, urlText: string, options: { slack?: boolean }) => {
      const format = options.slack ? 'slack' : 'webhook';
      let url: string | null = null;
      if (urlText.trim().toLowerCase() !== 'off') {
        try {
          url = parseWebhookUrl(urlText);
        } catch (err) {
          if (err instanceof WebhookUrlError) throw new OperatorError(err.message);
          throw err;
        }
      }
      const db = await context.database();
      const source = await requireLiveSource(db, name);
      await setSourceDestination(db.pool, source.id, format, url);
      const what = format === 'slack' ? 'Slack webhook' : 'webhook';
      printLine(url ? `alerts of ${source.name} also go to the ${what} at ${redactUrl(url)}` : `${source.name} has no ${what} of its own any more`);
    });
}
