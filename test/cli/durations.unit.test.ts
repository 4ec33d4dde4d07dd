import { formatDuration, parseDurationSeconds } from '../../contract/durations';
import { silenceWindowProblem } from '../../contract/settings';
import { parseIntervalSeconds, parseKeyExpiry, parseSilenceWindow, parseStopTimeout, shortWindowsAllowed } from '../../cli/inputs';

describe('durations for silence windows', () => {
  it('reads minutes, hours, days and plain seconds, and nothing else', () => {
    expect(['90m', '24h', '2d', '45s', '3600', ' 2D '].map(parseDurationSeconds)).toEqual([5400, 86400, 172800, 45, 3600, 172800]);
    expect(['', 'h', '1.5h', '-5m', '10 minutes', '2w', '1h30m'].map(parseDurationSeconds)).toEqual(Array(7).fill(undefined));
  });

  it('bounds a window to 15 minutes .. 30 days unless short windows are switched on for tests and demos', () => {
    expect(parseSilenceWindow('15m', {})).toBe(900);
    expect(parseSilenceWindow('30d', {})).toBe(2_592_000);
    expect(() => parseSilenceWindow('14m', {})).toThrow(/between 15m .*AUDIT_ALLOW_SHORT_WINDOWS=1.* and 30d, got 14m/);
    expect(() => parseSilenceWindow('31d', {})).toThrow('got 31d');
    expect(() => parseSilenceWindow('later', {})).toThrow('silence window "later" is not a duration');

    const demo = { AUDIT_ALLOW_SHORT_WINDOWS: '1' };
    expect(parseSilenceWindow('1s', demo)).toBe(1);
    expect(shortWindowsAllowed(demo)).toBe(true);
    expect(shortWindowsAllowed({ AUDIT_ALLOW_SHORT_WINDOWS: 'yes' })).toBe(false);
    expect(silenceWindowProblem(0, { allowShort: true })).toBe('silence window must be between 1s and 30d, got 0s');
    expect(silenceWindowProblem(31 * 86400, { allowShort: true })).toMatch(/got 31d$/);
    expect(silenceWindowProblem(60)).toMatch(/^silence window must be between 15m/);
    expect(silenceWindowProblem(1.5, { allowShort: true })).toBe('silence window must be a whole number of seconds, got 1.5');
  });

  it('reads the poll interval and the stop timeout with units too, and bounds them', () => {
    expect(['10s', '5m', '1h', '24h', '300', '1d'].map(parseIntervalSeconds)).toEqual([10, 300, 3600, 86400, 300, 86400]);
    expect(() => parseIntervalSeconds('9s')).toThrow('interval must be between 10 s and 86400 s (24 h), got 9 s');
    expect(() => parseIntervalSeconds('2d')).toThrow('got 172800 s');
    expect(() => parseIntervalSeconds('1.5h')).toThrow('interval "1.5h" is not a duration');
    expect(['1s', '90s', '1m', '1h', '60'].map(parseStopTimeout)).toEqual([1, 90, 60, 3600, 60]);
    expect(() => parseStopTimeout('0s')).toThrow('--timeout must be between 1s and 1h, got 0s');
    expect(() => parseStopTimeout('61m')).toThrow('got 61m');
  });

  it('writes a duration back in the largest unit that divides it, else in its two largest parts', () => {
    expect([86400, 5400, 7200, 59, 0].map(formatDuration)).toEqual(['1d', '90m', '2h', '59s', '0s']);
    expect([90, 86_400 + 6 * 3600 + 5, 899.6, 3600 + 1].map(formatDuration)).toEqual(['1m 30s', '1d 6h', '15m', '1h 0m']);
  });
});

describe('key expiry dates', () => {
  const now = new Date('2026-03-10T15:00:00Z');
  it('accepts a real date after today and within a year', () => {
    expect(parseKeyExpiry('2026-03-11', now).toISOString()).toBe('2026-03-11T00:00:00.000Z');
    expect(parseKeyExpiry('2027-03-10', now).toISOString()).toBe('2027-03-10T00:00:00.000Z');
  });
  it('refuses today, the past, impossible dates and dates beyond a key lifetime', () => {
    expect(() => parseKeyExpiry('2026-03-10', now)).toThrow('not in the future');
    expect(() => parseKeyExpiry('2025-12-31', now)).toThrow('not in the future');
    expect(() => parseKeyExpiry('2026-02-30', now)).toThrow('not a date');
    expect(() => parseKeyExpiry('10/03/2026', now)).toThrow('not a date');
    expect(() => parseKeyExpiry('2028-01-01', now)).toThrow('more than a year away');
  });
});
