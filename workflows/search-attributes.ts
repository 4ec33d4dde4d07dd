import type { SearchAttributeKey, SearchAttributeType } from '@temporalio/common/lib/search-attributes';

// Plain literals rather than defineSearchAttributeKey(): workflow code may import nothing but
// @temporalio/workflow, and a key is only a { name, type } pair.
function key<T extends SearchAttributeType>(name: string, type: T): SearchAttributeKey<T> {
  return { name, type };
}

/** Custom search attributes: what an operator filters on in the Web UI. */
export const OrganizationId = key('AtlassianOrgId', 'KEYWORD');
export const SourceName = key('AuditSourceName', 'KEYWORD');
export const SourceStatus = key('AuditSourceStatus', 'KEYWORD');
export const LastEventTime = key('AuditLastEventTime', 'DATETIME');
export const EventsIngested = key('AuditEventsIngested', 'INT');
export const AlertOpen = key('AuditAlertOpen', 'BOOL');

export const allSearchAttributes = [
  OrganizationId,
  SourceName,
  SourceStatus,
  LastEventTime,
  EventsIngested,
  AlertOpen,
] as const;
