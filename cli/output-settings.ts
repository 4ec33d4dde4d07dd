import { OperatorError } from '../config/operator-error';
import { formatDuration, parseDurationSeconds } from '../contract/durations';
import { parseWebhookUrl, parseSigningSecret, redactUrl, WebhookUrlError } from '../alerts/destinations';
import { DEFAULT_BATCHING, DEFAULT_LAG_ALERT_SECONDS, OUTPUT_FORMATS, OUTPUT_KINDS, type OutputBatching, type OutputKind } from '../store/outputs';
import type { OutputFormat } from '../outputs/sink';

// One validator per output setting, shared by `outputs add` and the outputs of `apply -f`; each names its field.

/** Names become workflow ids and alert keys: the rule of source names. */
const OUTPUT_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export function parseOutputName(text: string): string {
  if (!OUTPUT_NAME.test(text)) throw new OperatorError(`output name "${text}" is invalid: use 1 to 63 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit`);
  return text;
}

export function parseOutputKind(text: string): OutputKind {
  const kind = OUTPUT_KINDS.find((k) => k === text);
  if (!kind) throw new OperatorError(`kind must be one of ${OUTPUT_KINDS.join(', ')}, got "${text}"`);
  return kind;
}

export function parseOutputFormat(text: string): OutputFormat {
  const format = OUTPUT_FORMATS.find((f) => f === text);
  if (!format) throw new OperatorError(`format must be one of ${OUTPUT_FORMATS.join(', ')}, got "${text}"`);
  return format;
}

const BOUNDS = {
  maxEvents: [1, 100_000],
  maxBytes: [1024, 100 * 1024 * 1024],
  maxAgeSeconds: [0, 86_400],
  lagAlertSeconds: [60, 30 * 86_400],
} as const;

function bounded(field: string, value: number, [min, max]: readonly [number, number], show: (n: number) => string = String): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new OperatorError(`${field} must be from ${show(min)} to ${show(max)}, got ${Number.isNaN(value) ? 'no number' : show(value)}`);
  return value;
}

function duration(field: string, text: string | number): number {
  const seconds = typeof text === 'number' ? text : parseDurationSeconds(text);
  if (seconds === undefined) throw new OperatorError(`${field} must be a duration such as 5s, 10m or 1h, got "${text}"`);
  return seconds;
}

export interface BatchingInput {
  events?: number | string;
  bytes?: number | string;
  age?: number | string;
}

export function parseBatching(input: BatchingInput, names = { events: '--batch-events', bytes: '--batch-bytes', age: '--batch-age' }): OutputBatching {
  return {
    maxEvents: input.events === undefined ? DEFAULT_BATCHING.maxEvents : bounded(names.events, Number(input.events), BOUNDS.maxEvents),
    maxBytes: input.bytes === undefined ? DEFAULT_BATCHING.maxBytes : bounded(names.bytes, Number(input.bytes), BOUNDS.maxBytes),
    maxAgeSeconds: input.age === undefined ? DEFAULT_BATCHING.maxAgeSeconds : bounded(names.age, duration(names.age, input.age), BOUNDS.maxAgeSeconds, formatDuration),
  };
}

export function parseLagAlert(input: number | string | undefined, field = '--lag-alert'): number {
  return input === undefined ? DEFAULT_LAG_ALERT_SECONDS : bounded(field, duration(field, input), BOUNDS.lagAlertSeconds, formatDuration);
}

/** An HTTP output's URL: http(s) with a host, checked where it is configured; shown as scheme, host and port only. */
export function parseOutputUrl(text: string, field?: string): { url: string; shownUrl: string } {
  try {
    const url = parseWebhookUrl(text);
    return { url, shownUrl: redactUrl(url) };
  } catch (err) {
    if (err instanceof WebhookUrlError) {
      const message = err.message.replace(/^webhook URL/, "the output's URL");
      throw new OperatorError(field ? `${field}: ${message}` : message);
    }
    throw err;
  }
}

export function parseOutputSigningSecret(text: string, field: string): string {
  try {
    return parseSigningSecret(text);
  } catch (err) {
    if (err instanceof WebhookUrlError) throw new OperatorError(`${field}: ${err.message}`);
    throw err;
  }
}
