import { Command } from 'commander';
import os from 'node:os';
import { OperatorError } from '../../config/operator-error';
import { listMaintenanceRuns, type MaintenanceRun } from '../../store/maintenance-runs';
import {
  listLegalHolds,
  listSourceRetention,
  oldestEventTime,
  placeLegalHold,
  readDefaultRetentionDays,
  releaseLegalHold,
  setDefaultRetentionDays,
  setSourceRetentionDays,
  type LegalHold,
  type SourceRetention,
} from '../../store/retention';
import { CliContext } from '../context';
import { parseActor, parseLegalHoldReason, parseRetentionDays } from '../inputs';
import { requireSource } from '../lookup';
import { formatTime, printFields, printJson, printLine, printResult, printTable } from '../output';

// Retention is read by store maintenance only, never by a source's workflow: the CLI writes it to PostgreSQL itself,
// and the next maintenance run (hourly) applies it.

const MAX_RUNS_SHOWN = 100;

interface HoldOptions {
  source: string;
  reason: string;
  by?: string;
}

export function register(program: Command, context: CliContext): void {
  const retention = program
    .command('retention')
    .description('how long events are kept (a default and per source), legal holds, and what store maintenance did');
  retention
    .command('show', { isDefault: true })
    .description('the default retention and, per source, its retention, where its kept events start, and its legal hold')
    .option('--source <name>', 'one source, with its hold history and its oldest stored event')
    .action((options: { source?: string }) => showCommand(context, options));
  retention
    .command('set')
    .description("set the default retention (--default DAYS) or a source's (--source NAME DAYS, or `default` to follow the default)")
    .argument('[days]', "days for the source: 30 to 3660, or `default`")
    .option('--source <name>', 'the source whose retention changes')
    .option('--default <days>', 'the default retention of every source without its own, in days (30 to 3660)')
    .option('--by <who>', 'who made the change, for the record (default: the login name)')
    .action((days: string | undefined, options: { source?: string; default?: string; by?: string }) => setCommand(context, days, options));
  const hold = retention.command('hold').description("legal holds: while one is placed, none of the source's events, detections or held events are dropped");
  hold
    .command('add')
    .description('place a legal hold on a source')
    .requiredOption('--source <name>', 'the source to hold')
    .requiredOption('--reason <text>', 'why: the case or ticket, and who asked (kept with the hold)')
    .option('--by <who>', 'who placed it (default: the login name)')
    .action((options: HoldOptions) => holdCommand(context, 'add', options));
  hold
    .command('remove')
    .description("lift a source's legal hold: its expired months go at the next maintenance run")
    .requiredOption('--source <name>', 'the held source')
    .requiredOption('--reason <text>', 'why it may be lifted (kept with the hold)')
    .option('--by <who>', 'who lifted it (default: the login name)')
    .action((options: HoldOptions) => holdCommand(context, 'remove', options));
  retention
    .command('runs')
    .description('the latest store maintenance runs: partitions made, months dropped, rows pruned, events moved')
    .option('--limit <n>', `how many (1 to ${MAX_RUNS_SHOWN})`, '10')
    .action((options: { limit: string }) => runsCommand(context, options));
}

async function showCommand(context: CliContext, options: { source?: string }): Promise<void> {
  const db = await context.database();
  const now = new Date();
  const defaultDays = await readDefaultRetentionDays(db);
  const all = await listSourceRetention(db, now);
  if (options.source === undefined) {
    const sources = all.map(describeSource);
    if (context.outputFormat() === 'json') return printJson({ defaultRetentionDays: defaultDays, sources });
    printLine(`default retention: ${defaultDays} days`);
    if (all.length === 0) return;
    printTable(
      ['SOURCE', 'RETENTION', 'KEEPS FROM', 'LEGAL HOLD'],
      sources.map((s) => [s.name, s.retentionDays === null ? `${s.effectiveDays} days (default)` : `${s.retentionDays} days`, s.keepsFrom ?? 'everything', s.legalHold ? `held since ${formatTime(s.legalHold.placedAt)} by ${s.legalHold.placedBy}` : '-']),
    );
    return;
  }
  const source = await requireSource(db, options.source);
  const retention = all.find((s) => s.sourceId === source.id)!;
  const [holds, oldest] = await Promise.all([listLegalHolds(db, source.id), oldestEventTime(db, source.id)]);
  const shown = { ...describeSource(retention), oldestEventTime: oldest?.toISOString() ?? null, holds: holds.map(describeHold) };
  if (context.outputFormat() === 'json') return printJson(shown);
  printFields([
    ['source', shown.name],
    ['retention', shown.retentionDays === null ? `${shown.effectiveDays} days (the default)` : `${shown.retentionDays} days (the default is ${defaultDays})`],
    ['keeps from', shown.keepsFrom ?? 'everything: under a legal hold'],
    ['oldest event', oldest ? formatTime(oldest) : 'none stored'],
  ]);
  for (const h of holds) {
    const lifted = h.releasedAt ? `; lifted ${formatTime(h.releasedAt)} by ${h.releasedBy}: ${h.releaseReason}` : ' (in force)';
    printLine(`hold placed ${formatTime(h.placedAt)} by ${h.placedBy}: ${h.reason}${lifted}`);
  }
}

