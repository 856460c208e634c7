import type { Observable, Subscription } from 'rxjs';
import type { RunHelpers, TestScheduler } from 'rxjs/testing';
import { type Agent, type Dag, type DagEvent, defineDag, runDag, type SchedulerOptions } from '../../src';
import { inVirtualTime } from '../support/virtualTime';

/**
 * The runs the observability specs trace and measure, in virtual time: `a` fails once then
 * succeeds (retry), `b` times out (fails for good), `c` is skipped (it needs `b`), `d` runs
 * after `a`. Run to its end, its events are, by frame: 0 ready a b, started a b; 2 a failed
 * (retry); 4 b timed out, b failed, c skipped; 7 a retrying, a#2 started; 10 a completed, d
 * ready and started; 13 d completed, run failed.
 */
export const demoDag = defineDag({
  id: 'demo',
  tasks: [
    { id: 'a', agent: 'work', retry: { attempts: 2, backoffMs: 5 } },
    { id: 'b', agent: 'work', timeoutMs: 4 },
    { id: 'c', agent: 'work', deps: ['b'] },
    { id: 'd', agent: 'work', deps: ['a'] },
  ],
});

export function demoAgents({ cold }: RunHelpers): Record<string, Agent> {
  return {
    work: ({ id, attempt }) =>
      id === 'a' && attempt === 1 ? cold('--#', undefined, new Error('flaky')) : cold(id === 'b' ? '----------(x|)' : '---(x|)'),
  };
}

/** What a listener attaches to a run's events before it starts: its Subscription, ended after the run. */
export type Listener = (events$: Observable<DagEvent>, ts: TestScheduler) => Subscription;

export interface VirtualRunOptions {
  readonly dag?: Dag;
  readonly agents?: (helpers: RunHelpers) => Record<string, Agent>;
  readonly listen?: Listener;
  /** Unsubscribe the run at this frame (it ends `cancelled`). */
  readonly cancelAt?: number;
  /** Work to do at given frames, e.g. reading metrics mid-run. */
  readonly at?: Readonly<Record<number, () => void>>;
  readonly options?: SchedulerOptions;
}

/** Runs a DAG (the demo by default) in virtual time with a listener on its `events$`; returns every event. */
export function virtualRun({
  dag = demoDag,
  agents = demoAgents,
  listen,
  cancelAt,
  at = {},
  options = {},
}: VirtualRunOptions = {}): DagEvent[] {
  const seen: DagEvent[] = [];
  inVirtualTime((helpers, ts) => {
    const run = runDag(dag, { healthCheckIntervalMs: 0, runId: 'r1', scheduler: ts, agents: agents(helpers), ...options });
    run.events$.subscribe((event) => seen.push(event));
    const listening = listen?.(run.events$, ts);
    const running = run.subscribe();
    if (cancelAt !== undefined) ts.schedule(() => running.unsubscribe(), cancelAt);
    for (const [frame, work] of Object.entries(at)) ts.schedule(work, Number(frame));
    // after every frame the run needs: the listener sees all of it first
    ts.schedule(() => listening?.unsubscribe(), 1_000);
  });
  return seen;
}
