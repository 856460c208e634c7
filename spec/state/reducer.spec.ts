import {
  type DagEvent,
  defineDag,
  events,
  initialRunState,
  InvalidTransitionError,
  reduce,
  reduceAll,
  runDag,
  type RunOutcome,
  type RunState,
  selectTask,
  selectTasks,
  type TaskSpec,
} from '../../src';
import { RunDraft } from '../../src/state/reducer';
import { lastValueFrom, toArray } from 'rxjs';

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

/** Where an event sits in its run's log. */
interface Stamp {
  readonly runId: string;
  readonly seq: number;
  readonly at: number;
}
/** An event waiting for its place in the log: built by the public factories once stamped. */
type Step = (stamp: Stamp) => DagEvent;

/** Events with `runId`, `seq` and `at` filled in, in order. */
function log(steps: readonly Step[], from = 1): DagEvent[] {
  return steps.map((step, k) => step({ runId: 'r', seq: from + k, at: 10 * (from + k) }));
}
const dagCreated =
  (dagId: string, taskCount: number): Step =>
  (s) =>
    events.dagCreated({ ...s, dagId, taskCount });
const created = dagCreated('dag', 5);
const ready =
  (taskId: string, attempt = 1): Step =>
  (s) =>
    events.taskReady({ ...s, taskId, attempt });
const started =
  (taskId: string, attempt = 1): Step =>
  (s) =>
    events.taskStarted({ ...s, taskId, attempt, agent: 'x' });
const completed =
  (taskId: string, output?: unknown, attempt = 1): Step =>
  (s) =>
    events.taskCompleted({ ...s, taskId, attempt, durationMs: 1, ...(output === undefined ? {} : { output }) });
const failed =
  (taskId: string, willRetry: boolean, attempt = 1): Step =>
  (s) =>
    events.taskFailed({ ...s, taskId, attempt, error: { name: 'Error', message: 'x' }, severity: 'error', willRetry });
const retrying =
  (taskId: string, attempt = 2): Step =>
  (s) =>
    events.taskRetrying({ ...s, taskId, attempt });
const spawned =
  (taskId: string, tasks: readonly TaskSpec[], attempt = 1): Step =>
  (s) =>
    events.tasksSpawned({ ...s, taskId, attempt, tasks });
const timedOut =
  (taskId: string, attempt = 1): Step =>
  (s) =>
    events.taskTimedOut({ ...s, taskId, attempt, timeoutMs: 5 });
const stuck =
  (taskId: string, runningForMs = 5, attempt = 1): Step =>
  (s) =>
    events.taskStuck({ ...s, taskId, attempt, runningForMs });
const skipped =
  (taskId: string, because: string, attempt = 1): Step =>
  (s) =>
    events.taskSkipped({ ...s, taskId, attempt, because });
const cancelled =
  (taskId: string, attempt = 1): Step =>
  (s) =>
    events.taskCancelled({ ...s, taskId, attempt });
const agentAvailable =
  (agent = 'x'): Step =>
  (s) =>
    events.agentAvailable({ ...s, agent });
const healthChecked =
  (running: number, readyCount: number, pending: number): Step =>
  (s) =>
    events.healthChecked({ ...s, running, ready: readyCount, pending });
const dagCompleted =
  (outcome: RunOutcome, durationMs = 0): Step =>
  (s) =>
    events.dagCompleted({
      ...s,
      outcome,
      durationMs,
      counts: { total: 5, completed: 0, failed: 0, skipped: 0, cancelled: 0 },
      failures: [],
    });
/** Every task of `dag` cancelled: what a cancelled run ends with. */
const allCancelled: readonly Step[] = ['a', 'b', 'c', 'd', 'e'].map((id) => cancelled(id));
/** Every task of `dag` run to completion, dependencies first. */
const allDone: readonly Step[] = ['a', 'e', 'b', 'c', 'd'].flatMap((id) => [ready(id), started(id), completed(id)]);
/** The same event stamped as if it belonged to another run. */
const ofRun =
  (runId: string, step: Step): Step =>
  (s) =>
    step({ ...s, runId });
