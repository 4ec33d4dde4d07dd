import { ConfigurationError, loadEnvironment } from '../../config/environment';
import { isWatchdogTaskQueue, sourceTaskQueueOf, watchdogTaskQueue } from '../../contract/task-queues';

/** The silence watchdogs' task queue is named after their sources' queue, and read back to it (their alert dispatcher). */
describe("the silence watchdogs' task queue", () => {
  it('is named after the sources\' queue, and reads back to it', () => {
    expect(watchdogTaskQueue('atlassian-audit')).toBe('atlassian-audit-watchdogs');
    expect(isWatchdogTaskQueue('atlassian-audit-watchdogs')).toBe(true);
    expect(isWatchdogTaskQueue('atlassian-audit')).toBe(false);
    expect(sourceTaskQueueOf(watchdogTaskQueue('atlassian-audit'))).toBe('atlassian-audit');
    expect(sourceTaskQueueOf('atlassian-audit')).toBe('atlassian-audit');
  });

  it("refuses a TEMPORAL_TASK_QUEUE that would read as a watchdogs' queue", () => {
    const variables = { DATABASE_URL: 'postgres://localhost/audit', TEMPORAL_ADDRESS: 'localhost:7233', TEMPORAL_TASK_QUEUE: 'audit-watchdogs' };
    expect(() => loadEnvironment(variables)).toThrow(ConfigurationError);
    expect(() => loadEnvironment(variables)).toThrow("TEMPORAL_TASK_QUEUE: must not end as the watchdogs' queue does (-watchdogs)");
    expect(loadEnvironment({ ...variables, TEMPORAL_TASK_QUEUE: 'audit' }).TEMPORAL_TASK_QUEUE).toBe('audit');
  });
});
