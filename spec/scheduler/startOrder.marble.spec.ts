import { createScheduler, type DagEvent, defineAgent, defineDag, type SchedulerOptions, type TaskSpec } from '../../src';
import { inVirtualTime } from '../helpers';

/**
 * The order tasks start in when many runs share one scheduler: turns between runs, runs that
 * wait behind a full limit or agent (which the dispatcher passes over until it has room), a new
 * ready task of such a run, a heavy task's hold. Each expected sequence is worked out by hand
 * in its comment. `scripts/startOrderDiff.ts` compares thousands of random scenarios with
 * another checkout.
 */

interface Submitted {
  readonly runId: string;
  readonly tasks: TaskSpec[];
  readonly at?: number;
}

/** `at runId task` of each start, when `runs` are submitted in order to one scheduler in virtual time; each task's agent takes `frames[id]` frames (1 without). */
function starts(options: SchedulerOptions, runs: readonly Submitted[], frames: Readonly<Record<string, number>> = {}): string[] {
  const seen: string[] = [];
  inVirtualTime(({ cold }, ts) => {
    const marble = (id: string) => `${'-'.repeat(frames[id] ?? 1)}(x|)`;
    const scheduler = createScheduler({
      healthCheckIntervalMs: 0,
      scheduler: ts,
      maxConcurrency: 10,
      agents: { work: ({ id }) => cold(marble(id)), llm: defineAgent({ capacity: 1, run: ({ id }) => cold(marble(id)) }) },
      ...options,
    });
    const record = (e: DagEvent) => {
      if (e.type === 'task.started') seen.push(`${e.at} ${e.runId} ${e.taskId}`);
    };
    for (const { runId, tasks, at = 0 } of runs) {
      ts.schedule(() => scheduler.submit(defineDag({ id: runId, tasks }), { runId }).subscribe(record), at);
    }
  });
  return seen;
}

const onApi = (...ids: string[]): TaskSpec[] => ids.map((id) => ({ id, agent: 'work', limits: ['api'] }));

