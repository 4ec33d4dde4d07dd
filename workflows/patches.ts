// patched() ids: each marks a change of workflow code that histories recorded before it must replay without.

/** Settings updates store the new value through an activity before applying it (before: the CLI wrote PostgreSQL). */
export const SETTINGS_WRITTEN_BY_WORKFLOW = 'settings-written-by-workflow';

/** Each dispatcher round first resolves the alerts whose rule resolves them after a period. */
export const AUTO_RESOLVE_IN_DISPATCHER = 'auto-resolve-in-dispatcher';
