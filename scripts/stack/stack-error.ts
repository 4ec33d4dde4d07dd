/**
 * A problem with the environment that the operator can fix. Entry points print its message as one line and exit
 * non-zero, without a stack trace: the message itself must say what to do.
 */
export class StackError extends Error {
  override name = 'StackError';
}

/** Runs a script's main function: StackErrors become one line on stderr and exit code 1. */
export function runMain(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    const message = err instanceof StackError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`error: ${message}\n`);
    process.exit(1);
  });
}
