import { createScheduler, type DagEvent, defineAgent, defineDag, runDag } from '../../src';
import { scheduling, testScheduler, timeline } from '../helpers';

const base = { healthCheckIntervalMs: 0, runId: 'r' } as const;

describe('agent pool in virtual time', () => {
  it('should cap each agent kind at its capacity without blocking other kinds', () => {
    const dag = defineDag({
      id: 'kinds',
      tasks: [
        { id: 'l1', agent: 'llm', priority: 9 },
        { id: 'l2', agent: 'llm', priority: 9 },
        { id: 'l3', agent: 'llm', priority: 9 },
        { id: 's1', agent: 'shell' },
        { id: 's2', agent: 'shell' },
      ],
    });
    const scheduler = testScheduler();
    const events: DagEvent[] = [];
    scheduler.run(({ cold }) => {
      const llm = defineAgent({ capacity: 2, run: () => cold('----(x|)') });
      runDag(dag, { ...base, scheduler, maxConcurrency: 4, agents: { llm, shell: () => cold('--(x|)') } }).subscribe((e) => events.push(e));
    });
    expect(timeline(events, scheduling)).toEqual([
      '0 started:l1',
      '0 started:l2',
      '0 started:s1', // l3 waits for a free llm slot; shell tasks do not wait behind it
      '0 started:s2',
      '2 completed:s1',
      '2 completed:s2',
      '4 completed:l1',
      '4 available:llm',
      '4 completed:l2',
      '4 started:l3',
      '8 completed:l3',
      '8 done:succeeded',
    ]);
  });

  it('should hand work to the least-loaded instance and dispose idle ones after idleMs', () => {
    const dag = defineDag({ id: 'inst', tasks: ['a', 'b', 'c'].map((id) => ({ id, agent: 'llm' })) });
    const scheduler = testScheduler();
    const log: string[] = [];
    let made = 0;
    scheduler.run(({ cold }) => {
      const llm = defineAgent({
        capacity: 3,
        maxInstances: 2,
        idleMs: 10,
        create: () => `client${++made}`,
        dispose: (client) => log.push(`${scheduler.now()} dispose ${client}`),
        run: ({ id }, client) => {
          log.push(`${scheduler.now()} ${id} on ${client}`);
          return cold(id === 'a' ? '--(x|)' : '-----(x|)');
        },
      });
      const shared = createScheduler({ healthCheckIntervalMs: 0, scheduler, agents: { llm } });
      shared.submit(dag).subscribe();
    });
    // a and c share client1 (least loaded after b took client2); each instance is idle from 5, disposed at 15
    expect(log.slice(0, 3)).toEqual(['0 a on client1', '0 b on client2', '0 c on client1']);
    expect(log.slice(3).sort()).toEqual(['15 dispose client1', '15 dispose client2']);
  });

  it('should dispose the instances of a private runDag scheduler when its run ends', () => {
    const dag = defineDag({ id: 'one', tasks: [{ id: 'a', agent: 'llm' }] });
    const scheduler = testScheduler();
    const disposed: number[] = [];
    scheduler.run(({ cold }) => {
      const llm = defineAgent({ create: () => 1, dispose: () => disposed.push(scheduler.now()), run: () => cold('---(x|)') });
      runDag(dag, { ...base, scheduler, agents: { llm } }).subscribe();
    });
    expect(disposed).toEqual([3]);
  });

  it('should start a run submitted during a long one promptly, taking turns for slots', () => {
    const big = defineDag({ id: 'big', tasks: Array.from({ length: 10_000 }, (_, i) => ({ id: `b${i}`, agent: 'work' })) });
    const small = defineDag({
      id: 'small',
      tasks: [
        { id: 's1', agent: 'work' },
        { id: 's2', agent: 'work' },
      ],
    });
    const scheduler = testScheduler();
    const events: DagEvent[] = [];
    scheduler.run(({ cold }) => {
      const shared = createScheduler({ healthCheckIntervalMs: 0, scheduler, maxConcurrency: 2, agents: { work: () => cold('-(x|)') } });
      shared.events$.subscribe((e) => events.push(e));
      shared.submit(big, { runId: 'big' }).subscribe();
      scheduler.schedule(() => shared.submit(small, { runId: 'small' }).subscribe(), 100);
    });
    const smallStarts = events.filter((e) => e.runId === 'small' && e.type === 'task.started').map((e) => e.at);
    // the big run still has 9,900 tasks queued, yet the small run gets every other free slot
    expect(smallStarts).toEqual([100, 101]);
    const smallEnd = events.find((e) => e.runId === 'small' && e.type === 'dag.completed');
    expect(smallEnd).toMatchObject({ outcome: 'succeeded', at: 102 });
    const bigEnd = events.find((e) => e.runId === 'big' && e.type === 'dag.completed');
    expect(bigEnd).toMatchObject({ outcome: 'succeeded', counts: { completed: 10_000 } });
  });
});

describe('scheduler state$ in virtual time', () => {
  it('should publish per-run states and running/ready/pending/done totals over all runs', () => {
    const dag = defineDag({
      id: 's',
      tasks: [
        { id: 'a', agent: 'w' },
        { id: 'b', agent: 'w' },
        { id: 'c', deps: ['a', 'b'], agent: 'w' },
      ],
    });
    const scheduler = testScheduler();
    const seen: string[] = [];
    scheduler.run(({ cold }) => {
      const shared = createScheduler({ healthCheckIntervalMs: 0, scheduler, maxConcurrency: 1, agents: { w: () => cold('--(x|)') } });
      shared.state$.subscribe(({ runs, running, ready, pending, done }) =>
        seen.push(`${scheduler.now()} runs=${[...runs.keys()].join('+')} ${running}/${ready}/${pending}/${done}`),
      );
      shared.submit(dag, { runId: 'one' }).subscribe();
      shared.submit(dag, { runId: 'two' }).subscribe();
    });
    // one slot for two runs, taking turns; a run that ends is in the snapshot of that flush once
    expect(seen).toEqual([
      '0 runs= 0/0/0/0',
      '0 runs=one 1/1/1/0',
      '0 runs=one+two 1/3/2/0',
      '2 runs=one+two 1/2/2/1',
      '4 runs=one+two 1/1/2/2',
      '6 runs=one+two 1/1/1/3',
      '8 runs=one+two 1/1/0/4',
      '10 runs=one+two 1/0/0/5',
      '12 runs=two 0/0/0/3',
    ]);
  });
});
