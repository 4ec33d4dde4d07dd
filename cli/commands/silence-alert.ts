import { Command } from 'commander';
import { OperatorError } from '../../config/operator-error';
import { CliContext } from '../context';
import { formatDuration } from '../../contract/durations';
import { requireLiveSource, requireRunningWorkflow } from '../lookup';
import { printResult } from '../output';
import { changeSilenceAlarm } from '../silence-alarm';

export function register(program: Command, context: CliContext): void {
  program
    .command('silence-alert')
    .description('switch the silence alarm of a source on or off; off resolves an open silence alert')
    .argument('<name>', 'source name')
    .argument('<on|off>', 'on or off')
    .action(async (name: string, switchText: string) => {
      const value = switchText.trim().toLowerCase();
      if (value !== 'on' && value !== 'off') throw new OperatorError(`say on or off, got "${switchText}"`);
      const source = await requireLiveSource(await context.database(), name);
      const handle = await requireRunningWorkflow(await context.temporal(), source);
      const previous = await changeSilenceAlarm(handle, { enabled: value === 'on' });
      const window = formatDuration(previous.windowSeconds);
      const change = { action: 'silence-alert', source: source.name, silenceAlertEnabled: { previous: previous.enabled, current: value === 'on' }, silenceWindowSeconds: previous.windowSeconds };
      printResult(
        context.outputFormat(),
        change,
        value === 'on'
          ? `silence alarm of ${source.name} is on${previous.enabled ? ' (it already was)' : ''}: alert after ${window} without new events`
          : `silence alarm of ${source.name} is off${previous.enabled ? '' : ' (it already was)'}`,
      );
    });
}
