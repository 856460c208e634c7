import { createScheduler, type DagEvent, type Journal } from '../../src/index';

/**
 * A scheduler's `shutdown()` resolves once its runs' journals hold their ends: a process may exit
 * right after, and its runs' records say how they ended (a last group still being stored would
 * leave the run `interrupted`, and a resume would run its last task again). An interrupting one
 * waits for the ends of runs their users cancelled before it; a forced one waits for no journal.
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

  /** A journal that stores a run's first group, then answers nothing. */
  function hungJournal(): Journal {
    let appends = 0;
    return {
      location: 'hung',
      create: async () => ({
        // the first group is stored; the store answers nothing after it
        append: () => (++appends === 1 ? undefined : new Promise<void>(() => undefined)),
        close: () => undefined,
      }),
      resume: () => Promise.reject(new Error('not in this spec')),
      runs: async () => [],
      events: async () => [],
      header: () => Promise.reject(new Error('not in this spec')),
    };
  }

  it('should resolve a forced shutdown at once, not waiting for a journal that does not answer', async () => {
    const scheduler = createScheduler({
      agents: { fn: () => new Promise(() => undefined) },
      journal: hungJournal(),
      healthCheckIntervalMs: 0,
    });
    scheduler.submit({ id: 'd', tasks: [{ id: 'a', agent: 'fn' }] }).subscribe({ error: () => undefined });
    await new Promise((resolve) => setTimeout(resolve, 100)); // started
    const resolved = await Promise.race([
      scheduler.shutdown({ force: true }).then(() => true),
      new Promise((resolve) => setTimeout(() => resolve(false), 2000)),
    ]);
    expect(resolved).toBe(true);
  });

  it('should resolve a graceful shutdown still waiting for a journal once a forced one called after it resolves', async () => {
    const scheduler = createScheduler({ agents: { fn: () => 'x' }, journal: hungJournal(), healthCheckIntervalMs: 0 });
    scheduler.submit({ id: 'd', tasks: [{ id: 'a', agent: 'fn' }] }).subscribe({ error: () => undefined });
    await new Promise((resolve) => setTimeout(resolve, 100)); // its end is on its way to a store that does not answer
    const order: string[] = [];
    const graceful = scheduler.shutdown().then(() => order.push('graceful'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(order).toEqual([]);
    const forced = scheduler.shutdown({ force: true }).then(() => order.push('forced'));
    const both = await Promise.race([
      Promise.all([graceful, forced]).then(() => true),
      new Promise((resolve) => setTimeout(() => resolve(false), 2000)),
    ]);
    expect([both, order.sort()]).toEqual([true, ['forced', 'graceful']]);
  });

  it('should resolve an interrupting shutdown once the end of a run its user cancelled before it is stored', async () => {
    const { journal, stored } = slowJournal();
    const scheduler = createScheduler({ agents: { fn: () => new Promise(() => undefined) }, journal, healthCheckIntervalMs: 0 });
    const subscription = scheduler.submit({ id: 'd', tasks: [{ id: 'a', agent: 'fn' }] }).subscribe({ error: () => undefined });
    await new Promise((resolve) => setTimeout(resolve, 200)); // started
    subscription.unsubscribe(); // cancelled by its user: its record ends cancelled, not interrupted
    await scheduler.shutdown({ interrupt: true });
    expect(stored).toEqual(expect.arrayContaining(['task.cancelled', 'dag.completed']));
  });
});
