const UNITS: Array<[suffix: string, seconds: number]> = [
  ['d', 86_400],
  ['h', 3_600],
  ['m', 60],
  ['s', 1],
];

/** "24h", "90m", "1d 6h": alert texts are read by people, so a window of 86400 s reads as a day. */
export function describeSeconds(total: number): string {
  const parts: string[] = [];
  let rest = Math.max(0, Math.round(total));
  for (const [suffix, size] of UNITS) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${suffix}`);
      rest %= size;
    }
    if (parts.length === 2) break;
  }
  return parts.length ? parts.join(' ') : '0s';
}
