import { randomUUID } from 'node:crypto';
import { WorkerProcess } from '../../harness/worker-process';

// WORKFLOW_CACHE_SIZE bounds a worker's memory (docs/sizing.md): the worker runs with the size it is given
// and says so at start, and a size it cannot use stops it in one line.
describe('WORKFLOW_CACHE_SIZE', () => {
  it('sets the sticky cache, which the worker reports at start', async () => {
    const worker = new WorkerProcess(`cache-${randomUUID()}`, { WORKFLOW_CACHE_SIZE: '1234' });
    try {
      await worker.ready();
      const started = worker.output.split('\n').find((line) => line.includes('worker polling task queue'))!;
      expect(JSON.parse(started)).toMatchObject({ cachedWorkflows: 1234 });
    } finally {
      await worker.stop();
    }
  });

  it.each(['1', 'lots', '-5'])('refuses %s in one line', async (size) => {
    const worker = new WorkerProcess(`cache-${randomUUID()}`, { WORKFLOW_CACHE_SIZE: size });
    expect(await worker.ended()).toBe(1);
    expect(worker.output.trim()).toBe('error: WORKFLOW_CACHE_SIZE: must be a whole number of 2 or more');
  });
});
