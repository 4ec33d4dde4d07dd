// A command's result goes to stdout and nothing else does: notes, progress and errors go to stderr, so that
// `-o json` output pipes straight into jq.

/** `-o text` (the default) prints for people; `-o json` prints one JSON document, for scripts. */
export const OUTPUT_FORMATS = ['text', 'json'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** A command's result: its JSON document with `-o json`, else its lines for people. */
export function printResult(format: OutputFormat, document: object, text: string | readonly string[]): void {
  if (format === 'json') return printJson(document);
  for (const line of typeof text === 'string' ? [text] : text) printLine(line);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** Columns padded to their widest cell; the last column is not padded so lines carry no trailing spaces. */
export function printTable(headers: string[], rows: string[][]): void {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => row[column].length)));
  const format = (cells: string[]) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]))).join('  ');
  for (const line of [format(headers), ...rows.map(format)]) printLine(line.trimEnd());
}

/** A two-column table of labelled values, skipping values that are undefined. */
export function printFields(fields: Array<[label: string, value: string | undefined]>): void {
  const shown = fields.filter((field): field is [string, string] => field[1] !== undefined);
  const width = Math.max(...shown.map(([label]) => label.length));
  for (const [label, value] of shown) printLine(`${`${label}:`.padEnd(width + 1)}  ${value}`);
}

export function formatTime(value: Date | string | null | undefined): string {
  if (!value) return '-';
  const date = typeof value === 'string' ? new Date(value) : value;
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
