import { createScheduler, type DagEvent, type Journal, JournalWriteError } from '../../src/index';

/**
 * A run whose journal fails gives back what its running attempts held (a slot of
 * `maxConcurrency`, its agent's, its limits' units) once, as it errors: an outcome of one of them
 * already on its way (polling mode holds it for the next poll) is dropped, frees nothing again,
 * and says nothing more on the scheduler's events.
 */
/** A journal whose append of run A's `task.started` never succeeds: it fails when the spec calls `fail`. */
function journalFailingA(): { readonly journal: Journal; fail(error: Error): void } {
  let failAppend: (error: Error) => void = () => undefined;
  const journal: Journal = {
    location: 'memory',
    create: (header) => ({
      append: (events: readonly DagEvent[]) =>
        header.runId === 'A' && events.some((event) => event.type === 'task.started')
          ? new Promise<void>((_, reject) => (failAppend = reject))
          : undefined,
      close: () => undefined,
    }),
    resume: () => Promise.reject(new Error('not in this spec')),
    runs: async () => [],
    events: async () => [],
    header: () => Promise.reject(new Error('not in this spec')),
  };
  return { journal, fail: (error) => failAppend(error) };
}

describe('a run whose journal fails with an outcome on its way', () => {
  it("should free its attempts' slots and limit units once, and say nothing of the late outcome", async () => {
    const { journal, fail: failAppend } = journalFailingA();
    let running = 0;
    let most = 0;
    const agents = {
      quick: () => new Promise((resolve) => setTimeout(() => resolve('done'), 30)),
      slow: async () => {
        most = Math.max(most, ++running);
        await new Promise((resolve) => setTimeout(resolve, 200));
        running--;
      },
    };
    // polling: A's outcome (at 30 ms) waits for the poll at 100 ms; its journal fails at 60 ms
    const scheduler = createScheduler({ agents, journal, mode: 'polling', pollIntervalMs: 100, limits: { L: { concurrency: 2 } } });
    const late: DagEvent[] = [];
    let aFailed = false;
    scheduler.events$.subscribe((event) => aFailed && event.runId === 'A' && late.push(event));
    const a = new Promise<unknown>((resolve) =>
      scheduler.submit({ id: 'A', tasks: [{ id: 'a', agent: 'quick', limits: ['L'] }] }, { runId: 'A' }).subscribe({
        error: (error: unknown) => {
          aFailed = true;
          resolve(error);
        },
      }),
    );
    const b = new Promise<void>((resolve) =>
      scheduler
        .submit({ id: 'B', tasks: ['b1', 'b2', 'b3'].map((id) => ({ id, agent: 'slow', limits: ['L'] })) }, { runId: 'B' })
        .subscribe({ complete: resolve, error: resolve }),
    );
    setTimeout(() => failAppend(new Error('the database went away')), 60);
    expect(await a).toBeInstanceOf(JournalWriteError);
    await b;
    await scheduler.shutdown();
    expect(most).toBe(2); // L lets two run at once, never three
    expect(late).toEqual([]);
  });

  it('should start at once a run that waits for the slot it gave back, with no health check to wake the scheduler', async () => {
    const { journal, fail } = journalFailingA();
    // slow: stopped by its signal (its run fails), so no timer outlives the test
    const slow = ({ signal }: { readonly signal: AbortSignal }) =>
      new Promise((resolve) => {
        const timer = setTimeout(() => resolve('done'), 5000);
        signal.addEventListener('abort', () => (clearTimeout(timer), resolve('stopped')));
      });
    const agents = { slow, quick: async () => 'done' };
    const scheduler = createScheduler({ agents, journal, maxConcurrency: 1, healthCheckIntervalMs: 0 });
    const a = new Promise<unknown>((resolve) =>
      scheduler.submit({ id: 'A', tasks: [{ id: 'a', agent: 'slow' }] }, { runId: 'A' }).subscribe({ error: resolve }),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    // B waits for A's slot
    const b = new Promise<string>((resolve) =>
      scheduler.submit({ id: 'B', tasks: [{ id: 'b', agent: 'quick' }] }, { runId: 'B' }).subscribe({ complete: () => resolve('ended') }),
    );
    const failedAt = Date.now();
    fail(new Error('the database went away'));
    expect(await a).toBeInstanceOf(JournalWriteError);
    let giveUp: NodeJS.Timeout | undefined;
    const waited = new Promise<string>((resolve) => (giveUp = setTimeout(resolve, 2000, 'still waiting')));
    const outcome = await Promise.race([b, waited]);
    clearTimeout(giveUp);
    expect(outcome).toBe('ended');
    expect(Date.now() - failedAt).toBeLessThan(1000);
    await scheduler.shutdown({ force: true });
  });
});
