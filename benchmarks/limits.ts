import { execFileSync } from 'node:child_process';
import { lastValueFrom } from 'rxjs';
import { generateDag, toDagSpec } from './dagGenerator';
import { loadRxdag } from './executors/rxdagLib';
import { median } from './stats';

/**
 * `npm run bench:limits`: what named limits cost a run. Layered 100k no-op tasks (seed 42,
 * maxConcurrency 64) without limits, and with every task naming a limit whose rate never binds,
 * each in a fresh child, interleaved, medians of N (`--runs N`, default 5). Target: the limited
 * run ≤ 1.2× the plain one. Set `RXDAG_BENCH_LIB=dist` to measure `dist/`.
 *
 *   tsx benchmarks/limits.ts [--runs N] [--size N]
 */

type Variant = 'plain' | 'limited';

async function child(variant: Variant, size: number): Promise<void> {
  const lib = loadRxdag();
  const spec = toDagSpec(generateDag({ shape: 'layered', size, seed: 42 }));
  const tasks = variant === 'limited' ? spec.tasks.map((task) => ({ ...task, limits: ['api'] })) : spec.tasks;
  const options = {
    agents: { noop: () => Promise.resolve() },
    maxConcurrency: 64,
    healthCheckIntervalMs: 0,
    ...(variant === 'limited' ? { limits: { api: { concurrency: 1_000_000, rate: { limit: 1_000_000_000, intervalMs: 1000 } } } } : {}),
  };
  const warm = lib.defineDag({ ...spec, tasks: tasks.slice(0, Math.min(10_000, size)).map((t) => ({ ...t, deps: (t.deps ?? []).filter((d) => Number(d.slice(1)) < 10_000) })) });
  for (let k = 0; k < 5; k++) await lastValueFrom(lib.runDag(warm, options));
  const dag = lib.defineDag({ ...spec, tasks });
  const start = process.hrtime.bigint();
  const last = await lastValueFrom(lib.runDag(dag, options));
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (last.type !== 'dag.completed' || last.outcome !== 'succeeded') throw new Error(`run did not succeed: ${JSON.stringify(last)}`);
  process.stdout.write(`${JSON.stringify({ usPerTask: (ms * 1000) / size })}\n`);
}

function main(): void {
  const args = process.argv.slice(2);
  const arg = (name: string, fallback: number) => {
    const at = args.indexOf(name);
    return at < 0 ? fallback : Number(args[at + 1]);
  };
  if (args[0] === '--child') {
    void child(args[1] as Variant, Number(args[2])).catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
    return;
  }
  const runs = arg('--runs', 5);
  const size = arg('--size', 100_000);
  const samples: Record<Variant, number[]> = { plain: [], limited: [] };
  for (let k = 0; k < runs; k++) {
    for (const variant of ['plain', 'limited'] as const) {
      const out = execFileSync(process.execPath, ['--import', 'tsx', __filename, '--child', variant, String(size)], { encoding: 'utf8', timeout: 300_000 });
      samples[variant].push((JSON.parse(out.trim().split('\n').pop()!) as { usPerTask: number }).usPerTask);
      process.stderr.write(`[${k + 1}/${runs}] ${variant}: ${samples[variant].at(-1)!.toFixed(2)} µs/task\n`);
    }
  }
  const plain = median(samples.plain);
  const limited = median(samples.limited);
  const ratio = limited / plain;
  console.log(`layered ${size} no-op tasks, medians of ${runs} fresh children (rxdag from ${process.env.RXDAG_BENCH_LIB === 'dist' ? 'dist/' : 'src/ through tsx'})`);
  console.log(`| variant | µs/task (median) | runs |\n| --- | ---: | --- |`);
  console.log(`| no limits | ${plain.toFixed(2)} | ${samples.plain.map((v) => v.toFixed(2)).join(', ')} |`);
  console.log(`| a rate limit that never binds, on every task | ${limited.toFixed(2)} | ${samples.limited.map((v) => v.toFixed(2)).join(', ')} |`);
  console.log(`ratio ${ratio.toFixed(2)}× (target ≤ 1.2×): ${ratio <= 1.2 ? 'met' : 'missed'}`);
}

main();
