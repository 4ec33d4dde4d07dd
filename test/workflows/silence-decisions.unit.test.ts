import {
  applyBaseline,
  applyResolution,
  applySettings,
  applyVerdict,
  forgetNewsUnlessAlerting,
  initialWatch,
  nextStep,
  noteEvents,
  type SilenceWatch,
  takeNews,
} from '../../workflows/silence-decisions';

const T0 = Date.parse('2026-12-01T00:00:00Z');
const WINDOW_S = 3_600;
const at = (ms: number) => new Date(ms).toISOString();
const quiet = (): SilenceWatch => ({ ...initialWatch(WINDOW_S, undefined), lastEventAt: T0 });
const open = (): SilenceWatch => ({ ...quiet(), alertOpen: true });
const step = (watch: SilenceWatch, now: number, runIsLong = false) => nextStep(watch, { now, runIsLong });

describe("the silence watchdog's decisions", () => {
  it('waits until the window after the newest event, then asks PostgreSQL', () => {
    const deadline = T0 + WINDOW_S * 1000;
    expect(step(quiet(), T0 + 1)).toEqual({ kind: 'wait-until', deadline });
    expect(step(quiet(), deadline)).toEqual({ kind: 'evaluate', deadline });
  });

  it('moves the deadline with each word of new events, never back', () => {
    const watch = quiet();
    expect(noteEvents(watch, at(T0 + 60_000))).toBe(true);
    expect(noteEvents(watch, at(T0 + 30_000))).toBe(true);
    expect(step(watch, T0 + 61_000)).toEqual({ kind: 'wait-until', deadline: T0 + 60_000 + WINDOW_S * 1000 });
  });

  it('ignores a word whose time is no time', () => {
    const watch = quiet();
    expect(noteEvents(watch, 'not a time')).toBe(false);
    expect(watch).toEqual(quiet());
  });

  it('holds off a paused source until its recheck time', () => {
    const watch = quiet();
    const deadline = T0 + WINDOW_S * 1000;
    expect(applyVerdict(watch, { kind: 'paused', recheckAt: at(deadline + 600_000) }, deadline)).toBeUndefined();
    expect(step(watch, deadline + 1)).toEqual({ kind: 'wait-until', deadline: deadline + 600_000 });
  });

  it('takes a newer event from PostgreSQL, and waits at least a second before asking again', () => {
    const watch = quiet();
    const deadline = T0 + WINDOW_S * 1000;
    applyVerdict(watch, { kind: 'not-silent', deadline: at(deadline + 120_000) }, deadline);
    expect(watch.lastEventAt).toBe(T0 + 120_000);
    // A database clock a little behind ours must not make a busy loop of the wait.
    applyVerdict(watch, { kind: 'not-silent', deadline: at(deadline - 5) }, deadline);
    expect(step(watch, deadline)).toEqual({ kind: 'wait-until', deadline: deadline + 120_000 });
    expect(watch.notBefore).toBe(deadline + 1000);
  });

  it('tells the source only of an alert it opened itself', () => {
    const opened = quiet();
    expect(applyVerdict(opened, { kind: 'alerting', alertId: 7, opened: true }, T0)).toBe('opened');
    expect(opened.alertOpen).toBe(true);
    const found = quiet();
    expect(applyVerdict(found, { kind: 'alerting', alertId: 7, opened: false }, T0)).toBeUndefined();
    expect(found.alertOpen).toBe(true);
    expect(applyVerdict(quiet(), { kind: 'removed' }, T0)).toBe('removed');
  });

  it('has no deadline while an alert is open: it waits for events, then tries to resolve with the newest', () => {
    const watch = open();
    expect(step(watch, T0 + 10 * WINDOW_S * 1000)).toEqual({ kind: 'wait-for-events' });
    noteEvents(watch, at(T0 + 5_000));
    noteEvents(watch, at(T0 + 9_000));
    forgetNewsUnlessAlerting(watch);
    expect(step(watch, T0 + 10_000)).toEqual({ kind: 'resolve' });
    expect(takeNews(watch)).toBe(T0 + 9_000);
    expect(step(watch, T0 + 10_000)).toEqual({ kind: 'wait-for-events' });
  });

  it('drops news that came while no alert was open, so that a later alert is not resolved by it', () => {
    const watch = quiet();
    noteEvents(watch, at(T0 + 5_000));
    forgetNewsUnlessAlerting(watch);
    expect(watch.pendingEventsAt).toBeUndefined();
    applyVerdict(watch, { kind: 'alerting', alertId: 1, opened: true }, T0 + WINDOW_S * 1000);
    expect(step(watch, T0 + WINDOW_S * 1000)).toEqual({ kind: 'wait-for-events' });
  });

  it('keeps news that came while PostgreSQL opened the alert', () => {
    const watch = quiet();
    // The word arrives during the evaluation that opens the alert; the next wake-up resolves with it.
    noteEvents(watch, at(T0 + WINDOW_S * 1000 + 1));
    applyVerdict(watch, { kind: 'alerting', alertId: 1, opened: true }, T0 + WINDOW_S * 1000);
    forgetNewsUnlessAlerting(watch);
    expect(step(watch, T0 + WINDOW_S * 1000 + 2)).toEqual({ kind: 'resolve' });
  });

  it('resolves at once on a fresh start when PostgreSQL holds events newer than the open alert', () => {
    const watch = initialWatch(WINDOW_S, undefined);
    applyBaseline(watch, { baselineAt: at(T0), alertOpen: true, eventsSinceAlert: true });
    expect(watch.lastEventAt).toBe(T0);
    expect(step(watch, T0)).toEqual({ kind: 'resolve' });
    expect(takeNews(watch)).toBeUndefined();
    expect(watch.resolveDue).toBe(false);
  });

  it('closes the alert when resolved, or when an operator resolved it first, and not otherwise', () => {
    expect(applyResolution(open(), { resolved: true, stillOpen: false })).toBe(true);
    expect(applyResolution(open(), { resolved: false, stillOpen: false })).toBe(true);
    const still = open();
    expect(applyResolution(still, { resolved: false, stillOpen: true })).toBe(false);
    expect(still.alertOpen).toBe(true);
    // Results recorded before stillOpen existed lack it: only `resolved` counts then.
    expect(applyResolution(open(), { resolved: false })).toBe(false);
  });

  it('switches off before anything else, and continues-as-new before it waits', () => {
    const watch = open();
    noteEvents(watch, at(T0 + 1));
    expect(step(watch, T0 + 2, true)).toEqual({ kind: 'resolve' });
    applySettings(watch, { enabled: false, windowSeconds: WINDOW_S, reason: 'switched off by test' });
    expect(step(watch, T0 + 2, true)).toEqual({ kind: 'switch-off' });
    expect(watch.disabledReason).toBe('switched off by test');
    expect(step(quiet(), T0 + 2, true)).toEqual({ kind: 'continue-as-new' });
  });

  it('takes a new window, but refuses nonsense', () => {
    const watch = quiet();
    applySettings(watch, { enabled: true, windowSeconds: 60 });
    expect(watch.windowSeconds).toBe(60);
    applySettings(watch, { enabled: true, windowSeconds: -5 });
    expect(watch.windowSeconds).toBe(60);
  });

  it('starts from what the previous run carried', () => {
    const carried = { lastEventAt: T0, notBefore: T0 + 5, alertOpen: true, pendingEventsAt: T0 + 3, resolveDue: true };
    expect(initialWatch(WINDOW_S, carried)).toEqual({ windowSeconds: WINDOW_S, enabled: true, ...carried });
  });
});
