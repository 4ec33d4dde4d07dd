/**
 * A problem the operator can fix (a setting, a port, an unreachable server, a rejected input). Entry points print
 * its message as one line and exit non-zero, without a stack trace: the message itself must say what to do.
 */
export class OperatorError extends Error {
  override name = 'OperatorError';
}

/** Runs a script's main function: OperatorErrors become one line on stderr and exit code 1. */
export function runMain(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    const message = err instanceof OperatorError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`error: ${message}\n`);
    process.exit(1);
  });
}
