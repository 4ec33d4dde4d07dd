import type { Database } from '../database';
import { identifiesPerson, redactEvent, redactText, type Redaction } from './redact';
import { likePatterns } from './erase-findings';
import { lockUnless, runPass } from './pass';
import type { ErasureScope, Tally } from './tally';

interface HeldRow {
  id: string;
  source_id: string;
  raw: string;
  detail: string;
}

/**
 * Held events keep their exact text, which may not even parse: it is redacted as an event when it does, and as text
 * in any case. Its hash stays, so the same event read again is still held once (and redacted by the next run).
 */
export async function eraseQuarantined(db: Database, redaction: Redaction, scope: ErasureScope, tally: Tally, dryRun: boolean): Promise<void> {
  const { person } = redaction;
  const identifying = likePatterns({ ...person, names: new Set() });
  await runPass(db, dryRun, async (q) => {
    const { rows } = await q.query<HeldRow>(
      `SELECT id, source_id, raw, detail FROM quarantined_events
        WHERE ($1::uuid[] IS NULL OR source_id = ANY($1)) AND (raw ILIKE ANY($2::text[]) OR detail ILIKE ANY($2::text[]))
        ORDER BY id ${lockUnless(dryRun)}`,
      [scope.sourceIds, identifying],
    );
    for (const row of rows) {
      if (!identifiesPerson(person, `${row.raw}\n${row.detail}`)) continue;
      const raw = redactHeldText(redaction, row.raw);
      const detail = redactText(redaction)(row.detail);
      tally.add('quarantined_events', row.source_id, 1);
      if (!dryRun) await q.query('UPDATE quarantined_events SET raw = $2, detail = $3 WHERE id = $1', [row.id, raw, detail]);
    }
  });
}

function redactHeldText(redaction: Redaction, text: string): string {
  let ips: string[] = [];
  let structured = text;
  try {
    const redacted = redactEvent(redaction, JSON.parse(text));
    if (redacted.appears) {
      structured = JSON.stringify(redacted.event);
      ips = redacted.ips;
    }
  } catch {
    // Not JSON: held for that very reason, perhaps. The text pass below still takes the person out.
  }
  return redactText(redaction, ips)(structured);
}
