import { HandedWork } from '../../workflows/handed-work';

// submit, drain and pending need no workflow runtime; runUntil is condition() around drain.
describe('HandedWork', () => {
  it('runs nothing until the loop drains it, then everything in the order it came', async () => {
    const work = new HandedWork();
    const ran: string[] = [];
    const first = work.submit(async () => ran.push('first'));
    const second = work.submit(async () => ran.push('second'));
    await Promise.resolve();
    expect(ran).toEqual([]);
    expect(work.pending).toBe(true);
    await work.drain();
    expect(ran).toEqual(['first', 'second']);
    expect(work.pending).toBe(false);
    await expect(Promise.all([first, second])).resolves.toEqual([1, 2]);
  });

  it('gives each submitter its own result or failure, and goes on after a failure', async () => {
    const work = new HandedWork();
    const failing = work.submit(async () => {
      throw new Error('no such interval');
    });
    const after = work.submit(async () => 'still ran');
    await work.drain();
    await expect(failing).rejects.toThrow('no such interval');
    await expect(after).resolves.toBe('still ran');
  });

  it('runs work handed over while it drains in the same drain', async () => {
    const work = new HandedWork();
    const ran: string[] = [];
    void work.submit(async () => {
      ran.push('outer');
      void work.submit(async () => ran.push('handed over meanwhile'));
    });
    await work.drain();
    expect(ran).toEqual(['outer', 'handed over meanwhile']);
    expect(work.pending).toBe(false);
  });

  it('runs one piece at a time: the next starts when the previous one has finished', async () => {
    const work = new HandedWork();
    const events: string[] = [];
    let release!: () => void;
    void work.submit(async () => {
      events.push('a starts');
      await new Promise<void>((resolve) => (release = resolve));
      events.push('a ends');
    });
    void work.submit(async () => events.push('b starts'));
    const drained = work.drain();
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual(['a starts']);
    release();
    await drained;
    expect(events).toEqual(['a starts', 'a ends', 'b starts']);
  });
});
