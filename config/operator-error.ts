/**
 * A problem the operator can fix (a setting, a port, an unreachable server, a rejected input). Entry points print
 * its message as one line and exit non-zero, without a stack trace: the message itself must say what to do.
 */
export class OperatorError extends Error {
  override name = 'OperatorError';
}

/**
 * Input is the attacker's (a name in a file, an event's text): control characters (new lines, escape sequences) are
 * shown escaped, never written to the terminal, so a message that quotes input stays one line.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what it escapes
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Runs a script's main function: OperatorErrors become one line on stderr and exit code 1. */
export function runMain(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    const message = err instanceof OperatorError ? printable(err.message) : err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`error: ${message}\n`);
    process.exit(1);
  });
}
