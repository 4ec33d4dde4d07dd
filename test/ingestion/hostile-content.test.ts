import { randomInt } from 'node:crypto';
import { parseRfc3339 } from '../../atlassian/schema';
import { MAX_EVENT_ID_LENGTH } from '../../atlassian/storable';
import { storableText } from '../../atlassian/storable-text';
import { pollNowSignal, statusQuery } from '../../contract/source-messages';
import { enablePack } from '../../detections/store';
import { startSourceWorkflow } from '../../cli/start-source-workflow';
import { Random } from '../../simulator/prng';
import { startSimulator } from '../../harness/simulator';
import { createTestSource, eventually, openTestDatabase, testActivities } from '../../harness/sources';
import { withWorker } from '../../harness/worker';

// Invariant 8 against content nobody wrote a rule for: seeded random events full of what PostgreSQL, JSON and indexes
// dislike, served verbatim by the simulator, through the whole ingest path (client, normalization, store, detections).
// Every event must end up stored or held, the source must not fail a page, and its checkpoint must reach the end.
// The seed is printed; AUDIT_HOSTILE_SEED=<seed> replays a run.

const EVENTS = 1_500;
const DAY_MS = 24 * 3600_000;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const PIECES = ['\u0000', '\uD800', '\uDFFF', '\uDBFF\uDFFF', '\uD83D\uDE00', '\u202E', '\uFFFF', '\uFEFF', '\\', '"', "'", '\\u0000', '\n', '\t', '\u001b[31m', 'é', 'ß', '中', 'a', '%00', '<script>', '${x}', ' '];

function hostileText(rng: Random, maxLength = 40): string {
  if (rng.chance(0.02)) return PIECES[rng.int(0, PIECES.length - 1)].repeat(rng.int(500, 5_000));
  let text = '';
  const length = rng.int(0, maxLength);
  for (let i = 0; i < length; i++) text += rng.chance(0.5) ? rng.pick(PIECES) : String.fromCharCode(rng.int(0, 0xffff));
  return text;
}

function hostileValue(rng: Random, depth: number): Json {
  const roll = rng.int(0, depth > 6 ? 3 : 5);
  if (roll === 0) return hostileText(rng);
  if (roll === 1) return rng.pick([0, -1, 1e308, -0, 2 ** 53 + 1, 1.5e-300]);
  if (roll === 2) return rng.pick([null, true, false]);
  if (roll === 3) return rng.chance(0.1) ? deepValue(rng.int(100, 1_000)) : hostileText(rng, 5);
  if (roll === 4) return Array.from({ length: rng.int(0, 4) }, () => hostileValue(rng, depth + 1));
  return Object.fromEntries(Array.from({ length: rng.int(0, 4) }, () => [hostileText(rng, 8), hostileValue(rng, depth + 1)]));
}

function deepValue(depth: number): Json {
  let value: Json = 'bottom';
  for (let i = 0; i < depth; i++) value = { [`k${i % 3}`]: value };
  return value;
}

const YEARS = ['0000', '0001', '1969', '1999', '2000', '2025', '2026', '2027', '9999'];

/** A time the schema takes (it would reject the page otherwise): any year, day 31 of any month, any offset. */
function hostileTime(rng: Random, nowMs: number): string {
  if (rng.chance(0.5)) return new Date(nowMs - rng.int(0, DAY_MS)).toISOString();
  const two = (max: number) => String(rng.int(0, max)).padStart(2, '0');
  const fraction = rng.chance(0.5) ? `.${'123456789'.slice(0, rng.int(1, 9))}` : '';
  const offset = rng.pick(['Z', 'z', '+00:00', '-00:00', `+${two(23)}:${two(59)}`, `-${two(23)}:${two(59)}`]);
  const time = `${rng.pick(YEARS)}-${String(rng.int(1, 12)).padStart(2, '0')}-${String(rng.int(1, 31)).padStart(2, '0')}${rng.pick(['T', 't'])}${two(23)}:${two(59)}:${two(60)}${fraction}${offset}`;
  return Number.isNaN(parseRfc3339(time)) ? new Date(nowMs).toISOString() : time;
}