/** The same event stamped with another `seq`. */
const atSeq =
  (seq: number, step: Step): Step =>
  (s) =>
    step({ ...s, seq });

function stateAfter(steps: readonly Step[], policy?: 'skip-dependents' | 'fail-fast' | 'continue'): RunState {
  return log(steps).reduce(reduce, initialRunState(dag, 'r', policy));
}
function statuses(state: RunState): string {
  return selectTasks(state)
    .map((t) => `${t.id}:${t.status}`)
    .join(' ');
}
/**
 * Applies `next` after `steps` and checks it is refused with an InvalidTransitionError whose
 * message contains `message`, alone and in a batch, leaving the state it was given unchanged.
 */
function refused(steps: readonly Step[], next: Step, message: string): { event: DagEvent; error: Error } {
  const state = stateAfter(steps);
  const event = log([next], steps.length + 1)[0]!;
  expect(() => reduce(state, event)).toThrow(InvalidTransitionError);
  expect(() => reduce(state, event)).toThrow(message);
  const error = thrownBy(() => reduce(state, event));
  expect(error).toBeInstanceOf(InvalidTransitionError);
  expect(error.name).toBe('InvalidTransitionError');
  expect(error.message).toContain(message);
  expect(() => reduceAll(state, [event])).toThrow(InvalidTransitionError);
  expect(state.seq).toBe(steps.length);
  expect(state.counts).toEqual(stateAfter(steps).counts);
  expect(statuses(state)).toBe(statuses(stateAfter(steps)));
  return { event, error };
}
function thrownBy(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`threw a non-Error: ${String(error)}`);
  }
  throw new Error('expected an error, but none was thrown');
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
      [created, ready('a'), started('a'), failed('a', true), retrying('a', 2)],
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
      [created, ready('a'), started('a'), failed('a', false), skipped('b', 'a')],
      'a:failed b:skipped c:pending d:pending e:pending',
      { failed: 1, skipped: 1, pending: 3 },
    ],
    [
      'a cancelled running task',
      [created, ready('a'), started('a'), cancelled('a')],
      'a:cancelled b:pending c:pending d:pending e:pending',
      { cancelled: 1, running: 0 },
    ],
    [
      'informational events',
      [created, ready('a'), started('a'), stuck('a', 5), healthChecked(1, 0, 4)],
      'a:running b:pending c:pending d:pending e:pending',
      { running: 1 },
    ],
    [
      'tasks spawned by a running task',
      [created, ready('a'), started('a'), spawned('a', [{ id: 's', agent: 'x' }])],
      'a:running b:pending c:pending d:pending e:pending s:pending',
      { running: 1, pending: 5 },
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
    const apply = (step: Step) => draft.apply(step({ runId: 'r', seq: ++seq, at: seq }));
    apply(dagCreated('wide', 301));
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

  it("should keep counts right across the per-task table's chunks", () => {
    const n = 2_100;
    const tasks = Array.from({ length: n }, (_, i) => ({ id: `t${i}`, agent: 'x', deps: i === 0 ? [] : [`t${i - 1}`] }));
    const chain = defineDag({ id: 'chain', tasks });
    const state0 = initialRunState(chain, 'r');
    const steps: Step[] = [dagCreated('chain', n)];
    for (let i = 0; i < n; i++) steps.push(ready(`t${i}`), started(`t${i}`), completed(`t${i}`));
    const all = steps.map((step, k) => step({ runId: 'r', seq: k + 1, at: k }));
    const half = reduceAll(state0, all.slice(0, 1 + 3 * 1500));
    const done = reduceAll(half, all.slice(1 + 3 * 1500));
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

  it('should carry a failure on through a skip it started, and not through a skip by a rule while nothing failed', () => {
    // f fails: s is skipped because of it; q is an any-failed task with nothing to answer
    const rules = defineDag({
      id: 'rules',
      tasks: [
        { id: 'f', agent: 'x' },
        { id: 'ok', agent: 'x' },
        { id: 's', agent: 'x', deps: ['f'] },
        { id: 'q', agent: 'x', deps: ['ok'], when: 'any-failed' },
        { id: 'over-s', agent: 'x', deps: ['s'], when: 'none-failed' },
        { id: 'alert-s', agent: 'x', deps: ['s'], when: 'any-failed' },
        { id: 'over-q', agent: 'x', deps: ['q'], when: 'none-failed' },
      ],
    });
    const steps = [
      dagCreated('rules', 7),
      ...['f', 'ok'].flatMap((id) => [ready(id), started(id)]),
      failed('f', false),
      completed('ok'),
      skipped('s', 'f'),
      skipped('q', 'ok'),
    ];
    const state = log(steps).reduce(reduce, initialRunState(rules, 'r'));
    const remaining = (id: string) => selectTask(state, id).remainingDeps;
    // none-failed waits for good behind a skip that carries a failure (the run skips it), not behind the other
    expect([remaining('over-s'), remaining('alert-s'), remaining('over-q')]).toEqual([1, 0, 0]);
    expect([selectTask(state, 's').status, selectTask(state, 'q').status]).toEqual(['skipped', 'skipped']);
    expect(state.counts).toMatchObject({ failed: 1, completed: 1, skipped: 2, pending: 3 });
  });

  it('should move the run through created, running and its outcome', () => {
    expect(stateAfter([]).status).toBe('created');
    expect(stateAfter([created]).status).toBe('running');
    const done = stateAfter([created, ...allCancelled, dagCompleted('cancelled', 60)]);
    expect(done).toMatchObject({ status: 'cancelled', startedAt: 10, endedAt: 70 });
  });

  const spec: TaskSpec = { id: 's', agent: 'x' };
  /** Every task event type, for an id the DAG does not have. */
  const forUnknownTask: readonly [string, Step][] = [
    ['task.ready', ready('zzz')],
    ['task.started', started('zzz')],
    ['task.completed', completed('zzz')],
    ['task.failed', failed('zzz', false)],
    ['task.retrying', retrying('zzz')],
    ['tasks.spawned', spawned('zzz', [spec])],
    ['task.timed-out', timedOut('zzz')],
    ['task.stuck', stuck('zzz')],
    ['task.skipped', skipped('zzz', 'a')],
    ['task.cancelled', cancelled('zzz')],
  ];

  /**
   * Every illegal transition: [what, events before, the refused event, what its message says].
   * Each must throw an InvalidTransitionError naming the event type and, for a task event, the task.
   */
  it.each<[string, Step[], Step, string]>([
    // task.ready for a task that is not pending
    ['making a ready task ready again', [created, ready('a')], ready('a'), 'task.ready for task "a" in status ready (expected pending)'],
    [
      'making a completed task ready',
      [created, ready('a'), started('a'), completed('a')],
      ready('a'),
      'task.ready for task "a" in status completed (expected pending)',
    ],
    // task.ready for a task whose dependencies have not all ended as its rule needs
    [
      'making a task ready before its dependency completed',
      [created],
      ready('b'),
      'task.ready for task "b", which waits for a dependency that has not ended as its rule needs',
    ],
    [
      'making a task ready when one of its two dependencies completed',
      [created, ready('a'), started('a'), completed('a'), ready('b'), started('b'), completed('b')],
      ready('d'),
      'task.ready for task "d", which waits for a dependency that has not ended as its rule needs',
    ],
    [
      'making a join ready before any dependency ended',
      [created],
      ready('d'),
      'task.ready for task "d", which waits for 2 dependencies that have not',
    ],
    // an event of a type no version of rxdag writes (a damaged record, or one of a newer version)
    [
      'an event of an unknown type',
      [created],
      (s) => ({ ...s, type: 'task.exploded' }) as unknown as DagEvent,
      '"task.exploded" is not an event type (written by a later rxdag?)',
    ],
    // task.started for a task that is not ready
    ['starting a task that is not ready', [created], started('a'), 'task.started for task "a" in status pending (expected ready)'],
    [
      'starting a running task again',
      [created, ready('a'), started('a')],
      started('a'),
      'task.started for task "a" in status running (expected ready)',
    ],
    // task.completed / task.failed for a task that is not running
    [
      'completing a task twice',
      [created, ready('a'), started('a'), completed('a')],
      completed('a'),
      'in status completed (expected running)',
    ],
    ['completing a ready task', [created, ready('a')], completed('a'), 'task.completed for task "a" in status ready (expected running)'],
    [
      'completing another attempt than the one running',
      [created, ready('a'), started('a')],
      completed('a', undefined, 5),
      'task.completed for task "a" attempt 5 (expected attempt 1)',
    ],
    [
      'starting another attempt than the one ready',
      [created, ready('a')],
      started('a', 2),
      'task.started for task "a" attempt 2 (expected attempt 1)',
    ],
    [
      'retrying as another attempt than the next one',
      [created, ready('a'), started('a'), failed('a', true)],
      retrying('a', 7),
      'task.retrying for task "a" attempt 7 (expected attempt 2)',
    ],
    [
      'timing out another attempt than the one running',
      [created, ready('a'), started('a')],
      timedOut('a', 3),
      'task.timed-out for task "a" attempt 3 (expected attempt 1)',
    ],
    [
      'cancelling another attempt than the one running',
      [created, ready('a'), started('a')],
      cancelled('a', 5),
      'task.cancelled for task "a" attempt 5 (expected attempt 1)',
    ],
    [
      'readying a task as another attempt than its first (past what the task table holds)',
      [created],
      ready('a', 5000),
      'task.ready for task "a" attempt 5000 (expected attempt 1)',
    ],
    [
      'cancelling a pending task as another attempt than 1',
      [created],
      cancelled('a', 7),
      'task.cancelled for task "a" attempt 7 (expected attempt 1)',
    ],
    [
      'cancelling a task in backoff as another attempt than the one that failed',
      [created, ready('a'), started('a'), failed('a', true)],
      cancelled('a', 2),
      'task.cancelled for task "a" attempt 2 (expected attempt 1)',
    ],
    [
      'skipping a pending task as another attempt than 1',
      [created],
      skipped('a', 'b', 0),
      'task.skipped for task "a" attempt 0 (expected attempt 1)',
    ],
    [
      'failing an attempt after the one running',
      [created, ready('a'), started('a'), failed('a', true), retrying('a'), started('a', 2)],
      failed('a', false, 1),
      'task.failed for task "a" attempt 1 (expected attempt 2)',
    ],
    ['failing a ready task', [created, ready('a')], failed('a', false), 'task.failed for task "a" in status ready (expected running)'],
    [
      'failing a task in backoff',
      [created, ready('a'), started('a'), failed('a', true)],
      failed('a', false),
      'task.failed for task "a" in status backoff (expected running)',
    ],
    // task.retrying for a task that is not in backoff
    [
      'retrying a running task',
      [created, ready('a'), started('a')],
      retrying('a'),
      'task.retrying for task "a" in status running (expected backoff)',
    ],
    [
      'retrying a task that failed for good',
      [created, ready('a'), started('a'), failed('a', false)],
      retrying('a'),
      'task.retrying for task "a" in status failed (expected backoff)',
    ],
    // tasks.spawned from a task that is not running
    ['spawning from a ready task', [created, ready('a')], spawned('a', [spec]), 'tasks.spawned by task "a", which is not running'],
    [
      'spawning from a completed task',
      [created, ready('a'), started('a'), completed('a')],
      spawned('a', [spec]),
      'tasks.spawned by task "a", which is not running',
    ],
    [
      'spawning a task whose id the run already has',
      [created, ready('a'), started('a')],
      spawned('a', [{ id: 'b', agent: 'x' }]),
      'tasks.spawned by "a" is invalid',
    ],
    // task.timed-out and task.stuck for a task that is not running, and for an unknown task
    ['a time-out of a ready task', [created, ready('a')], timedOut('a'), 'task.timed-out for task "a", which is not running'],
    [
      'a time-out of a completed task',
      [created, ready('a'), started('a'), completed('a')],
      timedOut('a'),
      'task.timed-out for task "a", which is not running',
    ],
    ['a stuck report of a pending task', [created], stuck('a'), 'task.stuck for task "a", which is not running'],
    [
      'a stuck report of a task in backoff',
      [created, ready('a'), started('a'), failed('a', true)],
      stuck('a'),
      'task.stuck for task "a", which is not running',
    ],
    // task.skipped for a running task
    ['skipping a running task', [created, ready('a'), started('a')], skipped('a', 'x'), 'which is running'],
    // task.skipped / task.cancelled for a task that already ended
    [
      'skipping a completed task',
      [created, ready('a'), started('a'), completed('a')],
      skipped('a', 'x'),
      'task.skipped for task "a", which already ended completed',
    ],
    [
      'skipping a task twice',
      [created, ready('a'), started('a'), failed('a', false), skipped('b', 'a')],
      skipped('b', 'a'),
      'task.skipped for task "b", which already ended skipped',
    ],
    ['cancelling an ended task', [created, ready('a'), started('a'), completed('a')], cancelled('a'), 'which already ended completed'],
    [
      'cancelling a failed task',
      [created, ready('a'), started('a'), failed('a', false)],
      cancelled('a'),
      'task.cancelled for task "a", which already ended failed',
    ],
    ['cancelling a task twice', [created, cancelled('e')], cancelled('e'), 'task.cancelled for task "e", which already ended cancelled'],
    // agent.available and health.checked outside a running run
    ['agent.available before dag.created', [], agentAvailable(), 'agent.available in a run that is created (expected running)'],
    ['health.checked before dag.created', [], healthChecked(0, 0, 5), 'health.checked in a run that is created (expected running)'],
    [
      'agent.available after dag.completed',
      [created, ...allCancelled, dagCompleted('failed')],
      agentAvailable(),
      'agent.available in a run that is failed (expected running)',
    ],
    ['events after dag.completed', [created, ...allDone, dagCompleted('succeeded')], healthChecked(0, 0, 0), 'in a run that is succeeded'],
    [
      'a task event after dag.completed',
      [created, ...allCancelled, dagCompleted('cancelled')],
      ready('a'),
      'task.ready for task "a" in a run that is cancelled (expected running)',
    ],
    ['a task event before dag.created', [], ready('a'), 'task.ready for task "a" in a run that is created (expected running)'],
    [
      'dag.completed while tasks have not ended',
      [created, ready('a'), started('a'), completed('a')],
      dagCompleted('succeeded'),
      'dag.completed while 4 tasks have not ended',
    ],
    [
      'dag.completed succeeded after a failure',
      [
        created,
        ready('a'),
        started('a'),
        failed('a', false),
        ...['b', 'c', 'd'].map((id) => skipped(id, 'a')),
        ready('e'),
        started('e'),
        completed('e'),
      ],
      dagCompleted('succeeded'),
      'dag.completed says succeeded, but 1 task(s) failed and 0 were cancelled',
    ],
    [
      'dag.completed succeeded after a cancellation',
      [created, ...allDone.slice(0, 6), ...['b', 'c', 'd'].map((id) => cancelled(id))],
      dagCompleted('succeeded'),
      'dag.completed says succeeded, but 0 task(s) failed and 3 were cancelled',
    ],
    [
      'an unknown event type after dag.completed',
      [created, ...allCancelled, dagCompleted('cancelled')],
      (st) => ({ ...healthChecked(0, 0, 0)(st), type: 'run.exploded' }) as unknown as DagEvent,
      '"run.exploded" is not an event type (written by a later rxdag?)',
    ],
    // the run's own lifecycle
    ['a second dag.created', [created], created, 'dag.created in a run that is running (expected created)'],
    ['dag.completed before dag.created', [], dagCompleted('succeeded'), 'dag.completed in a run that is created (expected running)'],
    [
      'a second dag.completed',
      [created, ...allCancelled, dagCompleted('cancelled')],
      dagCompleted('succeeded'),
      'dag.completed in a run that is cancelled (expected running)',
    ],
    // an event for an unknown task id, of every task event type
    ...forUnknownTask.map(([type, step]): [string, Step[], Step, string] => [
      `${type} for an unknown task`,
      [created],
      step,
      `${type} for unknown task "zzz"`,
    ]),
  ])('should refuse %s', (_, steps, next, message) => {
    const { event, error } = refused(steps, next, message);
    expect(error.message).toContain(event.type);
    if ('taskId' in event) expect(error.message).toContain(`"${event.taskId}"`);
  });

  it.each<[string, Step[], Step, string]>([
    ['an event of another run', [created], ofRun('other', ready('a')), 'run "r": task.ready for task "a" belongs to run "other"'],
    ['an event out of sequence (ahead)', [created], atSeq(5, ready('a')), 'run "r": task.ready for task "a" has seq 5, expected 2'],
    [
      'an event out of sequence (repeated)',
      [created, ready('a')],
      atSeq(2, started('a')),
      'run "r": task.started for task "a" has seq 2, expected 3',
    ],
    ['an event out of sequence before dag.created', [], atSeq(2, created), 'run "r": dag.created has seq 2, expected 1'],
  ])('should refuse %s, naming the run, the event and its task', (_, steps, next, message) => {
    const { event, error } = refused(steps, next, message);
    expect(error.message).toContain(event.type);
    if ('taskId' in event) expect(error.message).toContain(`"${event.taskId}"`);
  });

  it('should refuse an event out of sequence or of another run', () => {
    const state = stateAfter([created]);
    expect(() => reduce(state, log([ready('a')], 5)[0]!)).toThrow('has seq 5, expected 2');
    expect(() => reduce(state, ofRun('other', ready('a'))({ runId: 'r', seq: 2, at: 20 }))).toThrow('belongs to run "other"');
  });

  it('should never change a state it was given', () => {
    const steps = [created, ready('a'), started('a'), completed('a', 'out'), ready('b'), ready('c'), started('b'), started('c')];
    const applied = log(steps);
    const snapshots: RunState[] = [];
    const pictures: string[] = [];
    let state = initialRunState(dag, 'r');
    for (const event of applied) {
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
    const applied = log([
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
    const oneByOne = applied.reduce(reduce, initialRunState(dag, 'r'));
    const batched = reduceAll(initialRunState(dag, 'r'), applied);
    expect(selectTasks(batched)).toEqual(selectTasks(oneByOne));
    expect(batched.counts).toEqual(oneByOne.counts);
  });

  it('should share the initial per-task tables between runs of the same DAG', () => {
    expect(initialRunState(dag, 'r1').tasks).toBe(initialRunState(dag, 'r2').tasks);
  });
});

describe("the run's failure policy, from its dag.created", () => {
  const chain = defineDag({
    id: 'c',
    tasks: [
      { id: 'a', agent: 'bad', retry: { attempts: 1 } },
      { id: 'b', agent: 'ok', deps: ['a'] },
    ],
  });

  it("should fold the events of a run that went on past a failure ('continue') without being told the policy again", async () => {
    const run = await lastValueFrom(
      runDag(chain, {
        agents: {
          bad: () => {
            throw new Error('x');
          },
          ok: () => 1,
        },
        failurePolicy: 'continue',
      }).pipe(toArray()),
    );
    expect(run[0]).toMatchObject({ type: 'dag.created', failurePolicy: 'continue' });
    const state = reduceAll(initialRunState(chain, run[0]!.runId), run);
    expect(state.failurePolicy).toBe('continue');
    expect(selectTasks(state).map((task) => [task.id, task.status])).toEqual([
      ['a', 'failed'],
      ['b', 'completed'],
    ]);
  });

  it('should refuse a dag.created with a policy that is not one', () => {
    const created = {
      type: 'dag.created',
      runId: 'r',
      seq: 1,
      at: 0,
      dagId: 'c',
      taskCount: 2,
      failurePolicy: 'ignore',
    } as unknown as DagEvent;
    expect(() => reduce(initialRunState(chain, 'r'), created)).toThrow(InvalidTransitionError);
    expect(() => reduce(initialRunState(chain, 'r'), created)).toThrow(
      /dag\.created with failurePolicy "ignore" \(expected one of skip-dependents, fail-fast, continue\)/,
    );
  });
});
