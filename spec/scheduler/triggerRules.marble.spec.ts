import { defineDag, type DagEvent, runDag, type TaskSpec } from '../../src';
import { inVirtualTime, scheduling, timeline } from '../helpers';

// a completes at 1, b fails at 2, c completes at 3; the rule tasks take 1 ms
const sources: TaskSpec[] = [
  { id: 'a', agent: 'work' },
  { id: 'b', agent: 'work' },
  { id: 'c', agent: 'work' },
];

function runWith(tasks: TaskSpec[], failurePolicy?: 'skip-dependents' | 'continue'): { events: DagEvent[]; upstream: Record<string, unknown> } {
  const events: DagEvent[] = [];
  const upstream: Record<string, unknown> = {};
  const dag = defineDag({ id: 'rules', tasks: [...sources, ...tasks] });
  inVirtualTime(({ cold }, scheduler) =>
    runDag(dag, {
      healthCheckIntervalMs: 0,
      maxConcurrency: 10,
      scheduler,
      ...(failurePolicy === undefined ? {} : { failurePolicy }),
      agents: {
        work: (ctx) => {
          upstream[ctx.id] = ctx.upstream;
          if (ctx.id === 'a') return cold('-(x|)', { x: 'from a' });
          if (ctx.id === 'b') return cold('--#', undefined, new Error('b broke'));
          if (ctx.id === 'c') return cold('---(x|)', { x: 'from c' });
          return cold('-(x|)', { x: `${ctx.id} ran` });
        },
      },
    }).subscribe((e) => events.push(e)),
  );
  return { events, upstream };
}

const ended = (events: DagEvent[], id: string) =>
  events.find((e) => 'taskId' in e && e.taskId === id && (e.type === 'task.completed' || e.type === 'task.skipped' || (e.type === 'task.failed' && !e.willRetry)));

