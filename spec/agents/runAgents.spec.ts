import { lastValueFrom } from 'rxjs';
import { createScheduler, defineAgent, defineDag } from '../../src';
import { exposeGc } from '../support/gc';

/**
 * Agents a run brings (`submit(dag, { agents })`), as a service binds a request's context into
 * them: a long-lived scheduler keeps them while a run uses them, then disposes their instances
 * and lets them go, with what their closures hold. Its own agents stay.
 */
const dag = defineDag({ id: 'one', tasks: [{ id: 'a', agent: 'work' }] });
const tick = (ms = 0) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A pooled agent of one run, its instances disposed into `disposed` (idle only after a minute). */
function runAgent(n: number, disposed: number[], run: () => unknown = () => n) {
  return defineAgent({ capacity: 1, idleMs: 60_000, create: () => ({ n }), dispose: (instance) => void disposed.push(instance.n), run });
}

describe("a run's own agents", () => {
  it('should be disposed when the run ends and then let go, with what they hold', async () => {
    const gc = exposeGc();
    const scheduler = createScheduler({ healthCheckIntervalMs: 0 });
    const held: WeakRef<object>[] = [];
    const disposed: number[] = [];
    for (let n = 0; n < 20; n++) {
      const requestContext = { rows: new Array<number>(10_000).fill(n) };
      held.push(new WeakRef(requestContext));
      await lastValueFrom(scheduler.submit(dag, { agents: { work: runAgent(n, disposed, () => requestContext.rows.length) } }));
    }
    // at each run's end, not a minute later
    expect(disposed).toEqual(Array.from({ length: 20 }, (_, n) => n));
    gc();
    await tick(); // WeakRefs are cleared after the job that collected them
    gc();
    expect(held.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);
    await scheduler.shutdown();
  });

  it('should stop the attempts of a cancelled run before disposing its agents, so that they hear the cancel while they can act on it', async () => {
    const steps: string[] = [];
    const scheduler = createScheduler({ healthCheckIntervalMs: 0 });
    const work = defineAgent({
      capacity: 2,
      create: () => 'client',
      dispose: () => void steps.push('disposed'),
      run: ({ id, signal }) =>
        new Promise((_, reject) =>
          signal.addEventListener('abort', () => (steps.push(`${id} aborted`), reject(signal.reason)), { once: true }),
        ),
    });
    const two = defineDag({
      id: 'two',
      tasks: [
        { id: 'a', agent: 'work' },
        { id: 'b', agent: 'work' },
      ],
    });
    const subscription = scheduler.submit(two, { agents: { work } }).subscribe({ error: () => undefined });
    await tick(10);
    subscription.unsubscribe();
    await tick(10);
    expect(steps).toEqual(['a aborted', 'b aborted', 'disposed', 'disposed']); // an instance each
    await scheduler.shutdown();
  });

  it("should keep an agent two runs share until the last of them ends, and the scheduler's own until it shuts down", async () => {
    const disposed: number[] = [];
    const own = runAgent(0, disposed);
    const shared = runAgent(1, disposed, () => new Promise((resolve) => setTimeout(resolve, 30)));
    const scheduler = createScheduler({ healthCheckIntervalMs: 0, agents: { own } });
    const both = defineDag({
      id: 'both',
      tasks: [
        { id: 'a', agent: 'own' },
        { id: 'b', agent: 'work' },
      ],
    });
    const quick = lastValueFrom(scheduler.submit(both, { agents: { work: runAgent(2, disposed) } }));
    const slowFirst = lastValueFrom(scheduler.submit(dag, { agents: { work: shared } }));
    const slowSecond = lastValueFrom(scheduler.submit(dag, { agents: { work: shared } }));
    await quick;
    expect(disposed).toEqual([2]);
    await slowFirst;
    expect(disposed).toEqual([2]); // still used by the second run
    await slowSecond;
    expect(disposed).toEqual([2, 1]);
    await scheduler.shutdown();
    expect(disposed).toEqual([2, 1, 0]);
  });

  it('should be disposed before a graceful shutdown resolves, a slow dispose and a create given up while pending included', async () => {
    const steps: string[] = [];
    const later = (ms: number, what: string) => new Promise<void>((resolve) => setTimeout(() => (steps.push(what), resolve()), ms));
    const slowDispose = defineAgent({ capacity: 1, create: () => 'client', dispose: () => later(100, 'disposed'), run: () => 'ok' });
    const slowCreate = defineAgent({
      capacity: 1,
      create: () => later(250, 'created').then(() => 'client'),
      dispose: () => later(50, 'disposed after its create'),
      run: () => 'ok',
    });
    const scheduler = createScheduler({ healthCheckIntervalMs: 0, agents: { slowDispose, slowCreate } });
    await lastValueFrom(scheduler.submit(defineDag({ id: 'd', tasks: [{ id: 'a', agent: 'slowDispose' }] })));
    // its attempt times out while the instance is made: the run ends, the create goes on
    const ended = await lastValueFrom(scheduler.submit(defineDag({ id: 'c', tasks: [{ id: 'b', agent: 'slowCreate', timeoutMs: 20 }] })));
    expect(ended).toMatchObject({ type: 'dag.completed', outcome: 'failed' });
    await scheduler.shutdown();
    steps.push('shutdown resolved');
    expect(steps).toEqual(['disposed', 'created', 'disposed after its create', 'shutdown resolved']);
  });

  it("should resolve a graceful shutdown only once a run's own agent, disposed as its run ended, is disposed", async () => {
    const log: string[] = [];
    const own = defineAgent({
      create: async () => 'conn',
      dispose: () => new Promise<void>((resolve) => setTimeout(() => (log.push('disposed'), resolve()), 150)),
      run: () => 'ok',
    });
    const scheduler = createScheduler({ healthCheckIntervalMs: 0 });
    await lastValueFrom(scheduler.submit(defineDag({ id: 'own', tasks: [{ id: 'a', agent: 'db' }] }), { agents: { db: own } }));
    await scheduler.shutdown();
    log.push('shutdown resolved');
    expect(log).toEqual(['disposed', 'shutdown resolved']);
  });

  it('should resolve a forced shutdown without waiting for a create that never settles, and dispose its instance if it is ever made', async () => {
    let made: (client: string) => void = () => undefined;
    const dispose = jest.fn();
    const hung = defineAgent({ create: () => new Promise<string>((resolve) => (made = resolve)), dispose, run: () => 'ok' });
    const scheduler = createScheduler({ healthCheckIntervalMs: 0, agents: { hung } });
    scheduler.submit(defineDag({ id: 'h', tasks: [{ id: 'a', agent: 'hung' }] })).subscribe({ error: () => undefined });
    await tick(10); // its create is pending
    const resolved = await Promise.race([scheduler.shutdown({ force: true }).then(() => true), tick(1000).then(() => false)]);
    expect(resolved).toBe(true);
    made('client');
    await tick();
    expect(dispose.mock.calls).toEqual([['client']]);
  });

  it('should resolve a graceful shutdown waiting for a create that never settles once a forced one comes (a deadline), both calls together', async () => {
    let made: (client: string) => void = () => undefined;
    const dispose = jest.fn();
    const hung = defineAgent({ create: () => new Promise<string>((resolve) => (made = resolve)), dispose, run: () => 'ok' });
    const scheduler = createScheduler({ healthCheckIntervalMs: 0, agents: { hung } });
    // its attempt times out while the instance is made: the run ends, the create goes on
    await lastValueFrom(scheduler.submit(defineDag({ id: 'h', tasks: [{ id: 'a', agent: 'hung', timeoutMs: 20 }] })));
    const settled: string[] = [];
    const graceful = scheduler.shutdown().then(() => settled.push('graceful'));
    await tick(50);
    expect(settled).toEqual([]); // it waits for the create
    await scheduler.shutdown({ force: true }).then(() => settled.push('forced'));
    await Promise.race([graceful, tick(1000)]);
    expect(settled.sort()).toEqual(['forced', 'graceful']);
    made('client');
    await tick();
    expect(dispose.mock.calls).toEqual([['client']]);
  });
});
