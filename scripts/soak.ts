/**
 * Soak test: streams a million tasks through one long-lived scheduler, as many DAGs submitted
 * one after another with a few always in flight, and reports memory over time. A scheduler
 * that keeps anything per run or per task after the run ended shows it here as a heap that
 * keeps growing.
 *
 *   npx tsx scripts/soak.ts [--tasks 1000000] [--dag-size 1000] [--in-flight 8] [--concurrency 64]
 *                           [--cancel-every 10] [--report-every 50000] [--json soak.json]
 *
 * Every `--cancel-every`-th run is cancelled midway (its subscriber unsubscribes after a few
 * hundred events), so the cancellation path is soaked too; its tasks count as streamed.
 *
 * Heap figures are taken after a full GC (V8's gc is exposed at start-up, no flag needed).
 * Exits 1 when a run misbehaves (no dag.completed, wrong counts) or the heap after the last
 * run is more than `--max-growth-mb` (default 32) above the heap after the first batch.
 */
import { writeFileSync } from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';
import { take } from 'rxjs';
import { type Agent, createScheduler, type DagSpec, defineDag } from '../src';

interface SoakOptions {
  readonly tasks: number;
  readonly dagSize: number;
  readonly inFlight: number;
  readonly concurrency: number;
  readonly cancelEvery: number;
  readonly reportEvery: number;
  readonly maxGrowthMb: number;
  readonly json: string | undefined;
}

function parseArgs(argv: readonly string[]): SoakOptions {
  const value = (flag: string, fallback: number): number => {
    const i = argv.indexOf(flag);
    if (i < 0) return fallback;
    const n = Number(argv[i + 1]);
    if (!Number.isFinite(n) || n <= 0) throw new TypeError(`${flag} must be a positive number (got ${JSON.stringify(argv[i + 1])})`);
    return n;
  };
  const json = argv.indexOf('--json');
  return {
    tasks: value('--tasks', 1_000_000),
    dagSize: value('--dag-size', 1_000),
    inFlight: value('--in-flight', 8),
    concurrency: value('--concurrency', 64),
    cancelEvery: value('--cancel-every', 10),
    reportEvery: value('--report-every', 50_000),
    maxGrowthMb: value('--max-growth-mb', 32),
    json: json >= 0 ? argv[json + 1] : undefined,
  };
}

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** A layered DAG: each task depends on up to two tasks of the layer before. */
function layered(size: number, seed: number): DagSpec {
  const width = 10 + (seed % 40);
  return {
    id: `soak-${seed}`,
    tasks: Array.from({ length: size }, (_, i) => {
      const layer = Math.floor(i / width);
      const previous = (layer - 1) * width;
      const deps =
        layer === 0 ? [] : [...new Set([previous + ((i * 7 + seed) % width), previous + ((i * 13 + seed) % width)])].map((d) => `t${d}`);
      // 1 task in 100 fails its first attempt, then retries at once
      const flaky = (i * 31 + seed) % 100 === 0;
      return { id: `t${i}`, deps, agent: flaky ? 'flaky' : i % 25 === 0 ? 'async' : 'sync', ...(flaky ? { retry: { attempts: 2 } } : {}) };
    }),
  };
}

const agents: Record<string, Agent> = {
  sync: ({ id }) => id.length,
  async: async ({ attempt }) => attempt,
  flaky: ({ attempt }) => {
    if (attempt === 1) throw new Error('transient');
    return attempt;
  },
};

interface Sample {
  readonly tasks: number;
  readonly runs: number;
  readonly seconds: number;
  readonly tasksPerSecond: number;
  readonly heapMb: number;
  readonly rssMb: number;
}

