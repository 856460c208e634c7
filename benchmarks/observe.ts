import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { trace, type Tracer } from '@opentelemetry/api';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { Registry } from 'prom-client';
import { lastValueFrom, type Subscription } from 'rxjs';
import { type Dag, defineDag, runDag } from '../src/index';
import { traceEvents } from '../src/observe/otel';
import { collectMetrics } from '../src/observe/prometheus';
import { generateDag, toDagSpec } from './dagGenerator';
import { cpuMsSince, peakRssBytes } from './cases/measure';
import { checkFlags, endOnFailure, UsageError } from './usage';

/**
 * `npm run bench:observe` — what tracing and metrics cost a run: the layered 100k graph (seed 42,
 * `maxConcurrency` 64, health checks off, agents returning `Promise.resolve()`) run plain, with
 * `collectMetrics` (a real prom-client registry), with `traceEvents` (a real SDK tracer: a
 * `BasicTracerProvider` with a `BatchSpanProcessor` to an exporter that drops every batch: what
 * an application with the SDK pays, short of serializing and sending), and with both; then
 * traced again with the API's no-op tracer (no SDK registered: rxdag's own share of tracing,
 * the SDK's span objects left out), alone and with metrics. Each sample is a fresh child process (tsx, `--expose-gc`) that warms up on 100k
 * tasks of a 10k graph with the same listeners, then times one run from subscribe to
 * `dag.completed`; the variants run interleaved. Prints the medians and their ratio to plain
 * (target: both ≤ 1.5×) and writes `results/observe.json` — only the default run does: any other
 * `--runs` or `--size` writes `results/observe-partial/observe.json`, `--out FILE` that file.
 *
 *   tsx benchmarks/observe.ts [--runs N (default 3)] [--size N (default 100000)] [--out FILE]
 */

const VARIANTS = ['plain', 'metered', 'traced', 'traced+metered', 'no-op traced', 'no-op traced+metered'] as const;
type Variant = (typeof VARIANTS)[number];

interface Sample {
  readonly variant: Variant;
  readonly size: number;
  readonly runMs: number;
  readonly usPerTask: number;
  readonly cpuMs: number;
  readonly peakRssBytes: number;
}

const SEED = 42;
const DEFAULT_RUNS = 3;
const DEFAULT_SIZE = 100_000;
const WARMUP_SIZE = 10_000;
const WARMUP_RUNS = 10;
const SCHEDULING = { maxConcurrency: 64, healthCheckIntervalMs: 0, agents: { noop: () => Promise.resolve() } } as const;

/** Spans the exporter was handed (and dropped). */
let exported = 0;

/** Drops every batch at once: the SDK's own work is measured, not an export's. */
const dropExporter: SpanExporter = {
  export: (spans, done) => {
    exported += spans.length;
    done({ code: 0 });
  },
  shutdown: () => Promise.resolve(),
};

/**
 * The processor's queue holds every span of the timed run: with its default (2,048 spans) a
 * run that does not yield between its attempts would have most spans dropped, not exported.
 */
const QUEUE_SIZE = 1 << 21;

function layered(size: number, seed: number): Dag {
  return defineDag(toDagSpec(generateDag({ shape: 'layered', size, seed })));
}

/** One run of `dag` with the variant's listeners on its events; throws unless every task completed. */
async function runOnce(dag: Dag, listen: (run: ReturnType<typeof runDag>) => Subscription[]): Promise<void> {
  const run = runDag(dag, SCHEDULING);
  const listeners = listen(run);
  const last = await lastValueFrom(run);
  for (const listener of listeners) listener.unsubscribe();
  if (last.type !== 'dag.completed' || last.outcome !== 'succeeded' || last.counts.completed !== dag.size) {
    throw new Error(`the run of ${dag.id} did not complete: ${JSON.stringify(last)}`);
  }
}

async function child(variant: Variant, size: number): Promise<Sample> {
  const processor = new BatchSpanProcessor(dropExporter, { maxQueueSize: QUEUE_SIZE });
  const provider = new BasicTracerProvider({ spanProcessors: [processor] });
  // no SDK registered: the API hands out its no-op tracer, whose spans record nothing
  const tracer: Tracer = variant.startsWith('no-op') ? trace.getTracer('rxdag-bench') : provider.getTracer('rxdag-bench');
  const registry = new Registry();
  const listen = (run: ReturnType<typeof runDag>): Subscription[] => [
    ...(variant.includes('traced') ? [traceEvents(run.events$, tracer)] : []),
    ...(variant.includes('metered') ? [collectMetrics(run.events$, { registry })] : []),
  ];
  const warm = layered(WARMUP_SIZE, SEED + 1);
  for (let k = 0; k < WARMUP_RUNS; k++) await runOnce(warm, listen);
  await provider.forceFlush();
  exported = 0;
  const dag = layered(size, SEED);
  globalThis.gc?.();
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  await runOnce(dag, listen);
  const runMs = performance.now() - start;
  const cpuMs = cpuMsSince(cpuStart);
  await provider.shutdown();
  // a span an attempt and the run's: none lost in the processor's queue
  const spans = variant.startsWith('traced') ? size + 1 : 0;
  if (exported !== spans) throw new Error(`${variant}: the exporter got ${exported} spans of the timed run, not ${spans}`);
  return { variant, size, runMs, usPerTask: (runMs * 1000) / size, cpuMs, peakRssBytes: peakRssBytes() };
}

