import {
  type DagEvent,
  defineDag,
  initialRunState,
  InvalidTransitionError,
  reduce,
  reduceAll,
  RunDraft,
  type RunState,
  selectTask,
  selectTasks,
} from '../../src';

// a -> b, a -> c, (b, c) -> d; e independent
const dag = defineDag({
  id: 'dag',
  tasks: [
    { id: 'a', agent: 'x' },
    { id: 'b', agent: 'x', deps: ['a'] },
    { id: 'c', agent: 'x', deps: ['a'] },
    { id: 'd', agent: 'x', deps: ['b', 'c'] },
    { id: 'e', agent: 'x' },
  ],
});

type Step = Record<string, unknown> & { type: DagEvent['type'] };
/** Events with `runId`, `seq` and `at` filled in, in order. */
function log(steps: readonly Step[], from = 1): DagEvent[] {
  return steps.map((step, k) => ({ runId: 'r', seq: from + k, at: 10 * (from + k), attempt: 1, ...step }) as unknown as DagEvent);
}
const created: Step = { type: 'dag.created', dagId: 'dag', taskCount: 5 };
const ready = (taskId: string, attempt = 1): Step => ({ type: 'task.ready', taskId, attempt });
const started = (taskId: string, attempt = 1): Step => ({ type: 'task.started', taskId, attempt, agent: 'x' });
const completed = (taskId: string, output?: unknown): Step => ({
  type: 'task.completed',
  taskId,
  durationMs: 1,
  ...(output === undefined ? {} : { output }),
});
const failed = (taskId: string, willRetry: boolean, attempt = 1): Step => ({
  type: 'task.failed',
  taskId,
  attempt,
  error: { name: 'Error', message: 'x' },
  severity: 'error',
  willRetry,
});

function stateAfter(steps: readonly Step[], policy?: 'skip-dependents' | 'fail-fast' | 'continue'): RunState {
  return log(steps).reduce(reduce, initialRunState(dag, 'r', policy));
}
function statuses(state: RunState): string {
  return selectTasks(state)
    .map((t) => `${t.id}:${t.status}`)
    .join(' ');
}

