import { readFileSync } from 'node:fs';
import { OperatorError } from '../config/operator-error';
import { promptHidden, readAllStdin } from './api-key-input';
import { parseSecretVariable } from './secret-variables';

/** Where `set-alert-webhook` reads a webhook URL from: each is an option, and `-` in place of the URL means stdin. */
export interface WebhookUrlSources {
  urlEnv?: string;
  urlFile?: string;
  urlStdin?: boolean;
}

const HOW = 'pass it with --url-env NAME, --url-file PATH or --url-stdin (or -)';

/**
 * The webhook URL, read from an environment variable, a file or stdin; never from argv, which every user of the
 * machine can read (ps, /proc) and which shell history keeps: a Slack URL carries its token. Null means `off`.
 */
export async function readWebhookUrl(argument: string | undefined, sources: WebhookUrlSources): Promise<string | null> {
  const off = argument?.trim().toLowerCase() === 'off';
  if (argument !== undefined && !off && argument !== '-') throw new OperatorError(`a webhook URL is a secret and never goes in the command line: ${HOW}`);
  const stdin = sources.urlStdin === true || argument === '-';
  const given = [off, sources.urlEnv !== undefined, sources.urlFile !== undefined, stdin].filter(Boolean).length;
  if (given !== 1) throw new OperatorError(`give the webhook URL once: ${HOW}; or off to remove the webhook`);
  if (off) return null;
  const url =
    sources.urlEnv !== undefined ? fromEnvironment(parseSecretVariable('--url-env', sources.urlEnv)) : sources.urlFile !== undefined ? fromFile(sources.urlFile) : await fromStdin();
  if (!url) throw new OperatorError(`no webhook URL given: ${sources.urlEnv ?? sources.urlFile ?? 'stdin'} is empty`);
  return url;
}

/** Typed at a terminal without an echo, as API keys are; else whatever is piped in. */
function fromStdin(): Promise<string> {
  return process.stdin.isTTY ? promptHidden('webhook URL: ') : readAllStdin();
}

function fromEnvironment(name: string): string {
  const value = process.env[name];
  if (value === undefined) throw new OperatorError(`environment variable ${name} is not set`);
  return value.trim();
}

function fromFile(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new OperatorError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