const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  const runsNeeded = Math.ceil(options.tasks / options.dagSize);
  // a handful of DAG shapes, defined once and run many times (as a long-lived service would)
  const dags = Array.from({ length: 16 }, (_, seed) => defineDag(layered(options.dagSize, seed)));
  const scheduler = createScheduler({ agents, maxConcurrency: options.concurrency, healthCheckIntervalMs: 1_000 });
  const problems: string[] = [];
  const samples: Sample[] = [];
  let tasksDone = 0;
  let runsDone = 0;
  let submitted = 0;
  let nextReport = options.reportEvery;
  const started = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;

  const sample = () => {
    gc();
    const { heapUsed, rss } = process.memoryUsage();
    const s: Sample = {
      tasks: tasksDone,
      runs: runsDone,
      seconds: Math.round(seconds() * 10) / 10,
      tasksPerSecond: Math.round(tasksDone / seconds()),
      heapMb: mb(heapUsed),
      rssMb: mb(rss),
    };
    samples.push(s);
    process.stdout.write(
      `${String(s.tasks).padStart(9)} tasks  ${String(s.runs).padStart(5)} runs  ${s.seconds.toFixed(1).padStart(7)} s  ${String(s.tasksPerSecond).padStart(7)} tasks/s  heap ${s.heapMb.toFixed(1).padStart(6)} MB  rss ${s.rssMb.toFixed(1).padStart(6)} MB\n`,
    );
  };

  process.stdout.write(
    `soak: ${options.tasks.toLocaleString('en')} tasks as ${runsNeeded} runs of ${options.dagSize} tasks, ${options.inFlight} in flight, maxConcurrency ${options.concurrency}, every ${options.cancelEvery}th run cancelled midway\n`,
  );
  sample();
  await new Promise<void>((resolve) => {
    const submitNext = () => {
      if (submitted >= runsNeeded) {
        if (runsDone === runsNeeded) resolve();
        return;
      }
      const dag = dags[submitted % dags.length]!;
      submitted++;
      const cancelled = submitted % options.cancelEvery === 0;
      const run = scheduler.submit(dag);
      // the run's own view shows its dag.completed even when its subscriber has left
      const watch = run.events$.subscribe((event) => {
        if (event.type !== 'dag.completed') return;
        watch.unsubscribe();
        const expected = cancelled ? 'cancelled' : 'succeeded';
        const { total, completed, failed, skipped, cancelled: cancelledTasks } = event.counts;
        if (event.outcome !== expected || total !== dag.tasks.length || completed + failed + skipped + cancelledTasks !== total) {
          problems.push(`a run of ${dag.id} ended ${event.outcome} (expected ${expected}) with ${JSON.stringify(event.counts)}`);
        }
        runsDone++;
        tasksDone += total;
        if (tasksDone >= nextReport) {
          nextReport += options.reportEvery;
          sample();
        }
        // submit from a fresh task, as independent clients would
        setImmediate(submitNext);
      });
      (cancelled ? run.pipe(take(300 + (submitted % 400))) : run).subscribe({
        error: (error: unknown) => {
          problems.push(`run ${submitted} errored: ${String(error)}`);
          resolve();
        },
      });
    };
    for (let i = 0; i < options.inFlight; i++) submitNext();
  });
  await scheduler.shutdown();
  if (samples[samples.length - 1]!.tasks !== tasksDone) sample();

  const first = samples.find((s) => s.tasks > 0) ?? samples[0]!;
  const last = samples[samples.length - 1]!;
  const growth = Math.round((last.heapMb - first.heapMb) * 10) / 10;
  const peak = Math.max(...samples.map((s) => s.heapMb));
  process.stdout.write(
    `done: ${tasksDone.toLocaleString('en')} tasks in ${runsDone} runs, ${last.seconds} s (${last.tasksPerSecond} tasks/s); heap after GC ${first.heapMb} MB after the first ${first.tasks.toLocaleString('en')} tasks, ${last.heapMb} MB at the end (growth ${growth} MB, peak ${peak} MB)\n`,
  );
  if (options.json !== undefined)
    writeFileSync(options.json, `${JSON.stringify({ options, samples, growthMb: growth, peakHeapMb: peak, problems }, null, 2)}\n`);
  for (const problem of problems.slice(0, 20)) process.stderr.write(`soak: ${problem}\n`);
  if (growth > options.maxGrowthMb) process.stderr.write(`soak: heap grew ${growth} MB (limit ${options.maxGrowthMb} MB)\n`);
  return problems.length > 0 || growth > options.maxGrowthMb ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`soak: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
