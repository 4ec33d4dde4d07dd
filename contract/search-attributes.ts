import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes: what an operator filters on in the Web UI. Registered by the stack tooling and compose. */
export const OrganizationId = defineSearchAttributeKey('AtlassianOrgId', SearchAttributeType.KEYWORD);
export const SourceName = defineSearchAttributeKey('AuditSourceName', SearchAttributeType.KEYWORD);
export const SourceStatus = defineSearchAttributeKey('AuditSourceStatus', SearchAttributeType.KEYWORD);
export const LastEventTime = defineSearchAttributeKey('AuditLastEventTime', SearchAttributeType.DATETIME);
export const EventsIngested = defineSearchAttributeKey('AuditEventsIngested', SearchAttributeType.INT);
export const AlertOpen = defineSearchAttributeKey('AuditAlertOpen', SearchAttributeType.BOOL);

export const allSearchAttributes = [OrganizationId, SourceName, SourceStatus, LastEventTime, EventsIngested, AlertOpen] as const;
