import { Command } from 'commander';
import { runMain } from '../../config/operator-error';
import * as add from './commands/add';
import * as alerts from './commands/alerts';
import * as apply from './commands/apply';
import * as detections from './commands/detections';
import * as exportSources from './commands/export';
import * as list from './commands/list';
import * as packs from './commands/packs';
import * as pause from './commands/pause';
import * as pollNow from './commands/poll-now';
import * as reencrypt from './commands/reencrypt';
import * as remove from './commands/remove';
import * as resume from './commands/resume';
import * as rotateKey from './commands/rotate-key';
import * as setAlertWebhook from './commands/set-alert-webhook';
import * as setInterval from './commands/set-interval';
import * as setSilenceWindow from './commands/set-silence-window';
import * as silenceAlert from './commands/silence-alert';
import * as status from './commands/status';
import { CliContext, createCliContext } from './context';
import { explainFailure } from './failures';

/** One module per command: adding a command is a file in commands/ and a line here. */
const COMMANDS: Array<{ register(program: Command, context: CliContext): void }> = [
  add,
  list,
  status,
  pause,
  resume,
  pollNow,
  setInterval,
  rotateKey,
  remove,
  packs,
  detections,
  alerts,
  setSilenceWindow,
  silenceAlert,
  setAlertWebhook,
  apply,
  exportSources,
  reencrypt,
];

export function buildProgram(context: CliContext): Command {
  const program = new Command('source')
    .description('operate the Atlassian audit log sources: each source is one Temporal workflow polling one organization')
    .configureHelp({ sortSubcommands: false });
  for (const command of COMMANDS) command.register(program, context);
  return program;
}

// `source list | head`: a reader that stops early closes the pipe, which is no error of the command's.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

runMain(async () => {
  const context = createCliContext();
  try {
    await buildProgram(context).parseAsync(process.argv);
  } catch (err) {
    throw explainFailure(err, context);
  } finally {
    await context.close();
  }
});
