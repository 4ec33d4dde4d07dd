import { decide, MAX_EVIDENCE_EVENTS } from '../../detections/decide';
import type { Candidate } from '../../detections/rule';
import type { DetectionEvent } from '../../detections/event-view';
import { failedLoginBurst, loginFromNewCountry } from '../../detections/rules/logins';
import { adminImpersonation } from '../../detections/rules/privileged-access';
import type { Rule } from '../../detections/rule';
import { ruleKey, StoredFacts, StoredMark } from '../../detections/stored-facts';

// The decision alone, on hand-made facts: what PostgreSQL returns is covered by the engine and rule tests.

const T0 = Date.parse('2026-11-01T12:00:00.000Z');
const WINDOW_MS = failedLoginBurst.windowSeconds * 1000;
const PERIOD_MS = adminImpersonation.dedupSeconds * 1000;

const event = (eventId: string, timeMs: number): DetectionEvent => ({
  eventId,
  timeMs,
  action: 'user_login_failed',
  actor: { id: 'a', name: null, email: null },
  ip: '198.18.0.7',
  country: null,
  context: [],
  container: [],
});
const candidate = (rule: Rule, eventId: string, timeMs: number, dedupKey = 'k'): Candidate => ({ packId: 'p', rule, event: event(eventId, timeMs), dedupKey });
const facts = (partial: Partial<StoredFacts> = {}): StoredFacts => ({
  windowEvents: new Map(),
  novel: new Set(),
  detectionsByKey: new Map(),
  detectedEvents: new Set(),
  ...partial,
});
const marks = (offsets: number[]): StoredMark[] => offsets.map((offset, i) => ({ eventId: `e${i}`, timeMs: T0 + offset }));
const windowOf = (offsets: number[]) => new Map([[failedLoginBurst as Rule, new Map([['k', marks(offsets)]])]]);
const ids = (findings: { event: DetectionEvent }[]) => findings.map((f) => f.event.eventId);

describe('decide', () => {
  it('counts a threshold window as (t − window, t]: an event exactly one window old is out, one at t is in', () => {
    const atEdge = [0, WINDOW_MS / 4, WINDOW_MS / 2, (3 * WINDOW_MS) / 4, WINDOW_MS];
    expect(decide([candidate(failedLoginBurst, 'e4', T0 + WINDOW_MS)], facts({ windowEvents: windowOf(atEdge) }))).toEqual([]);

    const inside = [1, WINDOW_MS / 4, WINDOW_MS / 2, (3 * WINDOW_MS) / 4, WINDOW_MS];
    const [finding] = decide([candidate(failedLoginBurst, 'e4', T0 + WINDOW_MS)], facts({ windowEvents: windowOf(inside) }));
    expect(finding).toMatchObject({ count: 5, eventIds: ['e0', 'e1', 'e2', 'e3', 'e4'] });
  });

  it('does not count window events later than the candidate', () => {
    expect(decide([candidate(failedLoginBurst, 'e0', T0)], facts({ windowEvents: windowOf([0, 1, 2, 3, 4]) }))).toEqual([]);
  });

  it(`keeps the first ${MAX_EVIDENCE_EVENTS} event ids of a long window as evidence, and the full count`, () => {
    const burst = Array.from({ length: 80 }, (_, i) => i * 1000);
    const [finding] = decide([candidate(failedLoginBurst, 'e79', T0 + 79_000)], facts({ windowEvents: windowOf(burst) }));
    expect(finding.count).toBe(80);
    expect(finding.eventIds).toHaveLength(MAX_EVIDENCE_EVENTS);
    expect(finding.eventIds[0]).toBe('e0');
  });

  it('fires a new-value candidate only when the stored facts call its value novel', () => {
    const candidates = [candidate(loginFromNewCountry, 'peru', T0, 'Peru'), candidate(loginFromNewCountry, 'chile', T0, 'Chile')];
    expect(ids(decide(candidates, facts({ novel: new Set([1]) })))).toEqual(['chile']);
  });

  it('suppresses a candidate within the dedup period of a stored detection on either side, but not at a full period', () => {
    const stored = (offset: number) => facts({ detectionsByKey: new Map([[ruleKey(adminImpersonation.id, 'k'), marks([offset])]]) });
    expect(decide([candidate(adminImpersonation, 'x', T0)], stored(PERIOD_MS - 1))).toEqual([]);
    expect(decide([candidate(adminImpersonation, 'x', T0)], stored(-(PERIOD_MS - 1)))).toEqual([]);
    expect(ids(decide([candidate(adminImpersonation, 'x', T0)], stored(PERIOD_MS)))).toEqual(['x']);
    expect(ids(decide([candidate(adminImpersonation, 'x', T0, 'other')], stored(0)))).toEqual(['x']);
  });

  it('never raises a second detection of the same rule for an event, whatever its key', () => {
    const detected = facts({ detectedEvents: new Set([ruleKey(adminImpersonation.id, 'x')]) });
    expect(decide([candidate(adminImpersonation, 'x', T0, 'a key the stored detection did not have')], detected)).toEqual([]);
  });

  it('within a batch keeps the earliest, then each next one a full period after the last kept, in event-time order', () => {
    // Given out of order: b lies within a's period and is dropped; c is a full period after a, so it is kept even
    // though it lies within the period of the dropped b.
    const a = candidate(adminImpersonation, 'a', T0);
    const b = candidate(adminImpersonation, 'b', T0 + PERIOD_MS / 2);
    const c = candidate(adminImpersonation, 'c', T0 + PERIOD_MS);
    expect(ids(decide([c, b, a], facts()))).toEqual(['a', 'c']);
  });
});
