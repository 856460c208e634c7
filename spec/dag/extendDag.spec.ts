import { type DagIssue, DagValidationError, defineDag, formatIssuePath, type TaskSpec } from '../../src';
import { extendDag, extendDagForRun } from '../../src/dag/extendDag';
import type { LimitSpec } from '../../src/scheduler/limits';
import { runIssues } from '../../src/scheduler/runCheck';

/** `plan` spawns; `done` has completed, `busy` has not. */
const dag = defineDag({
  id: 'grow',
  tasks: [
    { id: 'plan', agent: 'x' },
    { id: 'done', agent: 'x' },
    { id: 'busy', agent: 'x' },
  ],
});
/** Task 1 completed; nothing else ended. */
const completed = { completed: (task: number) => task === 1, ended: (task: number) => task === 1 };
/** Every task completed, or none ended. */
const allCompleted = { completed: () => true, ended: () => true };
const noneEnded = { completed: () => false, ended: () => false };

/** A spawn by `plan` checked as a run checks it: its agents among `agents`, its limits among `limits`. */
function spawnForRun(specs: readonly TaskSpec[], agents = { x: () => 1 }, limits: Record<string, LimitSpec> = {}) {
  return extendDagForRun(dag, 0, specs, completed, agents, (grown, fromTask) =>
    runIssues(grown, { agents, limits, maxConcurrency: 8 }, { fromTask, takesDefault: () => false }),
  );
}

function issuesOf(spawn: () => unknown): string[] {
  try {
    spawn();
  } catch (error) {
    if (error instanceof DagValidationError) return error.issues.map((i: DagIssue) => `${formatIssuePath(i.path)}: ${i.message}`);
    throw error;
  }
  throw new Error('expected a DagValidationError');
}

