import { Command } from 'commander';
import { OperatorError } from '../../config/operator-error';
import { parseCredentialKeys } from '../../store/credentials';
import { erasePerson, type ErasureOutcome } from '../../store/erasure/erase-person';
import { createErasureHasher, PSEUDONYM_PREFIX, type ErasureKey } from '../../store/erasure/erasure-keys';
import { ERASED_TABLES } from '../../store/erasure/tally';
import { CliContext } from '../context';
import { requireSource } from '../lookup';
import { formatTime, printResult } from '../output';

const MAX_ACCOUNT_ID_LENGTH = 256;
/** RFC 5321's limit on a forward path. */
const MAX_EMAIL_LENGTH = 320;
const MAX_REQUESTED_BY_LENGTH = 200;
const MAX_REASON_LENGTH = 1_000;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
// eslint-disable-next-line no-control-regex -- control characters are what it refuses
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

interface EraseOptions {
  accountId?: string;
  email?: string;
  requestedBy?: string;
  reason?: string;
  source?: string;
  yes?: boolean;
}

export function register(program: Command, context: CliContext): void {
  program
    .command('erase')
    .description("redact one person's personal data from every table (events, held events, detections, alerts); a dry run unless --yes")
    .option('--account-id <id>', 'the Atlassian account id of the person')
    .option('--email <address>', 'the e-mail address of the person (their account ids are found from it)')
    .option('--requested-by <who>', 'who asked for the erasure, for its record (required)')
    .option('--reason <text>', 'why, or the ticket that asked, for its record')
    .option('--source <name>', 'only this source (default: every source)')
    .option('--yes', 'redact and record; without it, only count what would be redacted')
    .action((options: EraseOptions) => eraseCommand(context, options));
}

async function eraseCommand(context: CliContext, options: EraseOptions): Promise<void> {
  const key = parseKey(options);
  const requestedBy = parseText('--requested-by', options.requestedBy, MAX_REQUESTED_BY_LENGTH);
  if (requestedBy === undefined) throw new OperatorError('say who asked for the erasure: --requested-by WHO (it goes into the erasure record)');
  const reason = parseText('--reason', options.reason, MAX_REASON_LENGTH) ?? null;
  const hasher = createErasureHasher(parseCredentialKeys(context.environment()));
  const db = await context.database();
  const sources = options.source !== undefined ? [await requireSource(db, options.source)] : null;
  const outcome = await erasePerson(db, hasher, { key, requestedBy, reason, sources, dryRun: options.yes !== true });
  printResult(context.outputFormat(), outcome, describe(outcome));
}

function parseKey(options: EraseOptions): ErasureKey {
  if ((options.accountId === undefined) === (options.email === undefined)) throw new OperatorError('say who to erase: --account-id ID or --email ADDRESS (one of them)');
  if (options.accountId !== undefined) {
    const id = options.accountId.trim();
    if (id === '' || id.length > MAX_ACCOUNT_ID_LENGTH || CONTROL.test(id) || /\s/.test(id)) {
      throw new OperatorError(`--account-id must be an Atlassian account id: 1 to ${MAX_ACCOUNT_ID_LENGTH} characters, no spaces`);
    }
    if (id.startsWith(PSEUDONYM_PREFIX)) throw new OperatorError(`--account-id ${id} is the pseudonym of a person already erased`);
    return { kind: 'account_id', value: id };
  }
  const email = (options.email ?? '').trim();
  if (email.length > MAX_EMAIL_LENGTH || !EMAIL.test(email) || CONTROL.test(email)) throw new OperatorError('--email must be an e-mail address such as name@example.com');
  return { kind: 'email', value: email.toLowerCase() };
}

function parseText(flag: string, text: string | undefined, maxLength: number): string | undefined {
  const trimmed = text?.trim();
  if (!trimmed) return undefined;
  if (trimmed.length > maxLength) throw new OperatorError(`${flag} is longer than ${maxLength} characters`);
  if (CONTROL.test(trimmed)) throw new OperatorError(`${flag} must be one line of printable text`);
  return trimmed;
}

function describe(outcome: ErasureOutcome): string[] {
  const lines: string[] = [];
  const earlier = outcome.earlier.map((e) => `erasure ${e.id} (${formatTime(e.startedAt)}, ${e.redactedRows} rows${e.finishedAt === null ? ', interrupted' : ''})`);
  if (outcome.redactedRows === 0) {
    lines.push(`nothing ${outcome.dryRun ? 'to' : 'left to'} redact for this person${earlier.length > 0 ? `; erased before by ${earlier.join(', ')}` : ''}`);
  } else {
    lines.push(outcome.dryRun ? `dry run, nothing changed: erasing this person would redact ${outcome.redactedRows} rows` : `redacted ${outcome.redactedRows} rows`);
    if (earlier.length > 0) lines.push(`erased before by ${earlier.join(', ')}`);
  }
  if (outcome.erasureId !== undefined) lines.push(`recorded as erasure ${outcome.erasureId}; their account ids are now ${outcome.pseudonyms.join(', ') || '(none found)'}`);
  else if (outcome.redactedRows > 0) lines.push('run it again with --yes to redact and record it');
  return [...lines, ...countLines(outcome)];
}

function countLines(outcome: ErasureOutcome): string[] {
  const rows = ERASED_TABLES.flatMap((table) => Object.entries(outcome.counts[table] ?? {}).map(([source, n]) => [table, source, String(n)]));
  if (rows.length === 0) return [];
  const widths = [0, 1, 2].map((column) => Math.max(...[['TABLE', 'SOURCE', 'ROWS'], ...rows].map((row) => row[column].length)));
  return [['TABLE', 'SOURCE', 'ROWS'], ...rows].map((row) => row.map((cell, i) => (i === 2 ? cell : cell.padEnd(widths[i]))).join('  '));
}
