import { Command, InvalidArgumentError, Option } from 'commander';
import { END_OF_STREAM_MODES, type EndOfStreamMode } from './org';
import { RATE_LIMIT_FORMS, RATE_LIMIT_KINDS, type RateLimitForm, type RateLimitKind } from './rate-limit';
import { startSimulator } from './server';

// `npm run simulator`: a local stand-in for api.atlassian.com for the demo. The keys it prints are the
// simulator's own demo keys; they open nothing but this process.

function nonNegative(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative number`);
    return n;
  };
}

function integer(name: string) {
  const check = nonNegative(name);
  return (value: string): number => {
    const n = check(value);
    if (!Number.isInteger(n)) throw new InvalidArgumentError(`${name} must be an integer`);
    return n;
  };
}

const program = new Command('simulator')
  .description('Simulated Atlassian organization events API')
  .addOption(new Option('--port <port>', 'port to listen on (0: any free port)').env('SIMULATOR_PORT').argParser(integer('port')).default(8765))
  .addOption(new Option('--host <host>', 'interface to listen on').env('SIMULATOR_HOST').default('127.0.0.1'))
  .addOption(new Option('--seed <seed>', 'seed for ids, keys and events').env('SIMULATOR_SEED').argParser(integer('seed')).default(1))
  .addOption(new Option('--orgs <count>', 'organizations with Atlassian Guard (one without Guard is always added)').env('SIMULATOR_ORGS').argParser(integer('orgs')).default(2))
  .addOption(new Option('--history <count>', 'events already present per organization').env('SIMULATOR_HISTORY').argParser(integer('history')).default(5_000))
  .addOption(new Option('--history-days <days>', 'days over which the history is spread').env('SIMULATOR_HISTORY_DAYS').argParser(nonNegative('history-days')).default(7))
  .addOption(new Option('--live-rate <eventsPerSecond>', 'new events per second per organization').env('SIMULATOR_LIVE_RATE').argParser(nonNegative('live-rate')).default(0.2))
  .addOption(new Option('--rate-limit <requestsPerMinute>', 'requests per minute per key').env('SIMULATOR_RATE_LIMIT').argParser(integer('rate-limit')).default(60_000))
  .addOption(new Option('--rate-limit-kind <kind>', 'how the limit is counted: per clock minute, or a bucket that refills evenly').choices(RATE_LIMIT_KINDS).default('fixed-window'))
  .addOption(new Option('--rate-limit-form <form>', 'how 429 responses say when to retry').choices(RATE_LIMIT_FORMS).default('retry-after-seconds'))
  .addOption(new Option('--end-of-stream <mode>', 'how the end of the stream is reported').choices(END_OF_STREAM_MODES).default('empty-then-null'))
  .addOption(new Option('--cursor-ttl-ms <ms>', 'refuse cursors older than this (default: never)').argParser(integer('cursor-ttl-ms')))
  .addOption(new Option('--control-token <token>', 'bearer token of the /_control API (default: random)').env('SIMULATOR_CONTROL_TOKEN'));

async function main(): Promise<void> {
  const opts = program.parse().opts<{
    port: number;
    host: string;
    seed: number;
    orgs: number;
    history: number;
    historyDays: number;
    liveRate: number;
    rateLimit: number;
    rateLimitKind: RateLimitKind;
    rateLimitForm: RateLimitForm;
    endOfStream: EndOfStreamMode;
    cursorTtlMs?: number;
    controlToken?: string;
  }>();
  if (opts.rateLimit < 1) program.error('--rate-limit must be at least 1');

  const simulator = await startSimulator({
    port: opts.port,
    host: opts.host,
    seed: opts.seed,
    orgs: [...Array.from({ length: opts.orgs }, () => ({})), { hasGuard: false }],
    history: { count: opts.history, spanMs: opts.historyDays * 24 * 3_600_000 },
    liveEventsPerSecond: opts.liveRate,
    rateLimit: { kind: opts.rateLimitKind, requestsPerMinute: opts.rateLimit, form: opts.rateLimitForm },
    endOfStream: opts.endOfStream,
    cursorTtlMs: opts.cursorTtlMs ?? null,
    controlToken: opts.controlToken,
  });

  const lines = [
    `Atlassian API simulator listening on ${simulator.url}`,
    `  base URL for the client:  ${simulator.url}`,
    `  control API:              ${simulator.url}/_control/state  (Authorization: Bearer ${simulator.controlToken})`,
    '',
    'Organizations (demo keys of this simulator only):',
  ];
  for (const org of simulator.orgs) {
    lines.push(
      `  ${org.id}  ${org.name}${org.hasGuard ? '' : '  [no Atlassian Guard: 403]'}  ${org.eventCount} events, ${org.liveEventsPerSecond}/s live`,
      `    valid key:          ${org.keys.valid}`,
      `    expired key (401):  ${org.keys.expired}`,
      `    key without scope:  ${org.keys.missingScope}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);

  const stop = () => {
    simulator.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`simulator: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
