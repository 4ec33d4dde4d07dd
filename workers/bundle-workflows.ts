import { writeFileSync } from 'node:fs';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowBundleOptions } from './workflow-bundle-options';

/**
 * Build step (`npm run build`): bundles the compiled workflows once, to the file given, for TEMPORAL_WORKFLOW_BUNDLE.
 * A worker started with it loads the file and never runs webpack, which bundling at start takes seconds and
 * a few hundred MB for.
 */
async function main(outputPath: string | undefined): Promise<void> {
  if (!outputPath) throw new Error('usage: node dist/workers/bundle-workflows.js <output file>');
  const { code } = await bundleWorkflowCode(workflowBundleOptions());
  writeFileSync(outputPath, code);
}

main(process.argv[2]).catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exitCode = 1;
});
