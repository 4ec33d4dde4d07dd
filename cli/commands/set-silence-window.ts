import { Command } from 'commander';
import { CliContext } from '../context';
import { formatDuration } from '../../contract/durations';
import { parseSilenceWindow } from '../inputs';
import { requireLiveSource, requireRunningWorkflow } from '../lookup';
import { printResult } from '../output';
import { changeSilenceAlarm } from '../silence-alarm';

export function register(program: Command, context: CliContext): void {
  program
    .command('set-silence-window')
    .description('change how long a source may go without new events before the silence alert opens; the running deadline moves at once')
    .argument('<name>', 'source name')
    .argument('<duration>', '15m to 30d: 90m, 24h, 2d or seconds')
    .action(async (name: string, durationText: string) => {
      const seconds = parseSilenceWindow(durationText);
      const source = await requireLiveSource(await context.database(), name);
      const handle = await requireRunningWorkflow(await context.temporal(), source);
      const previous = await changeSilenceAlarm(handle, { windowSeconds: seconds });
      const off = previous.enabled ? '' : `; the alarm is off (\`silence-alert ${source.name} on\` switches it on)`;
      const change = { action: 'set-silence-window', source: source.name, silenceWindowSeconds: { previous: previous.windowSeconds, current: seconds }, silenceAlertEnabled: previous.enabled };
      printResult(context.outputFormat(), change, `silence window of ${source.name}: ${formatDuration(previous.windowSeconds)} -> ${formatDuration(seconds)}${off}`);
    });
}
