import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { formatEvent } from '../../../outputs/formats';
import type { OutputFormat } from '../../../outputs/sink';
import type { StoredEvent } from '../../../outputs/stored-event';

// The golden files are the formats' specification: golden/<case>/input.json is a stored event, and raw.json, ecs.json
// and ocsf.json are the records it must become, reviewed by eye. update-golden.ts rewrites the three from the code.

export const GOLDEN_DIR = path.join(__dirname, 'golden');
export const FORMATS: readonly OutputFormat[] = ['raw', 'ecs', 'ocsf'];

export const caseNames = (): string[] => readdirSync(GOLDEN_DIR, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

/** A case's stored event, its raw body also as the JSON text a store read gives (rawText is not in the file). */
export function readInput(name: string): StoredEvent {
  const event = JSON.parse(readFileSync(path.join(GOLDEN_DIR, name, 'input.json'), 'utf8')) as Omit<StoredEvent, 'rawText'>;
  return { ...event, rawText: JSON.stringify(event.raw) };
}

export const goldenPath = (name: string, format: OutputFormat): string => path.join(GOLDEN_DIR, name, `${format}.json`);

/** The golden file's text for a record: two-space JSON, members in the order the formatter wrote them. */
export const goldenText = (event: StoredEvent, format: OutputFormat): string => `${JSON.stringify(JSON.parse(formatEvent(format, event)), null, 2)}\n`;
