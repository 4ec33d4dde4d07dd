import type { Database } from './database';

// The record of store maintenance runs: what each one created, dropped, pruned and moved, for the operator.

export interface MaintenanceRun {
  id: number;
  workflowId: string;
  runId: string;
  asOf: Date;
  status: 'running' | 'finished' | 'failed';
  /** Step name -> what the step did (counts, months, tables), filled in as the steps finish. */
  report: Record<string, unknown>;
  error: string | null;
  startedAt: Date;
  finishedAt: Date | null;
}

/** Idempotent per workflow run: a retried call returns the run's row instead of adding another. */
export async function beginMaintenanceRun(db: Database, run: { workflowId: string; runId: string; asOf: Date }): Promise<number> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO maintenance_runs (workflow_id, run_id, as_of) VALUES ($1, $2, $3)
     ON CONFLICT (workflow_id, run_id) DO UPDATE SET as_of = maintenance_runs.as_of RETURNING id`,
    [run.workflowId, run.runId, run.asOf],
  );
  return Number(rows[0].id);
}

/**
 * Adds one step's outcome to the run's report. Counts of a step that runs in several calls (a prune in batches) add
 * up: `counts` are summed into what the step reported before, `details` replace it.
 */
export async function recordMaintenanceStep(db: Database, id: number, step: string, counts: Record<string, number>, details: Record<string, unknown> = {}): Promise<void> {
  await db.query(
    `UPDATE maintenance_runs m
        SET report = m.report || jsonb_build_object($2::text,
              COALESCE(m.report -> $2, '{}'::jsonb) || $4::jsonb ||
              (SELECT COALESCE(jsonb_object_agg(c.key, COALESCE((m.report -> $2 ->> c.key)::numeric, 0) + c.value::numeric), '{}'::jsonb)
                 FROM jsonb_each_text($3::jsonb) c))
      WHERE id = $1`,
    [id, step, JSON.stringify(counts), JSON.stringify(details)],
  );
}

export async function finishMaintenanceRun(db: Database, id: number, outcome: { error?: string }): Promise<void> {
  await db.query(`UPDATE maintenance_runs SET status = $2, error = $3, finished_at = now() WHERE id = $1 AND status = 'running'`, [
    id,
    outcome.error === undefined ? 'finished' : 'failed',
    outcome.error ?? null,
  ]);
}

export async function listMaintenanceRuns(db: Database, limit: number): Promise<MaintenanceRun[]> {
  const { rows } = await db.query('SELECT * FROM maintenance_runs ORDER BY started_at DESC, id DESC LIMIT $1', [limit]);
  return rows.map((row) => ({
    id: Number(row.id),
    workflowId: row.workflow_id,
    runId: row.run_id,
    asOf: row.as_of,
    status: row.status,
    report: row.report,
    error: row.error,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  }));
}
