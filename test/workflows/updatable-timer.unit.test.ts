import { timerLength, UpdatableTimer, wakeUpEnds } from '../../workflows/updatable-timer';

// The timer and the decisions of its wait; the wait itself (waitHandlingWork) needs the workflow runtime's sleep and
// condition, and is exercised by the source workflow's tests and its replayed histories.
describe('UpdatableTimer', () => {
  it('counts its deadline from when it started', () => {
    const timer = new UpdatableTimer(5_000);
    expect(timer.deadline).toBe(timer.startedAt + 5_000);
    expect(timer.moved).toBe(false);
  });

  it('marks a moved deadline, so that the wait starts a timer for the new one', () => {
    const timer = new UpdatableTimer(5_000);
    timer.deadline = timer.startedAt + 60_000;
    expect(timer.moved).toBe(true);
    expect(wakeUpEnds(timer, false)).toBe('moved');
  });

  it('ends the wait when the deadline passed unmoved, or when cut short whatever the deadline did', () => {
    const timer = new UpdatableTimer(5_000);
    expect(wakeUpEnds(timer, false)).toBe('deadline');
    expect(wakeUpEnds(timer, true)).toBe('cut-short');
    timer.deadline = 0;
    expect(wakeUpEnds(timer, true)).toBe('cut-short');
  });

  it('starts a timer even for a deadline already passed', () => {
    expect(timerLength(10_000, 4_000)).toBe(6_000);
    expect(timerLength(10_000, 10_000)).toBe(1);
    expect(timerLength(10_000, 99_000)).toBe(1);
  });
});
