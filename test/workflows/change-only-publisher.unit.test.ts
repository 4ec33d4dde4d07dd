import { TypedSearchAttributes } from '@temporalio/common';
import { EventsIngested, SourceName, SourceStatus } from '../../contract/search-attributes';
import { ShownValues } from '../../workflows/change-only-publisher';

// ChangeOnlyPublisher writes through the workflow runtime; what it decides to write is ShownValues.
describe('what ChangeOnlyPublisher writes', () => {
  it('writes a value the first time and again only when it changes', () => {
    const shown = new ShownValues();
    expect(shown.change('attribute:SourceStatus', 'polling')).toBe(true);
    expect(shown.change('attribute:SourceStatus', 'polling')).toBe(false);
    expect(shown.change('attribute:SourceStatus', 'paused')).toBe(true);
    expect(shown.change('memo:pollIntervalSeconds', 60)).toBe(true);
    expect(shown.change('memo:pollIntervalSeconds', 60)).toBe(false);
  });

  it('compares by value, not by identity', () => {
    const shown = new ShownValues();
    expect(shown.change('attribute:LastEventTime', new Date('2026-12-01T00:00:00Z'))).toBe(true);
    expect(shown.change('attribute:LastEventTime', new Date('2026-12-01T00:00:00Z'))).toBe(false);
  });

  it('keeps attributes and memo apart', () => {
    const shown = new ShownValues();
    expect(shown.change('attribute:paused', false)).toBe(true);
    expect(shown.change('memo:paused', false)).toBe(true);
  });

  it('starts from what the run was started or continued with, so a new run writes only changes', () => {
    const shown = ShownValues.atStart({
      typedSearchAttributes: new TypedSearchAttributes([
        { key: SourceName, value: 'acme' },
        { key: SourceStatus, value: 'polling' },
        { key: EventsIngested, value: 1200 },
      ]),
      memo: { pollIntervalSeconds: 60, paused: false },
    });
    expect(shown.change(`attribute:${SourceName.name}`, 'acme')).toBe(false);
    expect(shown.change(`attribute:${SourceStatus.name}`, 'polling')).toBe(false);
    expect(shown.change(`attribute:${EventsIngested.name}`, 1200)).toBe(false);
    expect(shown.change(`attribute:${EventsIngested.name}`, 1250)).toBe(true);
    expect(shown.change('memo:pollIntervalSeconds', 60)).toBe(false);
    expect(shown.change('memo:paused', true)).toBe(true);
  });

  it('writes everything on a run started with nothing', () => {
    const shown = ShownValues.atStart({ typedSearchAttributes: new TypedSearchAttributes(), memo: undefined });
    expect(shown.change(`attribute:${SourceName.name}`, 'acme')).toBe(true);
    expect(shown.change('memo:paused', false)).toBe(true);
  });
});
