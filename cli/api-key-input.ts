import { OperatorError } from '../config/operator-error';

/**
 * The API key comes from an environment variable or from stdin, never from argv: process arguments are visible to
 * every user of the machine (ps, /proc) and end up in shell history.
 */
export async function readApiKey(envVar: string | undefined): Promise<string> {
  const key = envVar !== undefined ? fromEnvironment(envVar) : process.stdin.isTTY ? await promptHidden('Atlassian organization API key: ') : await readAllStdin();
  if (!key) {
    throw new OperatorError(
      envVar !== undefined ? `environment variable ${envVar} is empty` : 'no API key given: pipe it on stdin or name an environment variable with --api-key-env',
    );
  }
  // The client refuses such keys too, but its error would not say where the key came from.
  if (!/^[\x21-\x7e]+$/.test(key)) throw new OperatorError('the API key contains spaces or non-ASCII characters: paste the key exactly as Atlassian showed it');
  return key;
}

function fromEnvironment(name: string): string {
  const value = process.env[name];
  if (value === undefined) throw new OperatorError(`environment variable ${name} is not set`);
  return value.trim();
}

/** Everything piped on stdin, trimmed. */
export async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

/** Reads one line in raw mode, echoing nothing, so the secret stays off the screen and out of terminal scrollback. */
export function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = (error?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(typed.trim());
    };
    const onData = (data: Buffer) => {
      for (const char of data.toString('utf8')) {
        if (char === '\r' || char === '\n' || char === '\u0004') return finish();
        if (char === '\u0003') return finish(new OperatorError('cancelled'));
        if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
        else typed += char;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}
