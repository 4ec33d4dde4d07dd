import { openAlert, resolveAlert, type Queryable } from './alert-store';

// An output that cannot forward a source's events, or runs far behind, is told through alerts of kind `forwarding`:
// one per source and output and cause, opened on the source (alerts belong to sources) and named after the output.

const refusedKey = (outputName: string) => `refused:${outputName}`;
const lagKey = (outputName: string) => `lag:${outputName}`;

interface Ref {
  id: string;
  name: string;
}

/** The destination refused a batch for good: the output is paused until the operator resumes it. */
export async function reportDestinationRefused(q: Queryable, source: Ref, outputName: string, reason: string): Promise<boolean> {
  const { opened } = await openAlert(q, {
    sourceId: source.id,
    kind: 'forwarding',
    dedupKey: refusedKey(outputName),
    severity: 'high',
    title: `output ${outputName} stopped: its destination refused ${source.name}'s events`,
    message:
      `${reason}. Sending again as is would be refused again, so the output is paused and its events wait in PostgreSQL. ` +
      `Fix the destination or the output, then: atlassian-audit outputs resume ${outputName}.`,
    details: { output: outputName, reason },
  });
  return opened;
}

/** A batch of the source went through again. */
export async function resolveDestinationRefused(q: Queryable, sourceId: string, outputName: string): Promise<boolean> {
  return (await resolveAlert(q, { sourceId, kind: 'forwarding', dedupKey: refusedKey(outputName), message: 'The destination takes the events again.' })) !== undefined;
}

/** The output runs further behind in the source than its threshold; the alert stays open until it caught up. */
export async function reportForwardingLag(q: Queryable, source: Ref, outputName: string, lagSeconds: number, pendingEvents: number): Promise<boolean> {
  const { opened } = await openAlert(q, {
    sourceId: source.id,
    kind: 'forwarding',
    dedupKey: lagKey(outputName),
    severity: 'medium',
    title: `output ${outputName} is behind on ${source.name}: ${pendingEvents} events, the oldest stored ${Math.round(lagSeconds / 60)} min ago`,
    message: `The events wait in PostgreSQL and nothing is lost. See why: atlassian-audit outputs status ${outputName}. The alert resolves itself once the output has caught up.`,
    details: { output: outputName, lagSeconds, pendingEvents },
  });
  return opened;
}

/** The output caught up with the source. */
export async function resolveForwardingLag(q: Queryable, sourceId: string, outputName: string): Promise<boolean> {
  return (await resolveAlert(q, { sourceId, kind: 'forwarding', dedupKey: lagKey(outputName), message: 'The output has caught up.' })) !== undefined;
}
