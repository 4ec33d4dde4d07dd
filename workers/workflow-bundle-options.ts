import type { BundleOptions } from '@temporalio/worker';

/** The workflows' entry point: workflows/index.ts under tsx, dist/workflows/index.js once built. */
export const WORKFLOWS_PATH = require.resolve('../workflows');

/** Sets the workflow thread's stack-trace depth (why, in the module). */
export const STACK_TRACE_LIMIT_PATH = require.resolve('../workflows/stack-trace-limit');

/**
 * How every bundle of the workflows is made: the prebuilt one (bundle-workflows.ts), the one a worker makes at start
 * without it, and the tests'.
 *
 * The reusable V8 context keeps a module cache per cached workflow, so each cached source would evaluate its own copy
 * of every workflow and contract module and of the SDK's workflow API (its index pulls in modules the SDK's runtime
 * does not). Preloaded modules are evaluated once per workflow thread, before any workflow, then frozen and shared.
 * That is safe only for modules without module-level mutable state, which test/layout/preloaded-module-state.test.ts
 * keeps out of workflows/ and contract/. The stack-trace limit goes first, so that it holds while the others load too.
 */
export function workflowBundleOptions(): Required<Pick<BundleOptions, 'workflowsPath' | 'preloadModules'>> {
  return { workflowsPath: WORKFLOWS_PATH, preloadModules: [STACK_TRACE_LIMIT_PATH, WORKFLOWS_PATH, '@temporalio/workflow'] };
}