function hostileEvent(rng: Random, sequence: number, nowMs: number, earlier: Array<Record<string, Json>>): Record<string, Json> {
  // Repeats: byte for byte, or the same id with other content.
  if (earlier.length > 0 && rng.chance(0.03)) return earlier[rng.int(0, earlier.length - 1)];
  const id = rng.chance(0.05) && earlier.length > 0 ? (earlier[rng.int(0, earlier.length - 1)].id as string) : rng.chance(0.03) ? hostileText(rng, 4_000) || `id-${sequence}` : `hostile-${sequence}-${hostileText(rng, 10)}`;
  const attributes: Record<string, Json> = {
    time: hostileTime(rng, nowMs),
    action: rng.chance(0.2) ? rng.pick(['api_token_revoked', 'user_login', 'added_org_admin', 'policy_updated']) : hostileText(rng, rng.chance(0.05) ? 3_000 : 30) || 'x',
    actor: { id: hostileText(rng, rng.chance(0.05) ? 4_000 : 20), name: hostileText(rng), email: rng.chance(0.3) ? `${hostileText(rng, 5)}@example.com` : hostileText(rng) },
    context: Array.from({ length: rng.int(0, 3) }, () => ({ id: hostileText(rng), type: rng.pick(['users', 'groups', hostileText(rng, 5)]), attributes: { name: hostileText(rng), email: hostileText(rng), ip: hostileText(rng, 15), extra: hostileValue(rng, 0) } })),
    location: rng.chance(0.8) ? { ip: rng.pick(['10.0.0.1', '::1', hostileText(rng, 15)]), city: hostileText(rng), countryName: hostileText(rng) } : null,
  };
  if (rng.chance(0.8)) attributes.processedAt = rng.chance(0.9) ? new Date(nowMs).toISOString() : hostileTime(rng, nowMs);
  const event: Record<string, Json> = { id, type: 'events', attributes, message: { content: hostileText(rng, 80), format: 'simple' } };
  if (rng.chance(0.3)) event[hostileText(rng, 6) || 'k'] = hostileValue(rng, 0);
  return event;
}

describe('hostile content, generated', () => {
  it(`stores or holds each of ${EVENTS} random hostile events, and the source goes on`, async () => {
    const seed = Number(process.env.AUDIT_HOSTILE_SEED ?? randomInt(2 ** 31));
    process.stdout.write(`hostile content seed: ${seed} (replay with AUDIT_HOSTILE_SEED=${seed})\n`);
    const rng = new Random(seed);
    const simulator = await startSimulator({ seed: 271, orgs: [{}], history: { count: 50, spanMs: DAY_MS } });
    const db = openTestDatabase();
    try {
      const org = simulator.orgs[0];
      const source = await createTestSource(db, { organizationId: org.id, apiKey: org.keys.valid, apiBaseUrl: simulator.url, backfillDays: 2 });
      await enablePack(db, source.id, 'atlassian-core');
      await withWorker(testActivities(db), async ({ client, taskQueue }) => {
        const handle = await startSourceWorkflow(client, source, taskQueue);
        await eventually(() => handle.query(statusQuery), (s) => s.backfill.completed && s.phase === 'waiting', 60_000, 200);

        const events: Array<Record<string, Json>> = [];
        for (let i = 0; i < EVENTS; i++) events.push(hostileEvent(rng, i, Date.now(), events));
        simulator.addEvents(org.id, { events: events.map((body) => ({ body: body as Record<string, unknown> })) });
        const last = simulator.addEvents(org.id, { count: 1 });
        const startedAt = Date.now();
        await handle.signal(pollNowSignal);
        await eventually(async () => (await db.query('SELECT 1 FROM events WHERE source_id = $1 AND event_id = $2', [source.id, last[0]])).rows.length, (n) => n === 1, 90_000, 200);
        process.stdout.write(`hostile content: ${EVENTS} events stored or held in ${((Date.now() - startedAt) / 1000).toFixed(1)} s\n`);

        // Each event is stored or held, under its id as made storable (held ids are cut to 256 characters). Another
        // event under an id already stored is held when both came in one page, and dropped as a re-read otherwise.
        const { rows: stored } = await db.query<{ event_id: string }>('SELECT event_id FROM events WHERE source_id = $1', [source.id]);
        const { rows: held } = await db.query<{ event_id: string | null; reason: string }>('SELECT event_id, reason FROM quarantined_events WHERE source_id = $1', [source.id]);
        const storedIds = new Set(stored.map((row) => row.event_id));
        const heldIds = new Set(held.map((row) => row.event_id));
        const lost = events.filter((event) => {
          const id = event.id as string;
          return !storedIds.has(storableText(id)) && !heldIds.has(storableText(id.slice(0, MAX_EVENT_ID_LENGTH)));
        });
        expect(lost.map((event) => JSON.stringify(event).slice(0, 200))).toEqual([]);
        const reasons = new Map<string, number>();
        for (const { reason } of held) reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
        process.stdout.write(`hostile content: ${stored.length} rows stored, held: ${[...reasons].map(([reason, n]) => `${reason} ${n}`).join(', ')}\n`);
        // The last page may still be on its way to an empty one: the cycle ends, and no page failed on the way.
        expect(await eventually(() => handle.query(statusQuery), (s) => s.phase === 'waiting', 30_000, 100)).toMatchObject({ errors: 0 });
        await handle.terminate('test done');
      });
    } finally {
      await db.close();
      await simulator.close();
    }
  });
});