describe('reduce', () => {
  it.each<[string, Step[], string, Partial<RunState['counts']>]>([
    ['nothing before dag.created', [], 'a:pending b:pending c:pending d:pending e:pending', { pending: 5 }],
    ['a root made ready', [created, ready('a')], 'a:ready b:pending c:pending d:pending e:pending', { pending: 4, ready: 1 }],
    ['a started task', [created, ready('a'), started('a')], 'a:running b:pending c:pending d:pending e:pending', { running: 1 }],
    [
      'a completed task',
      [created, ready('a'), started('a'), completed('a')],
      'a:completed b:pending c:pending d:pending e:pending',
      { completed: 1, pending: 4 },
    ],
    [
      'a failure that will retry',
      [created, ready('a'), started('a'), failed('a', true)],
      'a:backoff b:pending c:pending d:pending e:pending',
      { backoff: 1 },
    ],
    [
      'a retry queued',
      [created, ready('a'), started('a'), failed('a', true), { type: 'task.retrying', taskId: 'a', attempt: 2 }],
      'a:ready b:pending c:pending d:pending e:pending',
      { ready: 1, backoff: 0 },
    ],
    [
      'a failure for good',
      [created, ready('a'), started('a'), failed('a', false)],
      'a:failed b:pending c:pending d:pending e:pending',
      { failed: 1 },
    ],
    [
      'skips after a failure',
      [created, ready('a'), started('a'), failed('a', false), { type: 'task.skipped', taskId: 'b', because: 'a' }],
      'a:failed b:skipped c:pending d:pending e:pending',
      { failed: 1, skipped: 1, pending: 3 },
    ],
    [
      'a cancelled running task',
      [created, ready('a'), started('a'), { type: 'task.cancelled', taskId: 'a' }],
      'a:cancelled b:pending c:pending d:pending e:pending',
      { cancelled: 1, running: 0 },
    ],
    [
      'informational events',
      [
        created,
        ready('a'),
        started('a'),
        { type: 'task.stuck', taskId: 'a', runningForMs: 5 },
        { type: 'health.checked', running: 1, ready: 0, pending: 4 },
      ],
      'a:running b:pending c:pending d:pending e:pending',
      { running: 1 },
    ],
  ])('should fold %s', (_, steps, expected, counts) => {
    const state = stateAfter(steps);
    expect(statuses(state)).toBe(expected);
    expect(state.counts).toMatchObject(counts);
    expect(state.seq).toBe(steps.length);
  });

  it('should count down remaining dependencies and keep outputs of completed tasks', () => {
    const state = stateAfter([created, ready('a'), started('a'), completed('a', { rows: 3 }), ready('b'), started('b'), completed('b')]);
    expect(selectTask(state, 'd')).toEqual({ id: 'd', status: 'pending', attempt: 0, remainingDeps: 1 });
    expect(selectTask(state, 'a')).toEqual({ id: 'a', status: 'completed', attempt: 1, remainingDeps: 0, output: { rows: 3 } });
  });

  it('should count a join of 300 dependencies exactly, and unblock it only after the last', () => {
    const parents = Array.from({ length: 300 }, (_, i) => `p${i}`);
    const wide = defineDag({
      id: 'wide',
      tasks: [...parents.map((id) => ({ id, agent: 'x' })), { id: 'join', agent: 'x', deps: parents }],
    });
    let draft = new RunDraft(initialRunState(wide, 'r'));
    let seq = 0;
    const apply = (step: Step) => draft.apply({ runId: 'r', seq: ++seq, at: seq, attempt: 1, ...step } as unknown as DagEvent);
    apply({ type: 'dag.created', dagId: 'wide', taskCount: 301 });
    const join = wide.taskIndex('join')!;
    const seen: number[] = [];
    const snapshots: RunState[] = [];
    for (const [k, id] of parents.entries()) {
      apply(ready(id));
      apply(started(id));
      apply(completed(id));
      const unblocked = draft.takeUnblocked();
      expect(unblocked).toEqual(k === parents.length - 1 ? [join] : []);
      if ([0, 44, 45, 46, 299].includes(k)) {
        const state = draft.finish();
        snapshots.push(state);
        seen.push(selectTask(state, 'join').remainingDeps);
        draft = new RunDraft(state); // the next events go on top of that snapshot
      }
    }
    expect(seen).toEqual([299, 255, 254, 253, 0]);
    // snapshots taken on the way never change afterwards
    expect(snapshots.map((state) => selectTask(state, 'join').remainingDeps)).toEqual([299, 255, 254, 253, 0]);
  });

  it('should keep counts right across the per-task table\'s chunks', () => {
    const n = 2_100;
    const tasks = Array.from({ length: n }, (_, i) => ({ id: `t${i}`, agent: 'x', deps: i === 0 ? [] : [`t${i - 1}`] }));
    const chain = defineDag({ id: 'chain', tasks });
    const state0 = initialRunState(chain, 'r');
    const steps: Step[] = [{ type: 'dag.created', dagId: 'chain', taskCount: n }];
    for (let i = 0; i < n; i++) steps.push(ready(`t${i}`), started(`t${i}`), completed(`t${i}`));
    const events = steps.map((step, k) => ({ runId: 'r', seq: k + 1, at: k, attempt: 1, ...step }) as unknown as DagEvent);
    const half = reduceAll(state0, events.slice(0, 1 + 3 * 1500));
    const done = reduceAll(half, events.slice(1 + 3 * 1500));
    expect(selectTask(half, 't1500').remainingDeps).toBe(0);
    expect(selectTask(half, 't1501').remainingDeps).toBe(1);
    expect(selectTask(half, 't1024').status).toBe('completed');
    expect(done.counts.completed).toBe(n);
    expect(selectTask(state0, 't2099').remainingDeps).toBe(1);
  });

  it('should let a draft read outputs completed before it was opened', () => {
    const state = stateAfter([created, ready('a'), started('a'), completed('a', 'kept')]);
    const draft = new RunDraft(state);
    expect(draft.outputOf(dag.taskIndex('a')!)).toBe('kept');
    expect(draft.statusOf(dag.taskIndex('a')!)).toBe(4);
  });

  it('should release dependents of a failed task only under the continue policy', () => {
    const steps = [created, ready('a'), started('a'), failed('a', false)];
    expect(selectTask(stateAfter(steps, 'skip-dependents'), 'b').remainingDeps).toBe(1);
    expect(selectTask(stateAfter(steps, 'continue'), 'b').remainingDeps).toBe(0);
  });

  it('should move the run through created, running and its outcome', () => {
    expect(stateAfter([]).status).toBe('created');
    expect(stateAfter([created]).status).toBe('running');
    const done = stateAfter([created, { type: 'dag.completed', outcome: 'cancelled', counts: {}, durationMs: 10 }]);
    expect(done).toMatchObject({ status: 'cancelled', startedAt: 10, endedAt: 20 });
  });

  it.each<[string, Step[], Step, string]>([
    ['starting a task that is not ready', [created], started('a'), 'task.started for task "a" in status pending (expected ready)'],
    [
      'completing a task twice',
      [created, ready('a'), started('a'), completed('a')],
      completed('a'),
      'in status completed (expected running)',
    ],
    ['an unknown task', [created], ready('zzz'), 'task.ready for unknown task "zzz"'],
    [
      'skipping a running task',
      [created, ready('a'), started('a')],
      { type: 'task.skipped', taskId: 'a', because: 'x' },
      'which is running',
    ],
    [
      'cancelling an ended task',
      [created, ready('a'), started('a'), completed('a')],
      { type: 'task.cancelled', taskId: 'a' },
      'which already ended completed',
    ],
    ['a second dag.created', [created], created, 'dag.created in a run that is running (expected created)'],
    [
      'events after dag.completed',
      [created, { type: 'dag.completed', outcome: 'succeeded', counts: {}, durationMs: 0 }],
      { type: 'health.checked', running: 0, ready: 0, pending: 0 },
      'in a run that is succeeded',
    ],
  ])('should refuse %s', (_, steps, next, message) => {
    const state = stateAfter(steps);
    const event = log([next], steps.length + 1)[0]!;
    expect(() => reduce(state, event)).toThrow(InvalidTransitionError);
    expect(() => reduce(state, event)).toThrow(message);
  });

  it('should refuse an event out of sequence or of another run', () => {
    const state = stateAfter([created]);
    expect(() => reduce(state, log([ready('a')], 5)[0]!)).toThrow('expected seq 2, got 5');
    expect(() => reduce(state, { ...log([ready('a')], 2)[0]!, runId: 'other' })).toThrow('event for run "other"');
  });

  it('should never change a state it was given', () => {
    const steps = [created, ready('a'), started('a'), completed('a', 'out'), ready('b'), ready('c'), started('b'), started('c')];
    const events = log(steps);
    const snapshots: RunState[] = [];
    const pictures: string[] = [];
    let state = initialRunState(dag, 'r');
    for (const event of events) {
      snapshots.push(state);
      pictures.push(JSON.stringify([selectTasks(state), state.counts, state.seq, state.status]));
      state = reduce(state, event);
    }
    snapshots.forEach((snapshot, k) =>
      expect(JSON.stringify([selectTasks(snapshot), snapshot.counts, snapshot.seq, snapshot.status])).toBe(pictures[k]),
    );
    expect(Object.isFrozen(state)).toBe(true);
    expect(Object.isFrozen(state.counts)).toBe(true);
  });

  it('should give the same state folding one event at a time or all at once', () => {
    const events = log([
      created,
      ready('a'),
      ready('e'),
      started('a'),
      started('e'),
      completed('a', 1),
      completed('e', 2),
      ready('b'),
      ready('c'),
    ]);
    const oneByOne = events.reduce(reduce, initialRunState(dag, 'r'));
    const batched = reduceAll(initialRunState(dag, 'r'), events);
    expect(selectTasks(batched)).toEqual(selectTasks(oneByOne));
    expect(batched.counts).toEqual(oneByOne.counts);
  });

  it('should share the initial per-task tables between runs of the same DAG', () => {
    expect(initialRunState(dag, 'r1').tasks).toBe(initialRunState(dag, 'r2').tasks);
  });
});
