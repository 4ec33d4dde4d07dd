import type { OutputFormat } from '../sink';
import type { StoredEvent } from '../stored-event';
import { ecsRecord } from './ecs';
import { ocsfRecord } from './ocsf';
import { rawRecord } from './raw';

const FORMATTERS: Record<OutputFormat, (event: StoredEvent) => string> = {
  raw: rawRecord,
  ecs: (event) => JSON.stringify(ecsRecord(event)),
  ocsf: (event) => JSON.stringify(ocsfRecord(event)),
};

/**
 * One stored event as one record of an output's format, as the JSON text sinks send (one line: JSON text escapes
 * every newline). Pure: the same event gives the same text (no clock, no randomness), every record carries the event
 * id for receivers that drop duplicates, and the event is not changed.
 */
export function formatEvent(format: OutputFormat, event: StoredEvent): string {
  return FORMATTERS[format](event);
}
