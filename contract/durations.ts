const UNITS: ReadonlyArray<[suffix: string, seconds: number]> = [
  ['d', 86_400],
  ['h', 3_600],
  ['m', 60],
  ['s', 1],
];

/**
 * Seconds in a duration written as `90m`, `24h`, `2d`, `30s` or plain seconds (`3600`); undefined when the text is
 * none of these. Only whole numbers: a window of `1.5h` is better written `90m` than rounded behind the operator's back.
 */
export function parseDurationSeconds(text: string): number | undefined {
  const match = /^(\d{1,9})\s*([smhd]?)$/i.exec(text.trim());
  if (!match) return undefined;
  const suffix = (match[2] || 's').toLowerCase();
  return Number(match[1]) * UNITS.find(([unit]) => unit === suffix)![1];
}

/**
 * "24h", "90m", "1d 6h": one unit when it fits exactly, so that what an operator typed reads back the same;
 * otherwise the two largest parts, which is all a person reading an alert or a countdown needs.
 */
export function formatDuration(totalSeconds: number): string {
  const seconds = Math.max(0, Math.round(totalSeconds));
  if (seconds < 60) return `${seconds}s`;
  const exact = UNITS.find(([, size]) => size > 1 && seconds >= size && seconds % size === 0);
  if (exact) return `${seconds / exact[1]}${exact[0]}`;
  const parts: string[] = [];
  let rest = seconds;
  for (const [suffix, size] of UNITS) {
    if (parts.length === 2) break;
    if (rest >= size || parts.length === 1) {
      parts.push(`${Math.floor(rest / size)}${suffix}`);
      rest %= size;
    }
  }
  return parts.join(' ');
}
