import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { RESPONSE_TOO_LARGE } from '../../contract/failure-types';
import { pollNowSignal, statusQuery } from '../../contract/source-messages';
import { startSourceWorkflow } from '../../cli/start-source-workflow';
import { startSimulator } from '../../harness/simulator';
import { countEvents, createTestSource, eventually, openTestDatabase } from '../../harness/sources';
import { connectClient } from '../../harness/worker';
import { WorkerProcess } from '../../harness/worker-process';

const MiB = 1024 * 1024;
/**
 * Set as an operator would, well below the default: the memory bound checked below then leaves room for the worker's
 * own noise, and a reader that buffered past the cap still breaks it. The test prints the peak it saw.
 */
const CAP = 4 * MiB;

/** The process's resident memory now, from the kernel's own account. */
function rssOf(pid: number): number {
  const kiB = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return kiB ? Number(kiB[1]) * 1024 : Number.NaN;
}

describe('a response body of gigabytes', () => {
  it('fails its page typed within seconds, holds the worker to far less memory than the body, and loses no event', async () => {
    const simulator = await startSimulator({ seed: 8, orgs: [{}], history: { count: 200, spanMs: 3600_000 } });
    const db = openTestDatabase();
    const client = await connectClient();
    const worker = new WorkerProcess(`huge-${randomUUID()}`, { ATLASSIAN_MAX_RESPONSE_BYTES: String(CAP) });
    try {
      await worker.ready();
      const org = simulator.orgs[0];
      const source = await createTestSource(db, { organizationId: org.id, apiKey: org.keys.valid, apiBaseUrl: simulator.url });
      const handle = await startSourceWorkflow(client, source, worker.taskQueue);
      await eventually(() => handle.query(statusQuery), (s) => s.backfill.completed, 60_000, 200);
      const before = rssOf(worker.pid);

      // The next two answers stream 4 GiB each, made as they are read; then the API answers as usual again.
      simulator.addEvents(org.id, { count: 50 });
      simulator.failNext({ kind: 'huge-body', count: 2, orgId: org.id });
      let peak = before;
      const sampler = setInterval(() => (peak = Math.max(peak, rssOf(worker.pid))), 20);
      const started = Date.now();
      try {
        await handle.signal(pollNowSignal);
        await eventually(() => countEvents(db, source.id), (n) => n === 250, 60_000, 100);
      } finally {
        clearInterval(sampler);
      }
      const tooLarge = worker.output.split('\n').filter((line) => line.includes(RESPONSE_TOO_LARGE)).map((line) => JSON.parse(line));
      console.log(`huge bodies: 2 of 4 GiB, stored after ${Date.now() - started} ms, worker RSS ${Math.round(before / MiB)} MiB before, peak +${Math.round((peak - before) / MiB)} MiB`);

      expect(Date.now() - started).toBeLessThan(30_000);
      expect(peak - before).toBeLessThan(100 * MiB);
      expect(simulator.injectedFaults()['huge-body']).toBe(2);
      // Each attempt said in one warning line, typed, without a stack trace.
      expect(tooLarge).toHaveLength(2);
      for (const line of tooLarge) {
        expect(line).toMatchObject({ level: 40, failureType: RESPONSE_TOO_LARGE, status: 200, activityType: 'ingestPage' });
        expect(line.msg).toMatch(new RegExp(`^Atlassian events-stream response is larger than ${CAP} bytes .*; retrying`));
        expect(JSON.stringify(line)).not.toMatch(/\bat \S+ \(|stack/);
      }
      await handle.terminate('test done');
    } finally {
      await worker.stop();
      await client.connection.close();
      await db.close();
      await simulator.close();
    }
  });

  it.each(['1024', 'lots'])('refuses ATLASSIAN_MAX_RESPONSE_BYTES=%s in one line', async (value) => {
    const worker = new WorkerProcess(`huge-${randomUUID()}`, { ATLASSIAN_MAX_RESPONSE_BYTES: value });
    expect(await worker.ended()).toBe(1);
    expect(worker.output.trim()).toBe('error: ATLASSIAN_MAX_RESPONSE_BYTES: must be a whole number of 1048576 or more');
  });
});
