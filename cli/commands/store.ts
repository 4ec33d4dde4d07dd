import { Command, InvalidArgumentError } from 'commander';
import { OperatorError } from '../../config/operator-error';
import { countEventsBySource, countOldEvents, DEFAULT_MOVE_BATCH, moveUnpartitionedEvents } from '../../store/event-upgrade';
import { CliContext } from '../context';
import { printLine, printResult } from '../output';

export function register(program: Command, context: CliContext): void {
  const store = program.command('store').description('the PostgreSQL store itself');
  store
    .command('upgrade')
    .description(
      "move the events stored by the previous release into the partitioned table, in batches of one transaction each, and drop the old table; " +
        'resumable, and safe while workers ingest (they also move them in the background). Counts per source are verified before and after',
    )
    .option('--batch-size <events>', 'events moved per transaction', parseBatchSize, DEFAULT_MOVE_BATCH)
    .action(async ({ batchSize }: { batchSize: number }) => {
      const db = await context.database();
      const text = context.outputFormat() === 'text';
      const before = await countEventsBySource(db);
      const toMove = await countOldEvents(db);
      if (text) printLine(`${toMove} event(s) to move; ${sum(before)} stored in all`);
      let moved = 0;
      let dropAttempts = 0;
      for (;;) {
        const batch = await moveUnpartitionedEvents(db, batchSize);
        moved += batch.moved;
        if (text && batch.moved > 0) printLine(`moved ${moved} of ${toMove}, ${batch.remaining} left`);
        if (batch.remaining > 0) continue;
        if (!(await oldTableLeft(db))) break;
        // Empty, but pages kept reading it when the drop asked for its lock: asked again, a bounded number of times.
        if (++dropAttempts >= 10) throw new OperatorError(`moved ${moved} event(s); the old table is empty but stayed busy, so it is not dropped yet: run again (a worker also drops it)`);
      }
      const after = await countEventsBySource(db);
      // Ingestion may add events meanwhile; none may go missing.
      const short = [...before].filter(([source, n]) => after.has(source) && (after.get(source) ?? 0) < n);
      if (short.length > 0) {
        throw new OperatorError(`events missing after the move: ${short.map(([source, n]) => `${source} had ${n}, now ${after.get(source)}`).join('; ')}`);
      }
      const perSource = [...after].map(([source, n]) => `  ${source}: ${before.get(source) ?? 0} before, ${n} after`);
      printResult(
        context.outputFormat(),
        { action: 'store-upgrade', moved, before: Object.fromEntries(before), after: Object.fromEntries(after) },
        [`moved ${moved} event(s); the old table is gone. Verified per source (after >= before; ingestion may add):`, ...perSource],
      );
    });
}

async function oldTableLeft(db: Awaited<ReturnType<CliContext['database']>>): Promise<boolean> {
  const { rows } = await db.query<{ left: boolean }>(`SELECT to_regclass('events_unpartitioned') IS NOT NULL AS left`);
  return rows[0].left;
}

function sum(counts: Map<string, number>): number {
  return [...counts.values()].reduce((a, b) => a + b, 0);
}

function parseBatchSize(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 1_000_000) throw new InvalidArgumentError('a whole number of events from 1 to 1000000');
  return n;
}
