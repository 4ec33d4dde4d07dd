// How deep a stack the workflow thread captures: none. The bundle preloads this module before any workflow
// (workers/workflow-bundle-options.ts); no workflow imports it.
//
// The SDK's promise hook captures a stack for every promise a workflow makes, formats each frame through the bundle's
// source map, and keeps the result while the promise is pending, for the Web UI's Stack Trace query. It cannot be
// turned off, but V8 bounds the stack by the Error.stackTraceLimit of the context the workflow runs in, and that is
// this one. An idle poll makes dozens of promises, so those stacks cost the workflow thread more than the workflow code
// does, and a cached source holds one per pending promise. A limit of 0 still formats and keeps an empty stack per
// promise; without the property (Node documents a limit that is not a number so) V8 captures nothing, and the hook
// keeps nothing. What an operator loses: the Stack Trace query shows nothing, and a workflow's errors carry their type
// and message but no stack. To see a stuck or failing workflow's stack, replay its history with a bundle made without
// this module.
//
// Setting a global in a preloaded module is safe here: it is the same for every workflow, set before the first, and
// the SDK freezes Error with the other globals right after the preload, so no workflow can change it for another.
Reflect.deleteProperty(Error, 'stackTraceLimit');

export {};
