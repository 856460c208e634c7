import { take } from 'rxjs';
import { createScheduler, type DagEvent, defineDag, runDag, selectTaskOutput, type RunState, type TaskContext } from '../../src';
import { inVirtualTime } from '../support/virtualTime';

/**
 * Minimal reproductions of core bugs the property suites found (each shrunk by fast-check, then
 * cut down by hand), kept as regression tests. The catalogue specs reproduce the bad-input ones.
 */

describe('core bugs found by the reliability suites', () => {
  it('should not crash the scheduler when a run is submitted in the frame of a pending health check', () => {
    const outcomes: string[] = [];
    inVirtualTime(({ cold }, ts) => {
      const scheduler = createScheduler({ scheduler: ts, healthCheckIntervalMs: 3, agents: { x: () => cold('----------(v|)') } });
      const dag = defineDag({ id: 'd', tasks: [{ id: 'a', agent: 'x' }] });
      const track = (id: string) => ({
        next: (e: DagEvent) => e.type === 'dag.completed' && outcomes.push(`${id} ${e.outcome}`),
        error: (e: unknown) => outcomes.push(`${id} errored: ${(e as Error).message}`),
      });
      scheduler.submit(dag, { runId: 'first' }).subscribe(track('first'));
      // the health tick at frame 3 is queued first, then this run's start arrives in the same pass
      ts.schedule(() => scheduler.submit(dag, { runId: 'second' }).subscribe(track('second')), 3);
    });
    expect(outcomes.sort()).toEqual(['first succeeded', 'second succeeded']);
  });

  it('should call no agent for a run whose subscriber left during its first pass (take, first, firstValueFrom)', () => {
    const called: string[] = [];
    inVirtualTime(({ cold }, ts) => {
      const dag = defineDag({
        id: 'd',
        tasks: [
          { id: 'a', agent: 'x' },
          { id: 'b', agent: 'x' },
        ],
      });
      runDag(dag, {
        scheduler: ts,
        healthCheckIntervalMs: 0,
        agents: {
          x: (ctx: TaskContext) => {
            called.push(ctx.id);
            return cold('--(v|)');
          },
        },
      })
        .pipe(take(1)) // dag.created, then unsubscribe
        .subscribe();
    });
    expect(called).toEqual([]);
  });

  it('should start nothing in any run once shutdown({ force: true }) was called', () => {
    const calls: string[] = [];
    let shutdownAt = Number.POSITIVE_INFINITY;
    inVirtualTime(({ cold }, ts) => {
      const scheduler = createScheduler({
        scheduler: ts,
        healthCheckIntervalMs: 0,
        maxConcurrency: 1,
        agents: {
          x: (ctx: TaskContext) => {
            calls.push(`${ctx.runId} at ${ts.now()}${ts.now() >= shutdownAt ? ' (after shutdown)' : ''}`);
            return cold('-----(v|)');
          },
        },
      });
      const dag = defineDag({ id: 'd', tasks: [{ id: 'a', agent: 'x' }] });
      scheduler.submit(dag, { runId: 'r0' }).subscribe();
      scheduler.submit(dag, { runId: 'r1' }).subscribe(); // waits for the only slot
      // r0's agent finishes in frame 5, just before the forced shutdown in the same frame
      ts.schedule(() => {
        shutdownAt = ts.now();
        void scheduler.shutdown({ force: true });
      }, 5);
    });
    expect(calls).toEqual(['r0 at 0']);
  });

  it('should give a dependency named __proto__ to its dependent as an own upstream key', () => {
    let upstream: Readonly<Record<string, unknown>> = {};
    inVirtualTime((_, ts) => {
      const dag = defineDag({
        id: 'd',
        tasks: [
          { id: '__proto__', agent: 'x' },
          { id: 'b', deps: ['__proto__'], agent: 'x' },
        ],
      });
      runDag(dag, {
        scheduler: ts,
        healthCheckIntervalMs: 0,
        agents: {
          x: (ctx: TaskContext) => {
            if (ctx.id === 'b') upstream = ctx.upstream;
            return { from: ctx.id };
          },
        },
      }).subscribe();
    });
    expect(Object.keys(upstream)).toEqual(['__proto__']);
    expect([Object.prototype, null]).toContain(Object.getPrototypeOf(upstream));
  });

  it('should not let an agent change an emitted event or a frozen state by mutating its output afterwards', () => {
    const output = { rows: [1] };
    let completed: DagEvent | undefined;
    let state: RunState | undefined;
    inVirtualTime((_, ts) => {
      const scheduler = createScheduler({ scheduler: ts, healthCheckIntervalMs: 0, agents: { x: () => output } });
      scheduler.state$.subscribe((snapshot) => (state = snapshot.runs.get('r') ?? state));
      scheduler.submit(defineDag({ id: 'd', tasks: [{ id: 'a', agent: 'x' }] }), { runId: 'r' }).subscribe((e) => {
        if (e.type === 'task.completed') completed = e;
      });
      ts.schedule(() => {
        try {
          output.rows.push(2); // the agent keeps using its object
        } catch {
          // a frozen output refuses the change: fine
        }
      }, 1);
    });
    expect(completed).toMatchObject({ output: { rows: [1] } });
    expect(selectTaskOutput(state!, 'a')).toEqual({ rows: [1] });
  });

  it("should apply the DAG's defaults to spawned tasks", () => {
    const events: DagEvent[] = [];
    inVirtualTime((_, ts) => {
      runDag(
        { id: 'd', defaults: { agent: 'x' }, tasks: [{ id: 'plan' }] },
        {
          scheduler: ts,
          runId: 'r',
          healthCheckIntervalMs: 0,
          agents: {
            x: (ctx: TaskContext) => {
              if (ctx.id === 'plan') ctx.spawn([{ id: 'step' }]); // no agent: defaults.agent applies, as for any task
              return ctx.id;
            },
          },
        },
      ).subscribe((e) => events.push(e));
    });
    expect(events.at(-1)).toMatchObject({ type: 'dag.completed', outcome: 'succeeded', counts: { total: 2, completed: 2 } });
  });
});
