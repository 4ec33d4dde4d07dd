import { Client } from '@temporalio/client';
import { Command } from 'commander';
import { loadCheckpoint } from '../../store/checkpoints';
import { sourceWorkflowId } from '../../contract/ids';
import { statusQuery } from '../../contract/source-messages';
import type { SourceStatusView } from '../../contract/source-workflow';
import { CliContext, describeCause } from '../context';
import { formatDuration } from '../../contract/durations';
import { EXIT } from '../exit-codes';
import { findWorkflow, requireSource } from '../lookup';
import { formatTime, printFields, printJson } from '../output';
import { describeSilenceDeadline, readSilenceWatch } from '../silence-view';

/** A query needs a worker to answer; without one it would wait for the RPC's own, much longer, deadline. */
const QUERY_DEADLINE_MS = 10_000;

interface WorkflowSection {
  id: string;
  /** Temporal's status of the latest run, or null when the source has never had a workflow. */
  executionStatus: string | null;
  running: boolean;
  view: SourceStatusView | null;
  note: string | null;
}

/** What a probe asks of a source, answered by the exit code too: is it ingesting, and if not, why. */
type Health = 'ok' | 'failed' | 'paused' | 'not-running';

const EXIT_CODE_OF: Record<Health, number> = {
  ok: EXIT.ok,
  failed: EXIT.sourceFailed,
  paused: EXIT.sourcePaused,
  'not-running': EXIT.sourceNotRunning,
};

export function register(program: Command, context: CliContext): void {
  program
    .command('status')
    .description("show one source: its settings and checkpoint from PostgreSQL and its workflow's live state")
    .argument('<name>', 'source name')
    .addHelpText(
      'after',
      `\nExits ${EXIT.ok} when the source runs, ${EXIT.sourceFailed} when it failed, ${EXIT.sourcePaused} when it is paused and ` +
        `${EXIT.sourceNotRunning} when it does not run (removed, no running workflow, or no worker answers): a probe for monitoring.`,
    )
    .action((name: string) => statusCommand(context, name));
}

async function statusCommand(context: CliContext, name: string): Promise<void> {
  const db = await context.database();
  const source = await requireSource(db, name);
  const checkpoint = await loadCheckpoint(db, source.id);
  const workflow = await readWorkflow(await context.temporal(), source.name, context.environment().TEMPORAL_TASK_QUEUE);
  const silence = source.silenceAlertEnabled ? await readSilenceWatch(await context.temporal(), source.name) : null;
  const health = healthOf(workflow);
  // The exit code answers a probe; the output says the same in words.
  process.exitCode = EXIT_CODE_OF[health];

  if (context.outputFormat() === 'json') {
    // Even sealed, the key has no business in output that gets pasted into tickets.
    const settings: Partial<typeof source> = { ...source };
    delete settings.apiKeyCiphertext;
    return printJson({ health, source: settings, checkpoint, workflow, silence });
  }

  const view = workflow.view;
  const lastPoll = view?.lastPoll;
  const backfill = checkpoint.backfillCompletedAt
    ? `completed ${formatTime(checkpoint.backfillCompletedAt)} (from ${formatTime(checkpoint.backfillFrom)})`
    : `${view?.backfill.percent ?? 0}% (from ${formatTime(checkpoint.backfillFrom)})`;
  printFields([
    ['source', source.name],
    ['organization', source.organizationId],
    ['status', source.statusReason ? `${source.status} (${source.statusReason})` : source.status],
    ['workflow', `${workflow.id} ${workflow.running ? 'running' : workflow.executionStatus ? `not running (${workflow.executionStatus.toLowerCase()})` : 'not running (never started)'}`],
    ['note', workflow.note ?? undefined],
    ['phase', view?.phase],
    ['paused', view ? (view.paused ? `yes${view.pauseReason ? ` (${view.pauseReason})` : ''}` : 'no') : undefined],
    ['interval', `${view?.pollIntervalSeconds ?? source.pollIntervalSeconds} s`],
    ['next poll', view?.nextPollAt ? formatTime(view.nextPollAt) : undefined],
    ['last poll', lastPoll ? `${formatTime(lastPoll.at)} ${describePoll(lastPoll)}` : formatTime(checkpoint.lastPolledAt)],
    ['last event', formatTime(checkpoint.newestEventTime)],
    ['events ingested', String(checkpoint.eventsIngested)],
    ['pages', String(checkpoint.pagesFetched)],
    ['errors', view ? String(view.errors) : undefined],
    ['backfill', backfill],
    ['failure', view?.failureReason],
    ['silence alert', source.silenceAlertEnabled ? `after ${formatDuration(source.silenceWindowSeconds)} without events` : 'off'],
    ['silence deadline', silence ? describeSilenceDeadline(silence, checkpoint.lastEventPersistedAt) : undefined],
    ['key expires', source.apiKeyExpiresAt ? formatTime(source.apiKeyExpiresAt).slice(0, 10) : undefined],
    ['api', source.apiBaseUrl],
  ]);
}

/**
 * From the workflow's live view, which knows of a pause as soon as it is asked for. A workflow that is not running,
 * or that no worker answers for, ingests nothing, whatever the source's row says.
 */
function healthOf(workflow: WorkflowSection): Health {
  if (!workflow.running || !workflow.view) return 'not-running';
  if (workflow.view.phase === 'failed') return 'failed';
  if (workflow.view.phase === 'paused' || workflow.view.paused) return 'paused';
  return 'ok';
}

function describePoll(poll: NonNullable<SourceStatusView['lastPoll']>): string {
  if (poll.outcome === 'error') return `error: ${poll.message ?? 'unknown'}`;
  return `ok, ${poll.fetched} fetched, ${poll.inserted} new`;
}

async function readWorkflow(client: Client, sourceName: string, taskQueue: string): Promise<WorkflowSection> {
  const id = sourceWorkflowId(sourceName);
  const { handle, status, running } = await findWorkflow(client, sourceName);
  const section: WorkflowSection = { id, executionStatus: status ?? null, running, view: null, note: null };
  if (!running) {
    section.note = 'the workflow is not running: the values below are what PostgreSQL last recorded';
    return section;
  }
  try {
    section.view = await client.connection.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => handle.query(statusQuery));
  } catch (err) {
    section.note = `the workflow did not answer the status query (${describeCause(err)}): is a worker polling task queue ${taskQueue}?`;
  }
  return section;
}