function describeSource(source: SourceRetention) {
  return {
    name: source.name,
    retentionDays: source.retentionDays,
    effectiveDays: source.effectiveDays,
    /** The first instant kept as of now; null under a legal hold. */
    keepsFrom: source.cutoff && formatTime(source.cutoff),
    legalHold: source.hold && describeHold(source.hold),
  };
}

function describeHold(hold: LegalHold) {
  return {
    placedAt: hold.placedAt.toISOString(),
    placedBy: hold.placedBy,
    reason: hold.reason,
    releasedAt: hold.releasedAt?.toISOString() ?? null,
    releasedBy: hold.releasedBy,
    releaseReason: hold.releaseReason,
  };
}

async function setCommand(context: CliContext, daysText: string | undefined, options: { source?: string; default?: string; by?: string }): Promise<void> {
  if (options.default !== undefined) {
    if (options.source !== undefined || daysText !== undefined) throw new OperatorError('give either --default DAYS or --source NAME DAYS, not both');
    const days = parseRetentionDays(options.default);
    const by = parseActor(options.by ?? loginName());
    const db = await context.database();
    const previous = await setDefaultRetentionDays(db, days, by);
    const change = { action: 'retention-set', defaultRetentionDays: { previous, current: days } };
    return printResult(context.outputFormat(), change, `default retention: ${previous} -> ${days} days; the next maintenance run applies it`);
  }
  if (options.source === undefined || daysText === undefined) throw new OperatorError('say what to set: --default DAYS, or --source NAME DAYS (DAYS may be `default`)');
  const days = daysText.trim() === 'default' ? null : parseRetentionDays(daysText);
  const db = await context.database();
  const source = await requireSource(db, options.source);
  const previous = await setSourceRetentionDays(db, source.id, days);
  const said = (value: number | null) => (value === null ? 'the default' : `${value} days`);
  const change = { action: 'retention-set', source: source.name, retentionDays: { previous, current: days } };
  printResult(context.outputFormat(), change, `retention of ${source.name}: ${said(previous)} -> ${said(days)}; the next maintenance run applies it`);
}

async function holdCommand(context: CliContext, verb: 'add' | 'remove', options: HoldOptions): Promise<void> {
  const reason = parseLegalHoldReason(options.reason);
  const by = parseActor(options.by ?? loginName());
  const db = await context.database();
  const source = await requireSource(db, options.source);
  if (verb === 'add') {
    const { hold, placed } = await placeLegalHold(db, source.id, by, reason);
    const text = placed
      ? `legal hold placed on ${source.name}: nothing of it is dropped until \`retention hold remove\``
      : `${source.name} is held already (since ${formatTime(hold.placedAt)} by ${hold.placedBy}: ${hold.reason}); nothing changed`;
    return printResult(context.outputFormat(), { action: 'hold-add', source: source.name, placed, hold: describeHold(hold) }, text);
  }
  const released = await releaseLegalHold(db, source.id, by, reason);
  if (!released) throw new OperatorError(`${source.name} has no legal hold: nothing changed`);
  printResult(
    context.outputFormat(),
    { action: 'hold-remove', source: source.name, hold: describeHold(released) },
    `legal hold on ${source.name} lifted; its expired months go at the next maintenance run`,
  );
}

async function runsCommand(context: CliContext, options: { limit: string }): Promise<void> {
  const limit = /^\d{1,3}$/.test(options.limit) ? Number(options.limit) : NaN;
  if (!(limit >= 1 && limit <= MAX_RUNS_SHOWN)) throw new OperatorError(`--limit must be a number from 1 to ${MAX_RUNS_SHOWN}, got "${options.limit.slice(0, 20)}"`);
  const runs = await listMaintenanceRuns(await context.database(), limit);
  if (context.outputFormat() === 'json') return printJson(runs);
  if (runs.length === 0) return printLine('no maintenance runs yet: workers create the schedule at start, and it runs hourly');
  printTable(
    ['STARTED', 'STATUS', 'AS OF', 'DID'],
    runs.map((run) => [formatTime(run.startedAt), run.status, formatTime(run.asOf), summarize(run)]),
  );
}

function summarize(run: MaintenanceRun): string {
  const step = (name: string) => (run.report[name] ?? {}) as Record<string, unknown>;
  const pruned = Object.entries(step('pruned')).filter(([, n]) => Number(n) > 0);
  const parts = [
    `${Number(step('partitions').created ?? 0)} partitions made`,
    `${Number(step('retention').dropped ?? 0)} months dropped (${Number(step('retention').rowsDropped ?? 0)} events)`,
    ...(Number(step('retention').deferred ?? 0) > 0 ? [`${Number(step('retention').deferred)} deferred`] : []),
    pruned.length > 0 ? `pruned ${pruned.map(([table, n]) => `${table} ${Number(n)}`).join(', ')}` : 'nothing pruned',
    ...(Number(step('move').moved ?? 0) > 0 ? [`${Number(step('move').moved)} events moved`] : []),
  ];
  return run.error ? `${parts.join('; ')}; failed: ${run.error}` : parts.join('; ');
}

function loginName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}
