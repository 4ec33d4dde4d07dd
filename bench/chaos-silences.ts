import type { RunningSimulator } from '../simulator/server';
import type { Database } from '../store/database';

/** The chaos run's only deliberate silences: a source whose organization stops producing events for a while. */
export interface SilencePlan {
  /** The silence alarm's window of the silent sources. */
  windowSeconds: number;
  /** How long events flow between two silences. */
  flowingSeconds: number;
  /** Live events per second of a source while its events flow. */
  liveEventsPerSecond: number;
}

/**
 * Takes a few organizations quiet for longer than their sources' silence window, again and again, and counts the
 * silences it completed. Each silence outlasts the window by enough to open the alert even when a fault delays the
 * watchdog's timer, and events then flow long enough to resolve it before the next one.
 */
export class SilenceSchedule {
  private readonly completed = new Map<string, number>();
  private stopping = false;
  private readonly loops: Promise<void>[] = [];

  constructor(
    private readonly simulator: RunningSimulator,
    private readonly plan: SilencePlan,
  ) {}

  start(silentOrgIds: string[]): void {
    for (const orgId of silentOrgIds) this.loops.push(this.cycle(orgId));
  }

  /** Lets the silence in progress run its course (its alert must open and resolve like any other), then ends. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
  }

  silencesOf(orgId: string): number {
    return this.completed.get(orgId) ?? 0;
  }

  private async cycle(orgId: string): Promise<void> {
    const { windowSeconds, flowingSeconds, liveEventsPerSecond } = this.plan;
    const sleep = (seconds: number) => new Promise((r) => setTimeout(r, seconds * 1000));
    await sleep(flowingSeconds);
    while (!this.stopping) {
      this.simulator.setLiveRate(orgId, 0);
      await sleep(windowSeconds + 40);
      this.simulator.setLiveRate(orgId, liveEventsPerSecond);
      this.completed.set(orgId, this.silencesOf(orgId) + 1);
      // Events flow long enough for the alert to resolve, even after stop().
      await sleep(flowingSeconds);
    }
  }
}

export interface AlertFigures {
  /** Silence alerts expected (one per completed silence) and opened. */
  expected: number;
  opened: number;
  missed: number;
  spurious: number;
  /** Alerts still open although their source's events flow again. */
  unresolved: number;
  /** Notices (opened, resolved) that reached the receiver under a delivery id, and those that never did or twice. */
  noticesDelivered: number;
  noticesMissing: number;
  noticesDoubled: number;
  /** One line per alert that does not fit the schedule, to see why. */
  unexpected: string[];
}

interface ReceivedBody {
  notice: 'opened' | 'resolved';
  deliveryId: number;
  alert: { id: number };
}

/**
 * Compares the alerts table and the notices the receiver got with the silences scheduled: exactly one silence alert
 * per completed silence of a silent source, none anywhere else, each opened and resolved notice delivered once (a
 * notice POSTed again under the same delivery id is a retry the receiver dedups, not a second delivery).
 */
export async function checkAlerts(db: Database, silentSources: Map<string, string>, schedule: SilenceSchedule, received: unknown[]): Promise<AlertFigures> {
  const { rows } = await db.query<{ id: string; source_id: string; name: string; kind: string; status: string; opened_at: Date; resolved_at: Date | null }>(
    'SELECT a.id, a.source_id, s.name, a.kind, a.status, a.opened_at, a.resolved_at FROM alerts a JOIN sources s ON s.id = a.source_id ORDER BY a.id',
  );
  let expected = 0;
  let missed = 0;
  let spurious = 0;
  const unexpected: string[] = [];
  const describe = (a: (typeof rows)[number]) => `${a.name} ${a.kind} alert ${a.id} opened ${a.opened_at.toISOString()}, ${a.resolved_at ? `resolved ${a.resolved_at.toISOString()}` : 'open'}`;
  for (const [sourceId, orgId] of silentSources) {
    const want = schedule.silencesOf(orgId);
    const got = rows.filter((a) => a.source_id === sourceId && a.kind === 'silence');
    expected += want;
    missed += Math.max(0, want - got.length);
    spurious += Math.max(0, got.length - want);
    if (got.length !== want) unexpected.push(`${want} silences scheduled, ${got.length} alerts: ${got.map(describe).join('; ')}`);
  }
  const elsewhere = rows.filter((a) => !silentSources.has(a.source_id) || a.kind !== 'silence');
  spurious += elsewhere.length;
  unexpected.push(...elsewhere.map(describe));

  const deliveries = new Map<string, Set<number>>();
  for (const body of received as ReceivedBody[]) {
    const key = `${body.alert.id}:${body.notice}`;
    deliveries.set(key, (deliveries.get(key) ?? new Set()).add(body.deliveryId));
  }
  let noticesMissing = 0;
  let noticesDoubled = 0;
  let noticesDelivered = 0;
  for (const alert of rows) {
    for (const notice of alert.status === 'resolved' ? ['opened', 'resolved'] : ['opened']) {
      const ids = deliveries.get(`${alert.id}:${notice}`)?.size ?? 0;
      if (ids === 0) noticesMissing++;
      else noticesDelivered++;
      noticesDoubled += Math.max(0, ids - 1);
    }
  }
  return {
    expected,
    opened: rows.filter((a) => a.kind === 'silence').length,
    missed,
    spurious,
    unresolved: rows.filter((a) => a.status === 'open').length,
    noticesDelivered,
    noticesMissing,
    noticesDoubled,
    unexpected,
  };
}
