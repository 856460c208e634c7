import { filter, lastValueFrom } from 'rxjs';
import { isEvent, type TaskContext } from '../src/index';
import { loadRxdag, rxdagLibKind } from './executors/rxdagLib';
import { median } from './stats';
import { checkFlags, endOnFailure, integerOf } from './usage';

/**
 * `npm run bench:spawn`: what growing a running DAG costs. N no-op tasks without deps, each of
 * which spawns one child task as it runs (N spawns; the DAG grows from N to 2N tasks), with
 * `maxConcurrency` 64: the whole run's wall time, and per spawn. Each spawn grows the DAG, so the
 * run is quadratic in N: the per-spawn time grows with the DAG. Sizes run in this process one
 * after another (`--sizes`, default 1000,2000,4000), each `--runs` times (default 3, median),
 * after one warm-up run of the smallest. Set `RXDAG_BENCH_LIB=dist` to measure `dist/`.
 *
 *   tsx benchmarks/spawn.ts [--sizes 1000,2000,4000] [--runs N]
 */
async function main(argv: readonly string[]): Promise<void> {
  checkFlags(argv, ['--sizes', '--runs'], 'benchmarks/spawn.ts');
  const valueOf = (flag: string) => {
    const at = argv.indexOf(flag);
    return at < 0 ? undefined : argv[at + 1]!;
  };
  const sizes = (valueOf('--sizes') ?? '1000,2000,4000').split(',').map((size) => integerOf('--sizes', size));
  const runs = integerOf('--runs', valueOf('--runs') ?? '3');
  const lib = loadRxdag();
  const agents = {
    work: (task: TaskContext) => {
      if (!task.id.startsWith('child-')) task.spawn([{ id: `child-${task.id}`, agent: 'work' }]);
      return Promise.resolve();
    },
  };
  const runOf = async (size: number): Promise<number> => {
    const dag = lib.defineDag({ id: 'spawning', tasks: Array.from({ length: size }, (_, i) => ({ id: `t${i}`, agent: 'work' })) });
    const started = performance.now();
    const end = await lastValueFrom(
      lib.runDag(dag, { agents, maxConcurrency: 64, healthCheckIntervalMs: 0 }).pipe(filter(isEvent('dag.completed'))),
    );
    if (end.outcome !== 'succeeded' || end.counts.total !== 2 * size) throw new Error(`the run of ${size} tasks ended ${end.outcome}`);
    return performance.now() - started;
  };
  await runOf(Math.min(...sizes));
  console.log(`rxdag ${rxdagLibKind()}, ${runs} run(s) a size`);
  console.log('| tasks | spawns | run, ms (median) | per spawn, µs |');
  console.log('| ---: | ---: | ---: | ---: |');
  for (const size of sizes) {
    const times: number[] = [];
    for (let k = 0; k < runs; k++) times.push(await runOf(size));
    const ms = median(times);
    console.log(`| ${size} → ${2 * size} | ${size} | ${ms.toFixed(0)} | ${((1000 * ms) / size).toFixed(0)} |`);
  }
}

main(process.argv.slice(2)).catch(endOnFailure('bench:spawn'));
