import { describeActor } from '../event-view';
import type { EventRule } from '../rule';

/** One page exported to PDF or Word is everyday work; the rule looks for what takes data out in bulk. */
const SINGLE_PAGE_EXPORT = /page_export/;

export const dataExport: EventRule = {
  kind: 'event',
  id: 'data-export',
  title: 'Data exported',
  severity: 'medium',
  description:
    'Data left the organization in bulk: a space, site, issue search, user list or audit-log export. Single-page exports are left out. ' +
    'The export action keys are not documented beyond confluence_page_exported: the rule matches any action naming an export (*export*).',
  actions: ['*export*'],
  match: (event) => !SINGLE_PAGE_EXPORT.test(event.action),
  dedupSeconds: 3600,
  // Per actor and kind of export: a run of exports of the same kind by one person is one finding.
  key: (event) => `${event.action}:${event.actor.id}`,
  alertTitle: (event) => `Data export (${event.action}) by ${describeActor(event.actor)}`,
};
