import { filter, lastValueFrom } from 'rxjs';
import { isEvent, type TaskContext } from '../src/index';
import { loadRxdag, rxdagLibKind } from './executors/rxdagLib';
import { median } from './stats';
import { checkFlags, endOnFailure, integerOf, UsageError } from './usage';

/**
 * `npm run bench:spawn`: what growing a running DAG costs, by the shape of the growth (`--shape`):
 * - `children` (default): N no-op tasks without deps, each spawning one child as it runs (N
 *   spawns; the DAG grows from N to 2N tasks);
 * - `chain`: one task that spawns its successor, which spawns its own, N times over;
 * - `tree`: a root that spawns N planners at once, each of which spawns 9 leaves (N + 1 spawns,
 *   10N + 1 tasks).
 * With `maxConcurrency` 64: the whole run's wall time, and per spawn. Each spawn grows the DAG, so
 * the run is quadratic in N. Sizes run in this process one after another (`--sizes`, default
 * 1000,2000,4000), each `--runs` times (default 3, median), after one warm-up run of the smallest.
 * Set `RXDAG_BENCH_LIB=dist` to measure `dist/`.
 *
 *   tsx benchmarks/spawn.ts [--shape children|chain|tree] [--sizes 1000,2000,4000] [--runs N]
 */

/** A shape of growth: the DAG a run starts with, the agent that grows it, and what it ends with. */
interface Shape {
  readonly tasks: (n: number) => { id: string; agent: string }[];
  readonly spawn: (task: TaskContext, n: number) => void;
  readonly total: (n: number) => number;
  readonly spawns: (n: number) => number;
}

const SHAPES: Readonly<Record<string, Shape>> = {
  children: {
    tasks: (n) => Array.from({ length: n }, (_, i) => ({ id: `t${i}`, agent: 'work' })),
    spawn: (task) => (task.id.startsWith('child-') ? undefined : task.spawn([{ id: `child-${task.id}`, agent: 'work' }])),
    total: (n) => 2 * n,
    spawns: (n) => n,
  },
  chain: {
    tasks: () => [{ id: 's0', agent: 'work' }],
    spawn: (task, n) => {
      const k = Number(task.id.slice(1));
      if (k < n) task.spawn([{ id: `s${k + 1}`, agent: 'work' }]);
    },
    total: (n) => n + 1,
    spawns: (n) => n,
  },
  tree: {
    tasks: () => [{ id: 'root', agent: 'work' }],
    spawn: (task, n) => {
      if (task.id === 'root') task.spawn(Array.from({ length: n }, (_, i) => ({ id: `planner-${i}`, agent: 'work' })));
      else if (task.id.startsWith('planner-'))
        task.spawn(Array.from({ length: 9 }, (_, i) => ({ id: `leaf-${task.id}-${i}`, agent: 'work' })));
    },
    total: (n) => 10 * n + 1,
    spawns: (n) => n + 1,
  },
};

async function main(argv: readonly string[]): Promise<void> {
  checkFlags(argv, ['--shape', '--sizes', '--runs'], 'benchmarks/spawn.ts');
  const valueOf = (flag: string) => {
    const at = argv.indexOf(flag);
    return at < 0 ? undefined : argv[at + 1]!;
  };
  const shapeName = valueOf('--shape') ?? 'children';
  const shape = SHAPES[shapeName];
  if (shape === undefined || !Object.hasOwn(SHAPES, shapeName)) {
    throw new UsageError(`\`--shape\` takes one of ${Object.keys(SHAPES).join(', ')} (got ${shapeName})`);
  }
  const sizes = (valueOf('--sizes') ?? '1000,2000,4000').split(',').map((size) => integerOf('--sizes', size));
  const runs = integerOf('--runs', valueOf('--runs') ?? '3');
  const lib = loadRxdag();
  const runOf = async (n: number): Promise<number> => {
    const agents = { work: (task: TaskContext) => (shape.spawn(task, n), Promise.resolve()) };
    const dag = lib.defineDag({ id: 'spawning', tasks: shape.tasks(n) });
    const started = performance.now();
    const end = await lastValueFrom(
      lib.runDag(dag, { agents, maxConcurrency: 64, healthCheckIntervalMs: 0 }).pipe(filter(isEvent('dag.completed'))),
    );
    if (end.outcome !== 'succeeded' || end.counts.total !== shape.total(n))
      throw new Error(`the ${shapeName} run of ${n} ended ${end.outcome}`);
    return performance.now() - started;
  };
  await runOf(Math.min(...sizes));
  console.log(`rxdag ${rxdagLibKind()}, shape ${shapeName}, ${runs} run(s) a size`);
  console.log('| N | tasks at the end | spawns | run, ms (median) | per spawn, µs |');
  console.log('| ---: | ---: | ---: | ---: | ---: |');
  for (const n of sizes) {
    const times: number[] = [];
    for (let k = 0; k < runs; k++) times.push(await runOf(n));
    const ms = median(times);
    console.log(`| ${n} | ${shape.total(n)} | ${shape.spawns(n)} | ${ms.toFixed(0)} | ${((1000 * ms) / shape.spawns(n)).toFixed(0)} |`);
  }
}

main(process.argv.slice(2)).catch(endOnFailure('bench:spawn'));
