/**
 * The CLI's exit codes. Scripts and probes depend on them: they are documented in docs/operating.md and in `--help`, and
 * a number, once given a meaning, keeps it.
 */
export const EXIT = {
  ok: 0,
  /** A bad value, an unknown source, an unreachable server, a refusal: the one-line `error:` says what to do. */
  operatorError: 1,
  /** The command line itself was not understood: an unknown command or option, a missing argument. */
  usage: 2,
  /** `status`: the source stopped on an error (a rejected key) and waits for a key rotation or a resume. */
  sourceFailed: 3,
  /** `status`: the source is paused. */
  sourcePaused: 4,
  /** `status`: nothing ingests for the source: it was removed, its workflow is not running, or no worker answered. */
  sourceNotRunning: 5,
} as const;

export const EXIT_CODES_HELP = `
Exit codes:
  0  done (status: the source is running and ingesting)
  1  operator error: one line on stderr says what to do
  2  usage error: unknown command or option, missing argument
  3  status: the source failed (e.g. a rejected key)
  4  status: the source is paused
  5  status: the source does not run (removed, no running workflow, or no worker answers)`;
