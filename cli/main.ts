import { Command, CommanderError, Option } from 'commander';
import { version } from '../package.json';
import { runMain } from '../config/operator-error';
import * as add from './commands/add';
import * as alerts from './commands/alerts';
import * as apply from './commands/apply';
import * as detections from './commands/detections';
import * as erase from './commands/erase';
import * as exportSources from './commands/export';
import * as list from './commands/list';
import * as packs from './commands/packs';
import * as outputs from './commands/outputs';
import * as pause from './commands/pause';
import * as pollNow from './commands/poll-now';
import * as quarantine from './commands/quarantine';
import * as reencrypt from './commands/reencrypt';
import * as remove from './commands/remove';
import * as resume from './commands/resume';
import * as retention from './commands/retention';
import * as rules from './commands/rules';
import * as rotateKey from './commands/rotate-key';
import * as setAlertWebhook from './commands/set-alert-webhook';
import * as setInterval from './commands/set-interval';
import * as setSilenceWindow from './commands/set-silence-window';
import * as silenceAlert from './commands/silence-alert';
import * as status from './commands/status';
import * as store from './commands/store';
import { CliContext, createCliContext } from './context';
import { EXIT, EXIT_CODES_HELP } from './exit-codes';
import { explainFailure } from './failures';
import { OUTPUT_FORMATS, type OutputFormat } from './output';

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
  rules,
  detections,
  alerts,
  quarantine,
  setSilenceWindow,
  silenceAlert,
  setAlertWebhook,
  outputs,
  apply,
  exportSources,
  reencrypt,
  store,
  retention,
  erase,
];

export function buildProgram(context: CliContext): Command {
  const program = new Command('atlassian-audit')
    .description('operate the Atlassian audit log sources: each source is one Temporal workflow polling one organization')
    .version(version, '-V, --version', 'print the version')
    // Global, so every command takes them, before or after its name: `list -o json`, `-o json list`.
    .addOption(new Option('-o, --output <format>', 'print the result as text for people or as one JSON document').choices(OUTPUT_FORMATS).default('text'))
    .option('--json', 'the same as -o json')
    .configureHelp({ sortSubcommands: false, showGlobalOptions: true })
    .addHelpText('after', EXIT_CODES_HELP)
    // Commander's own errors (an unknown option, a missing argument) come back as CommanderErrors, for exit code 2.
    .exitOverride()
    .hook('preAction', (_program, action) => {
      const { output, json } = action.optsWithGlobals<{ output: OutputFormat; json?: boolean }>();
      context.useOutputFormat(json ? 'json' : output);
    });
  for (const command of COMMANDS) command.register(program, context);
  return program;
}

// `atlassian-audit list | head`: a reader that stops early closes the pipe, which is no error of the command's
// (and does not change what `status` answers).
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? EXIT.ok);
  throw err;
});

runMain(async () => {
  const context = createCliContext();
  try {
    await buildProgram(context).parseAsync(process.argv);
  } catch (err) {
    // Commander has printed its message (or the help, or the version) already.
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    throw explainFailure(err, context);
  } finally {
    await context.close();
  }
});
