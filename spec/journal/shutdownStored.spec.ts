import { createScheduler, type DagEvent, type Journal } from '../../src/index';

/**
 * A scheduler's `shutdown()` resolves once its runs' journals hold their ends: a process may exit
 * right after, and its runs' records say how they ended (a last group still being stored would
 * leave the run `interrupted`, and a resume would run its last task again). A forced shutdown's
 * cancellations are stored too.
 */
describe("a scheduler's shutdown with a journal", () => {
  /** A journal whose appends and closes each take a while (a database far away), and what it stored. */
  function slowJournal() {
    const stored: string[] = [];
    let closes = 0;
    const journal: Journal = {
      location: 'slow',
      create: async () => ({
        append: async (events: readonly DagEvent[]) => {
          await new Promise((resolve) => setTimeout(resolve, 30));
          stored.push(...events.map((event) => event.type));
        },
        close: async () => {
          await new Promise((resolve) => setTimeout(resolve, 10));
          closes++;
        },
      }),
      resume: () => Promise.reject(new Error('not in this spec')),
      runs: async () => [],
      events: async () => [],
      header: () => Promise.reject(new Error('not in this spec')),
    };
    return { journal, stored, closes: () => closes };
  }

  it('should resolve once the journal holds every run’s dag.completed and its writer is closed', async () => {
    const { journal, stored, closes } = slowJournal();
    const scheduler = createScheduler({ agents: { fn: () => 'x' }, journal, healthCheckIntervalMs: 0 });
    const tasks = [
      { id: 'a', agent: 'fn' },
      { id: 'b', agent: 'fn', deps: ['a'] },
    ];
    scheduler.submit({ id: 'd', tasks }).subscribe();
    scheduler.submit({ id: 'e', tasks }).subscribe();
    await scheduler.shutdown();
    expect(stored.filter((type) => type === 'dag.completed')).toHaveLength(2);
    expect(closes()).toBe(2);
  });

  it("should resolve a forced shutdown once the runs' cancellations are stored", async () => {
    const { journal, stored } = slowJournal();
    const scheduler = createScheduler({ agents: { fn: () => new Promise(() => undefined) }, journal, healthCheckIntervalMs: 0 });
    scheduler.submit({ id: 'd', tasks: [{ id: 'a', agent: 'fn' }] }).subscribe({ error: () => undefined });
    await new Promise((resolve) => setTimeout(resolve, 100)); // started
    await scheduler.shutdown({ force: true });
    expect(stored).toEqual(expect.arrayContaining(['task.cancelled', 'dag.completed']));
  });
});
