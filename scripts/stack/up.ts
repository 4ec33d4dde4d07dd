import { parseCredentialKeys } from '../../store/credentials';
import { loadEnvironment } from '../../config/environment';
import { OperatorError, runMain } from '../../config/operator-error';
import { startLocalStack } from './local-stack';
import { untilInterrupted } from './until-interrupted';
import { wantsLocalS3 } from './local-s3';
import { ALLOWED_NETWORKS_SETTING, environmentPolicy, refusalOf } from '../../config/outbound-guard';
import { startClusterStack, workersFromEnv } from './cluster-stack';

const log = (line: string) => process.stdout.write(`${line}\n`);

/** `make up`: the stack an operator runs, configured only from the environment, with no demo data. */
runMain(async () => {
  // Fail on a bad setting before anything starts, rather than in the worker's log.
  parseCredentialKeys(process.env);
  loadEnvironment({ ...process.env, DATABASE_URL: process.env.DATABASE_URL || 'postgres://placeholder' });
  const stack = await startProfile();
  if (stack.uiUrl) log(`Temporal Web UI: ${stack.uiUrl}`);
  // Loopback is refused to outputs as to everything else unless the operator allows it.
  if (stack.s3 && refusalOf('127.0.0.1', environmentPolicy())) log(`S3: outputs reach the local server only when ${ALLOWED_NETWORKS_SETTING} includes 127.0.0.1/32`);
  // The embedded server's URL carries only its fixed local password; a DATABASE_URL given by the operator is not echoed.
  const databaseUrl = process.env.DATABASE_URL ? '$DATABASE_URL' : stack.env.DATABASE_URL;
  log(`operator scripts: DATABASE_URL=${databaseUrl} TEMPORAL_ADDRESS=${stack.env.TEMPORAL_ADDRESS} npx atlassian-audit add <name> --org-id <id> --api-key-env <VAR>`);
  log('running; press Ctrl-C to stop');
  await untilInterrupted();
  await stack.stop();
});

/** STACK=cluster runs what docker-compose.yml deploys (the Temporal server on PostgreSQL, N workers); the default, the dev server. */
function startProfile() {
  const profile = process.env.STACK || 'dev';
  if (profile === 'dev') {
    if (process.env.WORKERS && process.env.WORKERS !== '1') throw new OperatorError('WORKERS needs STACK=cluster: the dev profile runs one worker');
    return startLocalStack(log, {}, { localS3: wantsLocalS3(false) });
  }
  if (profile === 'cluster') {
    if (process.env.TEMPORAL_ADDRESS) throw new OperatorError('TEMPORAL_ADDRESS names a running server: STACK=cluster starts its own, so unset one of them');
    if (wantsLocalS3(false)) throw new OperatorError('LOCAL_S3=true needs the dev profile: STACK=cluster runs what docker-compose.yml deploys');
    return startClusterStack(log, { workers: workersFromEnv(), databaseUrl: process.env.DATABASE_URL || undefined });
  }
  throw new OperatorError(`STACK=${profile} is not a stack profile: use dev (the default) or cluster`);
}
