import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { CpuProfile } from './worker-inspector';

// A worker thread's CPU profile split by what the time went to. The workflow bundle is one file, so its frames are
// told apart by the webpack module their line falls in. Native frames (no URL) count for the nearest JavaScript
// caller, except the profiler's own buckets: idle, GC and "(program)" (V8 itself, outside any JavaScript).

export type Categories = Map<string, number>;

/** Microseconds per category; `bundleFile` is the workflow bundle the thread runs. */
export function cpuByCategory(profile: CpuProfile, bundleFile: string): Categories {
  const moduleAt = bundleModules(bundleFile);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const categoryOf = new Map<number, string>();
  const categorize = (leaf: number): string => {
    const frames: CpuProfile['nodes'][number]['callFrame'][] = [];
    for (let id: number | undefined = leaf; id !== undefined; id = parent.get(id)) frames.push(byId.get(id)!.callFrame);
    // The promise hook runs inside whatever made the promise: it counts wherever it appears on the stack.
    if (frames.some((frame) => (frame.url.endsWith('vm-shared.js') && /^(init|settled)$|prepareStackTrace/.test(frame.functionName)) || frame.url === 'node:internal/promise_hooks')) return 'promise hook (stack per promise)';
    const special = SPECIAL_FRAMES.get(frames[0].functionName);
    if (special) return special;
    // Native frames and Node's own count for the nearest caller of ours or the SDK's.
    const caller = frames.find((frame) => frame.url && !frame.url.startsWith('node:'));
    for (const frame of caller ? [caller] : frames) {
      if (!frame.url) continue;
      if (frame.url.endsWith(path.basename(bundleFile))) return bundleCategory(moduleAt?.(frame.lineNumber));
      for (const [pattern, category] of URL_CATEGORIES) if (pattern.test(frame.url) || pattern.test(frame.functionName)) return category;
      return 'other';
    }
    return 'other';
  };
  const micros: Categories = new Map();
  profile.samples.forEach((id, i) => {
    if (!categoryOf.has(id)) categoryOf.set(id, categorize(id));
    const category = categoryOf.get(id)!;
    micros.set(category, (micros.get(category) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  return micros;
}

const SPECIAL_FRAMES = new Map([
  ['(idle)', 'idle'],
  ['(garbage collector)', 'garbage collection'],
  ['(program)', 'V8 itself ("(program)")'],
  ['(root)', 'V8 itself ("(root)")'],
]);

/** Frames outside the bundle, by script URL (or function name), first match wins. */
const URL_CATEGORIES: [RegExp, string][] = [
  [/__TEMPORAL_CALL_INTO_SCOPE|evalmachine/, 'VM context swap (globals per workflow)'],
  [/reusable-vm\.js|vm-shared\.js|threaded-vm\.js|workflow\/vm\.js/, 'SDK: entering the VM (vm.runInContext and around it)'],
  [/@temporalio\/proto|protobufjs|long\/|@protobufjs/, 'activation decode / completion encode (protobuf)'],
  [/node_modules\/source-map\//, 'source map lookups (stack traces)'],
  [/workflow-worker-thread/, 'SDK: thread messaging'],
  [/@temporalio\/(worker|core-bridge|client|common)/, 'SDK worker (main thread side)'],
  [/\/(activities|store|atlassian|alerts|detections|outputs|observability)\//, 'activities'],
  [/node_modules\/(pg|pg-[a-z-]+|pino[a-z-]*)\//, 'activities'],
  [/^node:internal\/(worker|per_context\/messageport)/, 'Node: thread messages'],
  [/^node:/, 'Node: other (timers, event loop, streams)'],
];

function bundleCategory(module: string | undefined): string {
  if (!module) return 'bundle: webpack runtime and entry point';
  if (/\/(workflows|contract)\//.test(module) && !module.includes('node_modules')) return 'workflow code';
  if (/@temporalio\/workflow\/lib\/(worker-interface|internals|cancellation-scope|flags|global-overrides)/.test(module)) return 'SDK in the VM: activation handling';
  return 'SDK in the VM: other (workflow API, payloads)';
}

/**
 * The webpack module a 0-based line of the bundle belongs to: each module starts at a line `/***\/ "./path.js"`, and a
 * line of asterisks ends the modules (webpack's runtime and the entry point follow).
 */
function bundleModules(bundleFile: string): ((line: number) => string | undefined) | undefined {
  let text: string;
  try {
    text = readFileSync(bundleFile, 'utf8');
  } catch {
    return undefined;
  }
  const starts: [number, string | undefined][] = [];
  text.split('\n').forEach((line, i) => {
    const match = /^\/\*\*\*\/ "([^"]+)"/.exec(line);
    if (match) starts.push([i, match[1]]);
    else if (/^\/\*{40,}\/$/.test(line)) starts.push([i, undefined]);
  });
  return (line) => {
    let found: string | undefined;
    for (const [start, module] of starts) {
      if (start > line) break;
      found = module;
    }
    return found;
  };
}
