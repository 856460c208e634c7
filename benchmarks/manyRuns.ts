import { lastValueFrom, merge } from 'rxjs';
import { createScheduler, defineDag } from '../src/index';
import { checkFlags, endOnFailure, integerOf } from './usage';

/**
 * `npm run bench:many-runs`: what dispatch costs when many runs wait behind one named limit.
 * `--runs N` runs (default 1000, 2000 too with `--runs 2000`) of 10 independent no-op tasks
 * each, submitted at once to one scheduler (maxConcurrency 8) whose limit `api` lets 4 run at
 * once; each size once, in this process. Prints wall time and CPU of all of them. Every end of
 * an attempt frees one unit of `api`: a dispatch that looks at every waiting run to find the
 * next task costs as many looks as runs, so the total grows with the square of the runs.
 *
 *   tsx benchmarks/manyRuns.ts [--runs N]
 */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  checkFlags(args, ['--runs'], 'benchmarks/manyRuns.ts');
  const at = args.indexOf('--runs');
  const sizes = at < 0 ? [500, 1000] : [integerOf('--runs', args[at + 1] ?? '')];
  for (const runs of sizes) {
    const scheduler = createScheduler({
      agents: { noop: () => Promise.resolve() },
      maxConcurrency: 8,
      limits: { api: { concurrency: 4 } },
    });
    const dags = Array.from({ length: runs }, (_, r) =>
      defineDag({ id: `d${r}`, tasks: Array.from({ length: 10 }, (_, i) => ({ id: `t${i}`, agent: 'noop', limits: ['api'] })) }),
    );
    const cpu = process.cpuUsage();
    const began = performance.now();
    await lastValueFrom(merge(...dags.map((dag) => scheduler.submit(dag))));
    const wallMs = performance.now() - began;
    const used = process.cpuUsage(cpu);
    await scheduler.shutdown();
    process.stdout.write(
      `${runs} runs × 10 tasks behind one limit: ${wallMs.toFixed(0)} ms wall, ${((used.user + used.system) / 1000).toFixed(0)} ms CPU\n`,
    );
  }
}

main().catch(endOnFailure('benchmarks/manyRuns.ts'));
