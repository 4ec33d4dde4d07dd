import type { OutputFormat } from '../sink';
import type { StoredEvent } from '../stored-event';
import { ecsRecord } from './ecs';
import { ocsfRecord } from './ocsf';
import { rawRecord } from './raw';

const FORMATTERS: Record<OutputFormat, (event: StoredEvent) => Record<string, unknown>> = {
  raw: rawRecord,
  ecs: ecsRecord,
  ocsf: ocsfRecord,
};

/**
 * One stored event as one record of an output's format. Pure: the same event gives the same record (no clock, no
 * randomness), every record carries the event id for receivers that drop duplicates, and the event is not changed.
 * Records share the event's nested raw objects rather than copying them.
 */
export function formatEvent(format: OutputFormat, event: StoredEvent): Record<string, unknown> {
  return FORMATTERS[format](event);
}