const TSX_LOADER = pathToFileURL(require.resolve('tsx')).href;

function sampleIn(variant: Variant, size: number): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const worker = fork(__filename, ['--child', variant, String(size)], {
      execArgv: ['--import', TSX_LOADER, '--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let sample: Sample | undefined;
    worker.on('message', (message) => (sample = message as Sample));
    worker.on('error', reject);
    worker.on('exit', (code) =>
      sample === undefined ? reject(new Error(`${variant} child exited with ${code} without a result`)) : resolve(sample),
    );
  });
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  if (at === -1) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`\`${name}\` takes a positive integer (got ${process.argv[at + 1]})`);
  return value;
}

async function main(): Promise<void> {
  checkFlags(process.argv.slice(2), ['--runs', '--size', '--out'], 'benchmarks/observe.ts');
  const runs = option('--runs', DEFAULT_RUNS);
  const size = option('--size', DEFAULT_SIZE);
  const outAt = process.argv.indexOf('--out');
  // only the default run may replace the committed results/observe.json
  const partial = outAt === -1 && (runs !== DEFAULT_RUNS || size !== DEFAULT_SIZE);
  const out =
    outAt === -1
      ? path.join(__dirname, 'results', partial ? 'observe-partial' : '', 'observe.json')
      : path.resolve(process.argv[outAt + 1]!);
  const samples: Sample[] = [];
  for (let round = 0; round < runs; round++) {
    // rotated each round, so no variant always runs first on a cold machine
    for (let k = 0; k < VARIANTS.length; k++) {
      const variant = VARIANTS[(k + round) % VARIANTS.length]!;
      const sample = await sampleIn(variant, size);
      samples.push(sample);
      process.stderr.write(`round ${round + 1}/${runs} ${variant}: ${sample.usPerTask.toFixed(2)} µs/task\n`);
    }
  }
  const medianOf = (variant: Variant, of: (sample: Sample) => number) => median(samples.filter((s) => s.variant === variant).map(of));
  const medians = Object.fromEntries(VARIANTS.map((v) => [v, medianOf(v, (s) => s.usPerTask)])) as Record<Variant, number>;
  // CPU time as well: on a shared machine, wall time also counts the other processes' turns
  const cpuMedians = Object.fromEntries(VARIANTS.map((v) => [v, medianOf(v, (s) => (s.cpuMs * 1000) / s.size)])) as Record<Variant, number>;
  console.log(`layered ${size}, ${runs} children per variant, medians per task (ratio to plain; target ≤ 1.5×)`);
  for (const variant of VARIANTS) {
    const wall = `${medians[variant].toFixed(2).padStart(7)} µs  ${(medians[variant] / medians.plain).toFixed(2)}×`;
    const cpu = `${cpuMedians[variant].toFixed(2).padStart(7)} µs  ${(cpuMedians[variant] / cpuMedians.plain).toFixed(2)}×`;
    console.log(`  ${variant.padEnd(21)} wall ${wall}   cpu ${cpu}`);
  }
  mkdirSync(path.dirname(out), { recursive: true });
  const ratios = Object.fromEntries(VARIANTS.map((v) => [v, medians[v] / medians.plain]));
  const cpuRatios = Object.fromEntries(VARIANTS.map((v) => [v, cpuMedians[v] / cpuMedians.plain]));
  writeFileSync(
    out,
    `${JSON.stringify({ date: new Date().toISOString(), machine: { cpus: os.cpus().length, load: os.loadavg() }, size, runs, medians, ratios, cpuMedians, cpuRatios, samples }, null, 2)}\n`,
  );
  console.log(`→ ${path.relative(process.cwd(), out)}${partial ? ' (not the default run: results/observe.json is left as it was)' : ''}`);
}

if (process.argv[2] === '--child') {
  child(process.argv[3] as Variant, Number(process.argv[4])).then(
    (sample) => process.send!(sample, () => process.exit(0)),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
} else {
  main().catch(endOnFailure('bench:observe'));
}