describe('trigger rules (when)', () => {
  it('should skip an all-succeeded task as soon as a dependency fails, naming it', () => {
    const { events } = runWith([{ id: 'x', agent: 'work', deps: ['a', 'b'], when: 'all-succeeded' }]);
    expect(ended(events, 'x')).toMatchObject({ type: 'task.skipped', because: 'b', at: 2 });
  });

  it('should run an all-done task once every dependency ended, however, with the outputs that exist', () => {
    const { events, upstream } = runWith([{ id: 'cleanup', agent: 'work', deps: ['a', 'b', 'c'], when: 'all-done' }]);
    expect(timeline(events, scheduling).filter((l) => l.includes('cleanup'))).toEqual(['3 started:cleanup', '4 completed:cleanup']);
    expect(upstream.cleanup).toEqual({ a: 'from a', c: 'from c' });
  });

  it('should run an any-failed task when a dependency failed for good, after all of them ended', () => {
    const { events } = runWith([{ id: 'alert', agent: 'work', deps: ['a', 'b', 'c'], when: 'any-failed' }]);
    expect(timeline(events, scheduling).filter((l) => l.includes('alert'))).toEqual(['3 started:alert', '4 completed:alert']);
  });

  it('should skip an any-failed task when every dependency ended without a failure, naming the one that ended last (it decided)', () => {
    const { events } = runWith([{ id: 'alert', agent: 'work', deps: ['a', 'c'], when: 'any-failed' }]);
    expect(ended(events, 'alert')).toMatchObject({ type: 'task.skipped', at: 3, because: 'c' });
    expect(events.some((e) => e.type === 'task.started' && e.taskId === 'alert')).toBe(false);
  });

  it('should skip a none-failed task on a failure, and on a dependency skipped because of one', () => {
    const { events } = runWith([
      { id: 'needs-b', agent: 'work', deps: ['b'] }, // skipped when b fails (the default rule)
      { id: 'over-skip', agent: 'work', deps: ['a', 'needs-b'], when: 'none-failed' },
      { id: 'over-failure', agent: 'work', deps: ['a', 'b'], when: 'none-failed' },
    ]);
    expect(ended(events, 'needs-b')).toMatchObject({ type: 'task.skipped', because: 'b' });
    expect(ended(events, 'over-failure')).toMatchObject({ type: 'task.skipped', because: 'b', at: 2 });
    expect(ended(events, 'over-skip')).toMatchObject({ type: 'task.skipped', because: 'b', at: 2 });
    expect(events.some((e) => e.type === 'task.started' && e.taskId === 'over-skip')).toBe(false);
  });

  it('should run a none-failed task over a dependency skipped by its own rule while nothing failed', () => {
    const { events } = runWith([
      { id: 'alert', agent: 'work', deps: ['a', 'c'], when: 'any-failed' }, // nothing failed: skipped at 3
      { id: 'after-alert', agent: 'work', deps: ['alert'] }, // skipped in turn
      { id: 'publish', agent: 'work', deps: ['a', 'after-alert'], when: 'none-failed' },
    ]);
    expect(ended(events, 'after-alert')).toMatchObject({ type: 'task.skipped', because: 'alert', at: 3 });
    expect(timeline(events, scheduling).filter((l) => l.includes('publish'))).toEqual(['3 started:publish', '4 completed:publish']);
  });

  it('should run an any-failed task whose dependencies were skipped because of a failure further up', () => {
    const { events } = runWith([
      { id: 'load', agent: 'work', deps: ['b'] }, // skipped when b fails
      { id: 'report', agent: 'work', deps: ['load'] }, // skipped in turn, naming b
      { id: 'alert', agent: 'work', deps: ['a', 'report'], when: 'any-failed' },
    ]);
    expect(ended(events, 'report')).toMatchObject({ type: 'task.skipped', because: 'b', at: 2 });
    expect(timeline(events, scheduling).filter((l) => l.includes('alert'))).toEqual(['2 started:alert', '3 completed:alert']);
  });

  it('should skip what depends on a skipped task by its own rule, in turn', () => {
    const { events } = runWith([
      { id: 'alert', agent: 'work', deps: ['a', 'c'], when: 'any-failed' },
      { id: 'after-alert', agent: 'work', deps: ['alert'] },
      { id: 'cleanup', agent: 'work', deps: ['alert'], when: 'all-done' },
    ]);
    expect(ended(events, 'after-alert')).toMatchObject({ type: 'task.skipped', because: 'alert', at: 3 });
    expect(ended(events, 'cleanup')).toMatchObject({ type: 'task.completed', at: 4 });
    expect(events.at(-1)).toMatchObject({ type: 'dag.completed', outcome: 'failed', counts: { failed: 1, skipped: 2 } });
  });

  it('should count a task skipped over a rule-skipped dependency as failed when another of its dependencies failed, whichever ended first', () => {
    // `x` needs both: the alert (skipped by its rule, nothing failed by then) and b (fails at 2)
    const downstream = (alertDeps: string[]): TaskSpec[] => [
      { id: 'alert', agent: 'work', deps: alertDeps, when: 'any-failed' },
      { id: 'x', agent: 'work', deps: ['alert', 'b'] },
      { id: 'deploy', agent: 'work', deps: ['x'], when: 'none-failed' },
      { id: 'page', agent: 'work', deps: ['x'], when: 'any-failed' },
    ];
    const alertFirst = runWith(downstream(['a'])).events; // the alert is skipped at 1, before b fails
    const failureFirst = runWith(downstream(['c'])).events; // at 3, after
    for (const events of [alertFirst, failureFirst]) {
      expect(ended(events, 'x')).toMatchObject({ type: 'task.skipped', because: 'b', at: 2 });
      expect(ended(events, 'deploy')).toMatchObject({ type: 'task.skipped', because: 'b' });
      expect(ended(events, 'page')).toMatchObject({ type: 'task.completed' });
    }
    expect(ended(alertFirst, 'alert')).toMatchObject({ type: 'task.skipped', because: 'a', at: 1 });
  });

  it('should skip an all-succeeded task over a rule-skipped dependency once its other dependencies ended, naming the skipped one', () => {
    const { events } = runWith([
      { id: 'alert', agent: 'work', deps: ['a'], when: 'any-failed' }, // skipped at 1
      { id: 'x', agent: 'work', deps: ['alert', 'c'] },
      { id: 'publish', agent: 'work', deps: ['x'], when: 'none-failed' },
    ]);
    expect(ended(events, 'x')).toMatchObject({ type: 'task.skipped', because: 'alert', at: 3 });
    expect(timeline(events, scheduling).filter((l) => l.includes('publish'))).toEqual(['3 started:publish', '4 completed:publish']);
  });

  it('should keep the failure policy as the rule of tasks without one', () => {
    const continued = runWith([{ id: 'x', agent: 'work', deps: ['b'] }, { id: 'y', agent: 'work', deps: ['b'], when: 'all-succeeded' }], 'continue');
    expect(ended(continued.events, 'x')).toMatchObject({ type: 'task.completed' });
    expect(ended(continued.events, 'y')).toMatchObject({ type: 'task.skipped', because: 'b' });
  });
});
