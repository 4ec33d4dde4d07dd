import { parseCredentialKeys } from '../../store/credentials';
import { loadEnvironment } from '../../config/environment';
import { runMain } from '../../config/operator-error';
import { startLocalStack, untilInterrupted } from './local-stack';

const log = (line: string) => process.stdout.write(`${line}\n`);

/** `make up`: the stack an operator runs, configured only from the environment, with no demo data. */
runMain(async () => {
  // Fail on a bad setting before anything starts, rather than in the worker's log.
  parseCredentialKeys(process.env);
  loadEnvironment({ ...process.env, DATABASE_URL: process.env.DATABASE_URL || 'postgres://placeholder' });
  const stack = await startLocalStack(log);
  if (stack.uiUrl) log(`Temporal Web UI: ${stack.uiUrl}`);
  // The embedded server's URL carries only its fixed local password; a DATABASE_URL given by the operator is not echoed.
  const databaseUrl = process.env.DATABASE_URL ? '$DATABASE_URL' : stack.env.DATABASE_URL;
  log(`operator scripts: DATABASE_URL=${databaseUrl} TEMPORAL_ADDRESS=${stack.env.TEMPORAL_ADDRESS} npm run source -- add <name> --org-id <id> --api-key-env <VAR>`);
  log('running; press Ctrl-C to stop');
  await untilInterrupted();
  await stack.stop();
});