describe('the start order of many runs on one scheduler', () => {
  it('should take the runs in turn for one unit of a limit', () => {
    // api lets one task run; each takes 1 frame, and the run after the one that started last
    // gets the unit: r2, r3, r1. r1 ends at 4: the turn stays with the run after it, r2
    const order = starts({ limits: { api: { concurrency: 1 } } }, [
      { runId: 'r1', tasks: onApi('a', 'b') },
      { runId: 'r2', tasks: onApi('a', 'b') },
      { runId: 'r3', tasks: onApi('a', 'b') },
    ]);
    expect(order).toEqual(['0 r1 a', '1 r2 a', '2 r3 a', '3 r1 b', '4 r2 b', '5 r3 b']);
  });

  it('should take many runs in turn for one unit of a limit, as it passes over those waiting behind it', () => {
    // 20 runs of one 1-frame task each; api lets one run. Each start gives the turn to the run
    // after it, and each run ends before the next start, the turn moving down with the runs
    // after it: none is skipped, r1 to r20 in order
    const runs = Array.from({ length: 20 }, (_, n) => ({ runId: `r${n + 1}`, tasks: onApi('a') }));
    const order = starts({ limits: { api: { concurrency: 1 } } }, runs).map((line) => line.split(' ')[1]);
    expect(order).toEqual(runs.map((run) => run.runId));
  });

  it('should go on with the run after the last that started when that one ended, none skipped', () => {
    // r1 ends at 1 with its only task: of the runs left, [r2, r3], the turn stays with r2, the
    // run after r1 (runs ending before the turn once made it skip the next)
    const order = starts({ limits: { api: { concurrency: 1 } } }, [
      { runId: 'r1', tasks: onApi('a') },
      { runId: 'r2', tasks: onApi('a', 'b') },
      { runId: 'r3', tasks: onApi('a', 'b') },
    ]);
    expect(order).toEqual(['0 r1 a', '1 r2 a', '2 r3 a', '3 r2 b', '4 r3 b']);
  });

  it('should start at once a task that needs no limit, queued in a run that waits behind a full one', () => {
    // r1's hog holds api from 0 to 4; r2's wait needs api, and its prep (no limit) starts at 0;
    // when prep ends at 1, next is ready and starts then, while wait still waits for api (4)
    const order = starts(
      { limits: { api: { concurrency: 1 } } },
      [
        { runId: 'r1', tasks: onApi('hog') },
        {
          runId: 'r2',
          tasks: [...onApi('wait'), { id: 'prep', agent: 'work' }, { id: 'next', agent: 'work', deps: ['prep'] }],
        },
      ],
      { hog: 4 },
    );
    expect(order).toEqual(['0 r1 hog', '0 r2 prep', '1 r2 next', '4 r2 wait']);
  });

  it('should give a freed agent slot to the next run in turn, and a higher priority first within a run', () => {
    // llm runs one task at a time (2 frames each). At 0 r1 takes it (x), r2 and r3 wait for it.
    // r1 ends at 2: the turn is r2's, the run after it, and r2's `first` (priority 5) goes before
    // its `second`; at 4 r3's turn comes, and r2's `second` goes at 6
    const llm = (id: string, priority = 0): TaskSpec => ({ id, agent: 'llm', priority });
    const order = starts(
      {},
      [
        { runId: 'r1', tasks: [llm('x')] },
        { runId: 'r2', tasks: [llm('second'), llm('first', 5)] },
        { runId: 'r3', tasks: [llm('y')] },
      ],
      { x: 2, second: 2, first: 2, y: 2 },
    );
    expect(order).toEqual(['0 r1 x', '2 r2 first', '4 r3 y', '6 r2 second']);
  });

  it('should keep a heavy task of one run first in line for a limit that lighter tasks of other runs wait for', () => {
    // gpu has 2 units. At 0 r1's l1 takes one; r2's big (weight 2) does not fit and holds, so
    // r3's l2 must not take the other unit (it would keep big waiting). At 2 l1 ends and big
    // starts; at 4 big ends and r3 starts both of its tasks
    const gpu = (id: string, weight = 1): TaskSpec => ({ id, agent: 'work', limits: ['gpu'], weight });
    const order = starts(
      { limits: { gpu: { concurrency: 2 } } },
      [
        { runId: 'r1', tasks: [gpu('l1')] },
        { runId: 'r2', tasks: [gpu('big', 2)] },
        { runId: 'r3', tasks: [gpu('l2'), gpu('l3')] },
      ],
      { l1: 2, big: 2 },
    );
    expect(order).toEqual(['0 r1 l1', '2 r2 big', '4 r3 l2', '4 r3 l3']);
  });

  it('should give a run submitted later its turn after the runs that were there', () => {
    // api lets one task run (1 frame each); r3 comes at 1, while r1's a runs: r2 (next after r1)
    // goes at 1, r3 at 2, r1 at 3 (its b). r1 ends at 4: the turn is r2's, the run after it, whose
    // b goes at 4; r3's b goes last
    const order = starts({ limits: { api: { concurrency: 1 } } }, [
      { runId: 'r1', tasks: onApi('a', 'b') },
      { runId: 'r2', tasks: onApi('a', 'b') },
      { runId: 'r3', tasks: onApi('a', 'b'), at: 1 },
    ]);
    expect(order).toEqual(['0 r1 a', '1 r2 a', '2 r3 a', '3 r1 b', '4 r2 b', '5 r3 b']);
  });

  it('should time a run waiting behind a full limit with a rate window by the window a clock set back moved, as a look at it would', () => {
    // api lets 1 task run and start 1 per 100 ms. a1 starts at 100000 and runs 50 ms; b1 waits
    // for it. The clock goes back 50 ms at frame 5; c1's end (clock 99960) has the runs looked
    // at, which fits the window to the clock: its start counts from 99960. a1 ends at 100000,
    // and b1 may start once 100 ms passed since 99960: at 100060 (not 100100, as the window
    // left unfitted would say)
    const seen: string[] = [];
    inVirtualTime(({ cold }, ts) => {
      let offset = 100_000;
      const clock = { now: () => ts.now() + offset, schedule: ts.schedule.bind(ts) } as typeof ts;
      const frames: Readonly<Record<string, number>> = { a1: 50, c1: 10, c2: 10, b1: 5 };
      const scheduler = createScheduler({
        healthCheckIntervalMs: 0,
        scheduler: clock,
        limits: { api: { concurrency: 1, rate: { limit: 1, intervalMs: 100 } } },
        agents: { work: ({ id }) => cold(`${'-'.repeat(frames[id] ?? 1)}(x|)`) },
      });
      const record = (e: DagEvent) => e.type === 'task.started' && seen.push(`${e.at} ${e.taskId}`);
      scheduler.submit(defineDag({ id: 'A', tasks: onApi('a1') })).subscribe(record);
      scheduler.submit(defineDag({ id: 'B', tasks: onApi('b1') })).subscribe(record);
      const c = defineDag({
        id: 'C',
        tasks: [
          { id: 'c1', agent: 'work' },
          { id: 'c2', agent: 'work', deps: ['c1'] },
        ],
      });
      scheduler.submit(c).subscribe(record);
      ts.schedule(() => (offset -= 50), 5);
    });
    expect(seen).toEqual(['100000 a1', '100000 c1', '99960 c2', '100060 b1']);
  });
});
