import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

// The house rules of .dependency-cruiser.cjs, each shown to fire: a probe file with one forbidden import is written
// into the room it would break, and dependency-cruiser must name the rule. Allowed imports pass, so a rule that
// refused everything would fail here too.

const root = path.join(__dirname, '..', '..');
const depcruise = path.join(root, 'node_modules', '.bin', 'depcruise');

interface Probe {
  /** Path from the repository root, without the probe's own file name. */
  folder: string;
  source: string;
}

function cruise(probes: Probe[]): { status: number | null; output: string } {
  const tag = randomUUID().slice(0, 8);
  const files = probes.map((probe, i) => {
    const name = `import-probe-${tag}-${i}`;
    const relative = path.join(probe.folder, `${name}.ts`);
    mkdirSync(path.join(root, probe.folder), { recursive: true });
    writeFileSync(path.join(root, relative), probe.source.replaceAll('{tag}', tag));
    return relative;
  });
  try {
    const run = spawnSync(depcruise, ['--config', '.dependency-cruiser.cjs', ...files], { cwd: root, encoding: 'utf8' });
    return { status: run.status, output: `${run.stdout}${run.stderr}` };
  } finally {
    for (const file of files) rmSync(path.join(root, file), { force: true });
  }
}

function expectViolation(probes: Probe[], rule: string): void {
  const { status, output } = cruise(probes);
  expect(output).toMatch(new RegExp(`error ${rule}:`));
  expect(status).not.toBe(0);
}

function expectClean(probes: Probe[]): void {
  const { status, output } = cruise(probes);
  expect(output).toMatch(/no dependency violations found/);
  expect(status).toBe(0);
}

describe('the import rules of the house', () => {
  it('keep the contract free of everything of ours', () => {
    expectViolation([{ folder: 'contract', source: "export { openDatabase } from '../store/database';\n" }], 'contract-imports-nothing-of-ours');
    expectViolation([{ folder: 'contract', source: "export { createHash } from 'node:crypto';\n" }], 'contract-imports-nothing-of-ours');
    expectClean([{ folder: 'contract', source: "export { defineSignal } from '@temporalio/workflow';\nexport { sourceWorkflowId } from './ids';\n" }]);
  });

  it('let workflows import only the contract, the workflow API and activity types', () => {
    expectViolation([{ folder: 'workflows', source: "export { openDatabase } from '../store/database';\n" }], 'workflows-import-only-the-contract');
    expectViolation([{ folder: 'workflows', source: "export { readFileSync } from 'node:fs';\n" }], 'workflows-import-only-the-contract');
    expectViolation([{ folder: 'workflows', source: "export { createActivities } from '../activities';\n" }], 'workflows-import-activities-as-types-only');
    expectClean([
      {
        folder: 'workflows',
        source: "import type { Activities } from '../activities';\nimport { proxyActivities } from '@temporalio/workflow';\nexport const { ingestPage } = proxyActivities<Activities>({ startToCloseTimeout: '1 minute' });\n",
      },
    ]);
  });

  it('keep the CLI and the detections out of activities/', () => {
    expectViolation([{ folder: 'cli', source: "export { createIngestPage } from '../activities/ingest-page';\n" }], 'only-workers-import-activities');
    expectViolation([{ folder: 'detections', source: "export type { Activities } from '../activities';\n" }], 'only-workers-import-activities');
    expectClean([{ folder: 'cli', source: "export { findSourceByName } from '../store/sources';\n" }]);
  });

  it('keep observability/ between the building blocks and the runners', () => {
    expectViolation([{ folder: 'store', source: "export { ProductMetrics } from '../observability/product-metrics';\n" }], 'observability-sits-above-the-building-blocks');
    expectViolation([{ folder: 'observability', source: "export { createWorker } from '../workers/create-worker';\n" }], 'observability-imports-no-runner');
    expectViolation([{ folder: 'observability', source: "export { createActivities } from '../activities';\n" }], 'only-workers-import-activities');
    expectClean([{ folder: 'observability', source: "export { sourceFreshness } from '../store/checkpoints';\n" }]);
  });

  it("let only the workflow's settings activity write a source's settings", () => {
    expectViolation([{ folder: 'cli', source: "export { writeSourceSettings } from '../store/source-settings';\n" }], 'only-the-workflow-writes-source-settings');
    expectViolation([{ folder: 'activities', source: "export { writeSourceSettings } from '../store/source-settings';\n" }], 'only-the-workflow-writes-source-settings');
    expectViolation([{ folder: 'test', source: "export { writeSourceSettings } from '../store/source-settings';\n" }], 'only-the-workflow-writes-source-settings');
    expectClean([{ folder: 'cli', source: "export { updateSource } from '../store/sources';\n" }]);
  });

  it('refuse a cycle, even one made of type imports', () => {
    expectViolation(
      [
        { folder: 'store', source: "import type { B } from './import-probe-{tag}-1';\nexport type A = { b?: B };\n" },
        { folder: 'store', source: "import type { A } from './import-probe-{tag}-0';\nexport type B = { a?: A };\n" },
      ],
      'no-cycles',
    );
  });
});
