import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes: what an operator filters on in the Web UI. Registered by the stack tooling and compose. */
export const OrganizationId = defineSearchAttributeKey('AtlassianOrgId', SearchAttributeType.KEYWORD);
export const SourceName = defineSearchAttributeKey('AuditSourceName', SearchAttributeType.KEYWORD);
export const SourceStatus = defineSearchAttributeKey('AuditSourceStatus', SearchAttributeType.KEYWORD);
export const LastEventTime = defineSearchAttributeKey('AuditLastEventTime', SearchAttributeType.DATETIME);
export const EventsIngested = defineSearchAttributeKey('AuditEventsIngested', SearchAttributeType.INT);
export const AlertOpen = defineSearchAttributeKey('AuditAlertOpen', SearchAttributeType.BOOL);

/** On output workflows: which output, whether it forwards, and how far behind it runs (summed over its sources). */
export const OutputName = defineSearchAttributeKey('AuditOutputName', SearchAttributeType.KEYWORD);
export const OutputStatus = defineSearchAttributeKey('AuditOutputStatus', SearchAttributeType.KEYWORD);
export const OutputBacklogEvents = defineSearchAttributeKey('AuditOutputBacklogEvents', SearchAttributeType.INT);
export const OutputLagSeconds = defineSearchAttributeKey('AuditOutputLagSeconds', SearchAttributeType.INT);

export const allSearchAttributes = [
  OrganizationId,
  SourceName,
  SourceStatus,
  LastEventTime,
  EventsIngested,
  AlertOpen,
  OutputName,
  OutputStatus,
  OutputBacklogEvents,
  OutputLagSeconds,
] as const;
