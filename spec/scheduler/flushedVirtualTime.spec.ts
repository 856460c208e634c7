import { map, VirtualTimeScheduler } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { type DagEvent, defineDag, runDag } from '../../src';

/**
 * Virtual time driven by `flush()`, outside `TestScheduler.run()`: the classic style of marble
 * tests, and a plain `VirtualTimeScheduler`. Each flush runs the whole run: nothing is left to
 * the real clock (no microtask, no asap action) after it returns.
 */
describe('a run on a virtual-time scheduler driven by flush()', () => {
  const dag = defineDag({
    id: 'flushed',
    tasks: [
      { id: 'fetch', agent: 'work' },
      { id: 'summarize', deps: ['fetch'], agent: 'work' },
    ],
  });

  it('should run whole within one TestScheduler.flush(), each event in its frame', () => {
    const ts = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    const work = ts.createColdObservable('-----(x|)', { x: 'x' });
    const short: Record<string, string> = { 'dag.created': 'c', 'task.ready': 'r', 'task.started': 's', 'task.completed': 'k', 'dag.completed': 'd' };
    const run$ = runDag(dag, { agents: { work: () => work }, scheduler: ts, healthCheckIntervalMs: 0 });
    ts.expectObservable(run$.pipe(map((e) => short[e.type] ?? e.type))).toBe('(crs)(krs)(kd|)', { c: 'c', r: 'r', s: 's', k: 'k', d: 'd' });
    ts.flush();
  });

  it('should time out and retry within one flush of a plain VirtualTimeScheduler', () => {
    const scheduler = new VirtualTimeScheduler();
    const events: DagEvent[] = [];
    const slow = defineDag({ id: 'slow', tasks: [{ id: 't', agent: 'hang', timeoutMs: 10, retry: { attempts: 2, backoffMs: 5 } }] });
    runDag(slow, { agents: { hang: () => new Promise(() => undefined) }, scheduler, healthCheckIntervalMs: 0 }).subscribe((e) => events.push(e));
    scheduler.flush();
    expect(events.filter((e) => e.type.startsWith('task.') || e.type === 'dag.completed').map((e) => `${e.at} ${e.type}`)).toEqual([
      '0 task.ready',
      '0 task.started',
      '10 task.timed-out',
      '10 task.failed',
      '15 task.retrying',
      '15 task.started',
      '25 task.timed-out',
      '25 task.failed',
      '25 dag.completed',
    ]);
  });
});
