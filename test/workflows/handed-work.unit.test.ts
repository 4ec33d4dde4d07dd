import { HandedWork } from '../../workflows/handed-work';

// submit, drain, pending and runUntilSettled need no workflow runtime; runUntil is condition() around drain.
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

  describe('runUntilSettled', () => {
    const later = () => {
      let settle!: (value?: unknown) => void;
      let fail!: (err: Error) => void;
      const promise = new Promise((resolve, reject) => ((settle = resolve), (fail = reject)));
      return { promise, settle, fail };
    };

    it('ends when the event settles, having run what was handed over meanwhile in the order it came', async () => {
      const work = new HandedWork();
      const ran: string[] = [];
      const timer = later();
      let ended = false;
      const waiting = work.runUntilSettled(timer.promise, () => false).then(() => (ended = true));
      void work.submit(async () => ran.push('first'));
      void work.submit(async () => ran.push('second'));
      await new Promise(setImmediate);
      expect(ran).toEqual(['first', 'second']);
      expect(ended).toBe(false);
      timer.settle();
      await waiting;
      expect(work.pending).toBe(false);
    });

    it('ends after a piece of work that makes `done` true, before the event', async () => {
      const work = new HandedWork();
      let cutShort = false;
      const waiting = work.runUntilSettled(later().promise, () => cutShort);
      void work.submit(async () => (cutShort = true));
      await expect(waiting).resolves.toBeUndefined();
    });

    it('runs work handed over before it began at once', async () => {
      const work = new HandedWork();
      const ran: string[] = [];
      void work.submit(async () => ran.push('early'));
      const timer = later();
      const waiting = work.runUntilSettled(timer.promise, () => false);
      await new Promise(setImmediate);
      expect(ran).toEqual(['early']);
      timer.settle();
      await waiting;
    });

    it('rejects when the event rejects, and a rejection after it ended goes unheard', async () => {
      const work = new HandedWork();
      const cancelled = later();
      const waiting = work.runUntilSettled(cancelled.promise, () => false);
      cancelled.fail(new Error('cancelled'));
      await expect(waiting).rejects.toThrow('cancelled');

      const leftBehind = later();
      let cutShort = false;
      const cut = work.runUntilSettled(leftBehind.promise, () => cutShort);
      void work.submit(async () => (cutShort = true));
      await cut;
      leftBehind.fail(new Error('cancelled later'));
      await new Promise(setImmediate);
    });
  });
});
