import fc from 'fast-check';
import { type Dag, defineDag, type TaskSpec } from '../../src';
import { extendDag } from '../../src/dag/extendDag';
import { grownDag } from '../../src/dag/growDag';
import { dagSpecOf } from '../../src/dag/specOf';

const NONE_ENDED = { completed: () => false, ended: () => false };

/**
 * A DAG grown by spawned tasks from its own arrays (`grownDag`) is the DAG `defineDag` makes of
 * the grown spec: every index, the task objects and the id lookups, over random DAGs with every
 * kind of field, grown again and again; and tasks that make a cycle among themselves give no DAG
 * there, so that `extendDag` defines the grown spec and names the cycle.
 */

/** What `defineDag` makes of `dag` grown by `specs` spawned by `spawner`: the reference. */
function definedGrown(dag: Dag, spawner: number, specs: readonly TaskSpec[]): Dag {
  const spec = dagSpecOf(dag);
  const parent = dag.index.ids[spawner]!;
  const ids = specs.map((task) => task.id);
  const tasks = spec.tasks.map((task) => (task.deps?.includes(parent) ? { ...task, deps: [...task.deps, ...ids] } : task));
  return defineDag({ ...spec, tasks: [...tasks, ...specs.map((task) => ({ ...task, deps: [parent, ...(task.deps ?? [])] }))] });
}

/** The tasks that wait for `task`, directly or not. */
function descendants(dag: Dag, task: number): Set<number> {
  const found = new Set<number>();
  const { start, targets } = dag.index.dependents;
  const todo = [task];
  while (todo.length > 0) {
    const next = todo.pop()!;
    for (let e = start[next]!; e < start[next + 1]!; e++) {
      if (!found.has(targets[e]!)) todo.push(targets[e]!);
      found.add(targets[e]!);
    }
  }
  return found;
}

/** Every index of `dag` as plain values, `undefined` entries as such. */
function indexOf(dag: Dag) {
  const { index } = dag;
  const column = (values: ArrayLike<unknown> | undefined) =>
    values === undefined ? undefined : Array.from({ length: dag.size }, (_, i) => values[i]);
  return {
    size: dag.size,
    ids: [...index.ids],
    agents: [...index.agents],
    agentNames: [...index.agentNames],
    agentCodes: [...index.agentCodes],
    inputs: index.inputs.length === 0 ? [] : column(index.inputs),
    retries: column(index.retries),
    priority: [...index.priority],
    timeoutMs: [...index.timeoutMs],
    estimateMs: [...index.estimateMs],
    weight: column(index.weight),
    limits: column(index.limits),
    limitUnits: column(index.limitUnits),
    when: column(index.when),
    deps: [[...index.deps.start], [...index.deps.targets]],
    dependents: [[...index.dependents.start], [...index.dependents.targets]],
    inDegree: [...index.inDegree],
    order: [...index.topologicalOrder],
    rank: [...index.rank],
    roots: [...index.roots],
    lookups: index.ids.map((id) => dag.taskIndex(id)),
    tasks: dag.tasks,
  };
}

const fields = fc.record(
  {
    agent: fc.constantFrom('a', 'b', 'c'),
    input: fc.jsonValue({ maxDepth: 1 }),
    timeoutMs: fc.integer({ min: 1, max: 5000 }),
    priority: fc.integer({ min: -3, max: 3 }),
    estimateMs: fc.integer({ min: 0, max: 900 }),
    weight: fc.integer({ min: 1, max: 3 }),
    limits: fc.oneof(fc.constant(['api']), fc.constant({ api: 2, gpu: 1 })),
    when: fc.constantFrom('all-succeeded', 'all-done', 'none-failed'),
    retry: fc.record({ attempts: fc.integer({ min: 1, max: 3 }), backoffMs: fc.integer({ min: 0, max: 50 }) }),
  },
  { requiredKeys: [] },
);

/** A task of `prefix` + index, depending on some of the `before` ids. */
const task = (id: string, before: readonly string[]) =>
  fc
    .tuple(fields, fc.subarray([...before], { maxLength: Math.min(3, before.length) }))
    .map(([extra, deps]) => ({ id, agent: 'a', ...extra, ...(deps.length === 0 ? {} : { deps }) }) as TaskSpec);

const base = fc.integer({ min: 1, max: 12 }).chain((n) => {
  const ids = Array.from({ length: n }, (_, i) => `t${i}`);
  return fc.tuple(...ids.map((id, i) => task(id, ids.slice(0, i))));
});

describe('grownDag', () => {
  it('should make the DAG defineDag makes of the grown spec, spawn after spawn', () => {
    fc.assert(
      fc.property(
        base,
        fc.option(fc.record({ agent: fc.constant('a'), priority: fc.constant(1) }, { requiredKeys: [] }), { nil: undefined }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 3 }), fc.array(fc.nat(), { maxLength: 3 })), { minLength: 1, maxLength: 4 }),
        (tasks, defaults, spawns) => {
          let dag = defineDag({ id: 'grow', tasks, ...(defaults === undefined ? {} : { defaults }) });
          spawns.forEach(([at, count, picks], round) => {
            const spawner = at % dag.size;
            const ids = Array.from({ length: count }, (_, i) => `s${round}.${i}`);
            // deps on earlier siblings, on the spawner again, or on a task that may have completed (none that waits for the spawner)
            const waiting = descendants(dag, spawner);
            const done = dag.index.ids.filter((_, i) => i !== spawner && !waiting.has(i));
            const specs = ids.map((id, i) => {
              const choices = [...ids.slice(0, i), dag.index.ids[spawner]!, ...done];
              const deps = picks.map((pick) => choices[pick % choices.length]!);
              return {
                id,
                agent: ['a', 'd'][i % 2]!,
                ...(deps.length === 0 ? {} : { deps }),
                ...(i === 0 ? { weight: 2, limits: ['gpu'] } : {}),
              };
            });
            const fast = grownDag(
              dag,
              spawner,
              specs,
              (spec) => spec.deps ?? [],
              () => true,
            );
            const reference = definedGrown(dag, spawner, specs);
            expect(fast).toBeDefined();
            expect(indexOf(fast!)).toEqual(indexOf(reference));
            expect(fast!.taskIndex('nowhere')).toBeUndefined();
            dag = fast!;
          });
        },
      ),
      { numRuns: 150 },
    );
  });

  it('should give no DAG for spawned tasks that depend on each other in a cycle, and extendDag should name it', () => {
    const dag = defineDag({ id: 'cycle', tasks: [{ id: 'plan', agent: 'x' }] });
    const specs: TaskSpec[] = [
      { id: 'a', agent: 'x', deps: ['b'] },
      { id: 'b', agent: 'x', deps: ['a'] },
    ];
    expect(
      grownDag(
        dag,
        0,
        specs,
        (spec) => spec.deps ?? [],
        () => true,
      ),
    ).toBeUndefined();
    expect(() => extendDag(dag, 0, specs, NONE_ENDED)).toThrow(/cycle/);
  });

  it('should keep the lookups of a DAG grown past the size of its id table, one task at a time', () => {
    let dag = defineDag({ id: 'many', tasks: [{ id: 'root', agent: 'x' }] });
    for (let i = 0; i < 200; i++) dag = extendDag(dag, 0, [{ id: `child-${i}`, agent: 'x' }], NONE_ENDED);
    expect(dag.size).toBe(201);
    expect(Array.from({ length: 200 }, (_, i) => dag.taskIndex(`child-${i}`))).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(dag.taskIndex('root')).toBe(0);
  });
});
