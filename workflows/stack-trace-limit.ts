// How deep a stack the workflow thread captures. The bundle preloads this module before any workflow
// (workers/workflow-bundle-options.ts); no workflow imports it.
//
// The SDK's promise hook captures a stack for every promise a workflow makes, formats each frame through the bundle's
// source map, and keeps the result while the promise is pending, for the Web UI's Stack Trace query. It cannot be
// turned off, but V8 bounds the stack by the Error.stackTraceLimit of the context the workflow runs in, and that is
// this one. An idle source's poll makes dozens of promises, so those stacks were most of an idle cycle's CPU on the
// workflow thread and a good part of what a cached source holds. At 0 nothing is captured: the Stack Trace query shows
// nothing, and a workflow's errors carry their message but no stack.
//
// Setting a global in a preloaded module is safe here: it is the same value for every workflow, set before the first,
// and the SDK freezes Error with the other globals right after the preload, so no workflow can change it for another.
Error.stackTraceLimit = 0;

export {};