describe('extendDag', () => {
  it('should report every problem of a spawned task, not only its bad values', () => {
    const specs = [
      { id: 'done', timeoutMs: -1, deps: ['ghost', 'busy'], input: { at: new Date(0) }, colour: 'red' },
    ] as unknown as TaskSpec[];
    expect(issuesOf(() => extendDag(dag, 0, specs, completed))).toEqual([
      'spawn[0].timeoutMs: must be > 0 (got -1)',
      'spawn[0]: unknown field "colour"',
      expect.stringMatching(/^spawn\[0\]\.input: input is not JSON-safe: /),
      'spawn[0].agent: task "done" names no agent: set `agent` on the task or `defaults.agent`',
      'spawn[0].id: task id "done" is already used in this run',
      'spawn[0].deps[0]: spawned task "done" depends on "ghost", which is not a task of this run',
      'spawn[0].deps[1]: spawned task "done" depends on "busy", which has not completed (a spawned task may depend only on completed tasks and on tasks spawned with it)',
    ]);
  });

  it('should name the first of two spawned tasks with the same id, rather than the run', () => {
    const specs = [
      { id: 'twin', agent: 'x' },
      { id: 'twin', agent: 'x' },
      { id: 'twin', agent: 'x' },
    ] as TaskSpec[];
    expect(issuesOf(() => extendDag(dag, 0, specs, completed)).filter((issue) => issue.includes('twin'))).toEqual([
      'spawn[1].id: task id "twin" is given twice among the tasks this attempt spawns (also spawn[0])',
      'spawn[2].id: task id "twin" is given twice among the tasks this attempt spawns (also spawn[0])',
    ]);
  });

  it("should give spawned tasks the DAG's default limits and weight, and keep what earlier tasks have instead", () => {
    const limited = defineDag({
      id: 'limited',
      defaults: { agent: 'x', limits: ['api'], weight: 2 },
      tasks: [{ id: 'plan' }, { id: 'free', limits: [], weight: 1 }],
    });
    const grown = extendDag(limited, 0, [{ id: 'w1' }, { id: 'w2', limits: ['gpu'] }], allCompleted);
    expect(grown.tasks.map((task) => [task.id, task.weight, task.limits])).toEqual([
      ['plan', 2, ['api']],
      ['free', 1, []],
      ['w1', 2, ['api']],
      ['w2', 2, ['gpu']],
    ]);
  });

  it('should name the spawner in its message, whichever check refused the spawn', () => {
    const messageOf = (spawn: () => unknown) => {
      try {
        spawn();
      } catch (error) {
        return (error as DagValidationError).message.split('\n')[0];
      }
      return undefined;
    };
    const subject = 'the tasks "plan" spawned in DAG "grow" are invalid';
    expect(messageOf(() => extendDag(dag, 0, [], completed))).toBe(`${subject} (1 problem):`);
    expect(messageOf(() => extendDag(dag, 0, [{ id: 'done', agent: 'x' }], completed))).toBe(`${subject} (1 problem):`);
    expect(messageOf(() => spawnForRun([{ id: 'new', agent: 'gpt' }]))).toBe(`${subject} (1 problem):`);
    expect(messageOf(() => spawnForRun([{ id: 'done', agent: 'gpt' }]))).toBe(`${subject} (2 problems):`);
  });

  it('should report the problems of every spawned task, with the unknown agents among them', () => {
    const specs = [
      { id: 'a', agent: 'x', retry: 3 },
      { id: 'b', agent: 'gpt', deps: ['a', 'nope'] },
    ] as unknown as TaskSpec[];
    expect(issuesOf(() => spawnForRun(specs))).toEqual([
      'spawn[0].retry: expected a retry policy: an object with `attempts` (got 3; write { attempts: 4 } for the first attempt and 3 retries)',
      'spawn[1].deps[1]: spawned task "b" depends on "nope", which is not a task of this run',
      'spawn[1].agent: unknown agent "gpt" (used by "b"); known agents: "x"',
    ]);
  });

  it('should say every problem of a spawn at once: a duplicate or an unknown dependency does not hide a cycle, an unknown agent no unknown limit', () => {
    const specs: TaskSpec[] = [
      { id: 'y', agent: 'x' },
      { id: 'y', agent: 'x' },
      { id: 'c1', agent: 'x', deps: ['c2', 'ghost'] },
      { id: 'c2', agent: 'x', deps: ['c1'] },
      { id: 'w', agent: 'gpt' },
      { id: 'z', agent: 'x', limits: ['nolimit'] },
    ];
    expect(issuesOf(() => spawnForRun(specs))).toEqual([
      'spawn[1].id: task id "y" is given twice among the tasks this attempt spawns (also spawn[0])',
      'spawn[2].deps[1]: spawned task "c1" depends on "ghost", which is not a task of this run',
      'spawn[2].deps: cycle: c1 -> c2 -> c1 (each task depends on the next)',
      'spawn[4].agent: unknown agent "gpt" (used by "w"); known agents: "x"',
      'spawn[5].limits[0]: task "z" needs limit "nolimit", which is not declared; known limits: none',
    ]);
  });

  it('should say a dependency on a task that has not completed once, not also as the cycle it would make through the spawner', () => {
    const chain = defineDag({
      id: 'chain',
      tasks: [
        { id: 'plan', agent: 'x' },
        { id: 'report', agent: 'x', deps: ['plan'] },
      ],
    });
    // the spawner's dependents wait for what it spawns: `report` after `extra` after `report`
    expect(issuesOf(() => extendDag(chain, 0, [{ id: 'extra', agent: 'x', deps: ['report'] }], noneEnded))).toEqual([
      'spawn[0].deps[0]: spawned task "extra" depends on "report", which has not completed (a spawned task may depend only on completed tasks and on tasks spawned with it)',
    ]);
  });

  it('should point a self-dependency at its place in the task’s own deps, with or without other problems', () => {
    const selfOnly = issuesOf(() => extendDag(dag, 0, [{ id: 's', agent: 'x', deps: ['s'] }], completed));
    expect(selfOnly).toEqual([expect.stringMatching(/^spawn\[0\]\.deps\[0\]: /)]);
    const withGhosts = issuesOf(() => extendDag(dag, 0, [{ id: 's', agent: 'x', deps: ['g1', 'g2', 's'] }], completed));
    expect(withGhosts.map((issue) => issue.split(': ')[0])).toEqual(['spawn[0].deps[0]', 'spawn[0].deps[1]', 'spawn[0].deps[2]']);
    expect(withGhosts[2]).toBe(selfOnly[0]!.replace('deps[0]', 'deps[2]'));
  });

  it('should say a spawned dependency’s problem at its own place when an entry before it is not a string', () => {
    const specs = [{ id: 's', agent: 'x', deps: [1, 'zz'] }] as unknown as TaskSpec[];
    expect(issuesOf(() => extendDag(dag, 0, specs, completed))).toEqual([
      expect.stringMatching(/^spawn\[0\]\.deps\[0\]: expected a task id/),
      'spawn[0].deps[1]: spawned task "s" depends on "zz", which is not a task of this run',
    ]);
  });

  it('should name the unknown agents of a spawn whose tasks make no DAG (a cycle)', () => {
    expect(
      issuesOf(() =>
        spawnForRun([
          { id: 'c1', agent: 'gpt', deps: ['c2'] },
          { id: 'c2', agent: 'x', deps: ['c1'] },
        ]),
      ),
    ).toEqual([expect.stringMatching(/cycle/), 'spawn[0].agent: unknown agent "gpt" (used by "c1"); known agents: "x"']);
  });

  it('should refuse an any-failed task that depends on no task spawned with it (none can fail), as defineDag refuses one without dependencies', () => {
    const specs: TaskSpec[] = [
      { id: 'w1', agent: 'x' },
      { id: 'alert', agent: 'x', deps: ['w1'], when: 'any-failed' },
      { id: 'lonely', agent: 'x', when: 'any-failed' },
      { id: 'late', agent: 'x', deps: ['done', 'plan'], when: 'any-failed' },
    ];
    expect(issuesOf(() => extendDag(dag, 0, specs, completed))).toEqual([
      'spawn[2].when: spawned task "lonely" has `when: any-failed` but depends on no task spawned with it: a spawned task may depend only on tasks that completed (its spawner too) and on those spawned with it, so none of its dependencies can fail and it could never run',
      'spawn[3].when: spawned task "late" has `when: any-failed` but depends on no task spawned with it: a spawned task may depend only on tasks that completed (its spawner too) and on those spawned with it, so none of its dependencies can fail and it could never run',
    ]);
  });

  it('should still grow the DAG from valid specs', () => {
    const grown = spawnForRun([{ id: 'child', agent: 'x', deps: ['done'] }]);
    expect(grown.tasks.map((t) => [t.id, t.deps])).toEqual([
      ['plan', []],
      ['done', []],
      ['busy', []],
      ['child', ['plan', 'done']],
    ]);
  });
});
