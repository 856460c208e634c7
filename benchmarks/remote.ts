import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { lastValueFrom, type Observable, ReplaySubject, takeUntil } from 'rxjs';
import type * as bullmqEntry from '../src/bullmq/index';
import type { RemoteAgent } from '../src/bullmq/index';
import type * as coreEntry from '../src/index';
import type { DagSpec, TaskContext } from '../src/index';
import { ensureFreshDist, type LibKind, ROOT } from './journal/lib';
import { relayUnderTsx, type StopSignals, Stopped, stoppedBy, stopOnSignals } from './signals';
import { median } from './stats';
import { endOnFailure } from './usage';
import { type Cli, isDefaultRun, parseArgs, resultsFile } from './remote/options';
import { type CpuPer1000, cpuNow, cpuSince } from './remote/cpu';

/**
 * `npm run bench:remote` — what rxdag's remote agents cost next to raw BullMQ on the same Redis:
 *   1. throughput: N no-op layered tasks through `remoteAgent` + `startWorker` with 1, 2 and 4
 *      worker processes, next to raw BullMQ moving N no-op jobs (`addBulk`, `removeOnComplete`)
 *      through the same number of worker processes, in alternating rounds (raw then rxdag, then
 *      rxdag then raw, …) with both sets of workers started once per worker count: the ratio of
 *      each pair of rounds, and their median, so the machine's drift falls on both sides alike;
 *   2. latency: a chain of M no-op tasks, dispatch of one link to dispatch of the next (p50/p99),
 *      next to a raw BullMQ round trip (add → processed → `waitUntilFinished`), one worker process.
 *
 * rxdag's side runs the compiled `dist/` (rebuilt first when a file of `src/` is newer), as raw
 * BullMQ runs its published JavaScript and `rxdag worker` runs `dist/`; `--lib src` runs `src/`
 * through tsx, which wraps each closure the code makes in a naming call.
 *
 *   tsx benchmarks/remote.ts [--tasks 10000] [--workers 1,2,4] [--rounds 5] [--chain 200] [--concurrency 8] [--lib dist|src]
 *                            [--redis redis://127.0.0.1:6379] [--prefix rxdag-bench-RANDOM] [--out FILE]
 *
 * Only the default run (no option but `--prefix`) writes `benchmarks/results/remote.json`; any other
 * writes `benchmarks/results/remote-partial/remote.json`, or `--out FILE`.
 * Workers are child processes running this file with `--role`. Its Redis keys (`PREFIX:raw:…`,
 * `PREFIX:noop:…`: its two queues, no other key of the prefix) are deleted at the end, also on
 * ctrl-c or SIGTERM, which stop the run and kill the workers first.
 */

/** The queues the benchmark makes under its prefix: raw BullMQ's, and rxdag's remote agent's (the workers' agent `noop`). */
const RAW_QUEUE = 'raw';
const RXDAG_QUEUE = 'noop';

/** The signal handlers of the measuring process (none in a worker process). */
let stops: StopSignals | undefined;
/** Emits once a signal came: rxdag runs are unsubscribed (cancelling their jobs). */
const stopRuns$ = new ReplaySubject<void>(1);
let rejectStopped: (error: Stopped) => void = () => undefined;
/** Rejects once a signal came: what the run waits for is given up. */
const stopped = new Promise<never>((_, reject) => (rejectStopped = reject));
stopped.catch(() => undefined);

/** Throws {@link Stopped} once a signal came: called before each new step (a round, a batch of jobs, a link). */
function checkStopped(): void {
  stops?.check();
}

/** `promise`, or {@link Stopped} as soon as a signal comes. */
function orStop<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined); // given up on a signal: its own failure later is no one's
  return Promise.race([promise, stopped]);
}

/** The last event of a run, or {@link Stopped} (the run unsubscribed) as soon as a signal comes. */
async function lastOf<T>(run: Observable<T>): Promise<T> {
  checkStopped();
  const last = await lastValueFrom(run.pipe(takeUntil(stopRuns$)), { defaultValue: undefined });
  checkStopped();
  if (last === undefined) throw new Error('the run ended without an event');
  return last;
}

/** What the benchmark uses of rxdag, from the build `--lib` names. */
type RemoteLib = Pick<typeof coreEntry, 'runDag'> & Pick<typeof bullmqEntry, 'remoteAgent' | 'startWorker'>;

let loaded: RemoteLib | undefined;

/** rxdag's entries from `src/` or `dist/`, loaded on first use (only the chosen build is loaded). */
function lib(cli: Cli): RemoteLib {
  if (loaded === undefined) {
    const from = (name: string) => path.join(ROOT, cli.lib, cli.lib === 'src' ? `${name}.ts` : `${name}.js`);
    const { runDag } = require(from('index')) as typeof coreEntry;
    const { remoteAgent, startWorker } = require(from('bullmq/index')) as typeof bullmqEntry;
    loaded = { runDag, remoteAgent, startWorker };
  }
  return loaded;
}

/** A worker process: `raw` (a bare BullMQ Worker) or `rxdag` (`startWorker`), no-op work, `ready` on stdout. */
async function workerRole(cli: Cli): Promise<void> {
  let close: () => Promise<void>;
  if (cli.role === 'raw') {
    const worker = new Worker(RAW_QUEUE, async () => null, {
      connection: { url: cli.redis },
      prefix: cli.prefix,
      concurrency: cli.concurrency,
    });
    await worker.waitUntilReady();
    close = () => worker.close();
  } else {
    const worker = lib(cli).startWorker({
      connection: cli.redis,
      prefix: cli.prefix,
      agents: { noop: () => undefined },
      concurrency: cli.concurrency,
      leaseMs: 30_000,
    });
    await worker.ready();
    close = () => worker.close();
  }
  process.stdout.write('ready\n');
  process.once('SIGTERM', () => void close().then(() => process.exit(0)));
}

/** Starts `count` worker processes of `role` and resolves once all are ready. */
async function startWorkers(cli: Cli, role: 'raw' | 'rxdag', count: number): Promise<ChildProcess[]> {
  checkStopped();
  const args = ['--role', role, '--prefix', cli.prefix, '--redis', cli.redis, '--concurrency', String(cli.concurrency), '--lib', cli.lib];
  const children = Array.from({ length: count }, () =>
    spawn(process.execPath, [...process.execArgv, __filename, ...args], { stdio: ['ignore', 'pipe', 'inherit'] }),
  );
  for (const child of children) {
    live.add(child);
    child.once('exit', () => live.delete(child));
  }
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve, reject) => {
          child.stdout!.setEncoding('utf8').on('data', (text: string) => text.includes('ready') && resolve());
          child.once('exit', (code) => reject(new Error(`a ${role} worker exited with ${code} before it was ready`)));
        }),
    ),
  );
  return children;
}

async function stopWorkers(children: readonly ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve(); // killed on a signal already
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
}

/** Events of the raw queue from now on (from the stream's last id: `$` would miss events of jobs done before the first read). */
async function listen(cli: Cli, connection: Redis): Promise<QueueEvents> {
  const last = await connection.xrevrange(`${cli.prefix}:${RAW_QUEUE}:events`, '+', '-', 'COUNT', 1);
  const events = new QueueEvents(RAW_QUEUE, { connection: { url: cli.redis }, prefix: cli.prefix, lastEventId: last[0]?.[0] ?? '0-0' });
  await events.waitUntilReady();
  return events;
}

/** Raw BullMQ: `tasks` no-op jobs added in bulk, until the last one completed; jobs per second. */
async function rawThroughput(cli: Cli): Promise<number> {
  const connection = new Redis(cli.redis, { maxRetriesPerRequest: null });
  // the event stream holds every event of the run (BullMQ keeps 10,000 by default): a listener
  // that falls behind under load would otherwise lose completions to trimming and wait forever
  const queue = new Queue(RAW_QUEUE, { connection, prefix: cli.prefix, streams: { events: { maxLen: 10 * cli.tasks } } });
  try {
    const events = await listen(cli, connection);
    try {
      let done = 0;
      const allDone = new Promise<void>((resolve) => events.on('completed', () => ++done === cli.tasks && resolve()));
      const started = performance.now();
      for (let from = 0; from < cli.tasks; from += 1000) {
        checkStopped();
        const size = Math.min(1000, cli.tasks - from);
        await queue.addBulk(
          Array.from({ length: size }, (_, i) => ({ name: 'noop', data: { i: from + i }, opts: { removeOnComplete: true } })),
        );
      }
      await orStop(allDone);
      return cli.tasks / ((performance.now() - started) / 1000);
    } finally {
      await events.close();
    }
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

/** Layers of 1000 no-op tasks (the last layer shorter), each task depending on two of the layer before. */
function layered(tasks: number): DagSpec {
  const width = Math.min(1000, tasks);
  const specs = Array.from({ length: tasks }, (_, i) => {
    const layer = Math.floor(i / width);
    const deps = layer === 0 ? [] : [`t${(layer - 1) * width + (i % width)}`, `t${(layer - 1) * width + ((i + 1) % width)}`];
    return { id: `t${i}`, agent: 'noop', deps };
  });
  return { id: 'remote-bench', tasks: specs };
}

/** rxdag: the layered DAG through `agent`, until `dag.completed`; tasks per second. */
async function rxdagThroughput(cli: Cli, agent: RemoteAgent, dag: DagSpec): Promise<number> {
  const started = performance.now();
  const last = await lastOf(lib(cli).runDag(dag, { agents: { noop: agent }, maxConcurrency: 1000, healthCheckIntervalMs: 0 }));
  const seconds = (performance.now() - started) / 1000;
  if (last.type !== 'dag.completed' || last.outcome !== 'succeeded') throw new Error(`the rxdag run ended ${JSON.stringify(last)}`);
  return cli.tasks / seconds;
}

function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** rxdag: a chain of no-op tasks; the time from one link's dispatch to the next's, in ms. */
async function rxdagChain(cli: Cli): Promise<number[]> {
  const { remoteAgent, runDag } = lib(cli);
  const noop = remoteAgent({ connection: cli.redis, prefix: cli.prefix, queue: RXDAG_QUEUE });
  const dispatchedAt: number[] = [];
  const timed: RemoteAgent = {
    ...noop,
    run: (task: TaskContext, client: Parameters<RemoteAgent['run']>[1]) => {
      dispatchedAt.push(performance.now());
      return noop.run(task, client);
    },
  };
  const tasks = Array.from({ length: cli.chain }, (_, i) => ({ id: `c${i}`, agent: 'noop', deps: i === 0 ? [] : [`c${i - 1}`] }));
  try {
    await lastOf(runDag({ id: 'chain', tasks }, { agents: { noop: timed }, healthCheckIntervalMs: 0 }));
  } finally {
    await noop.close();
  }
  return dispatchedAt.slice(1).map((at, i) => at - dispatchedAt[i]!);
}

/** Raw BullMQ: add → processed → `waitUntilFinished`, one job after the other, in ms. */
async function rawChain(cli: Cli): Promise<number[]> {
  const connection = new Redis(cli.redis, { maxRetriesPerRequest: null });
  const queue = new Queue(RAW_QUEUE, { connection, prefix: cli.prefix });
  try {
    const events = await listen(cli, connection);
    try {
      const rounds: number[] = [];
      for (let i = 0; i < cli.chain; i++) {
        checkStopped();
        const started = performance.now();
        const job = await queue.add('link', { i });
        await orStop(job.waitUntilFinished(events));
        rounds.push(performance.now() - started);
      }
      return rounds;
    } finally {
      await events.close();
    }
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

/** One round of one side: its throughput and CPU. */
interface Round {
  readonly perSecond: number;
  readonly cpu: CpuPer1000;
}

async function timedRound(cli: Cli, workers: readonly ChildProcess[], run: () => Promise<number>): Promise<Round> {
  const before = await cpuNow(cli.redis, workers);
  const perSecond = await run();
  return { perSecond, cpu: await cpuSince(cli.redis, cli.tasks, before, workers) };
}

/** What `--out` holds (the smoke spec reads it too). */
export interface RemoteReport {
  readonly at: string;
  /** Which build of rxdag ran. */
  readonly lib: LibKind;
  readonly tasks: number;
  readonly concurrency: number;
  readonly rounds: number;
  readonly throughput: readonly ThroughputRow[];
  readonly latency: {
    readonly chain: number;
    readonly rxdagLinkMs: { readonly p50: number; readonly p99: number };
    readonly rawRoundTripMs: { readonly p50: number; readonly p99: number };
  };
}

/** A worker count's rounds. */
export interface ThroughputRow {
  readonly workers: number;
  /** rxdag ÷ raw of each pair of rounds. */
  readonly ratios: number[];
  readonly medianRatio: number;
  readonly rawPerSecond: number[];
  readonly rxdagPerSecond: number[];
  readonly rawCpuMedian: CpuPer1000;
  readonly rxdagCpuMedian: CpuPer1000;
}

/** Rounds of raw BullMQ and rxdag, alternating which goes first, with `count` worker processes of each. */
async function throughputRow(cli: Cli, count: number): Promise<ThroughputRow> {
  const rawWorkers = await startWorkers(cli, 'raw', count);
  const rxdagWorkers = await startWorkers(cli, 'rxdag', count);
  const { remoteAgent, runDag } = lib(cli);
  const agent = remoteAgent({ connection: cli.redis, prefix: cli.prefix, queue: RXDAG_QUEUE });
  const dag = layered(cli.tasks);
  const raws: Round[] = [];
  const rxdags: Round[] = [];
  try {
    // the agent's connections are opened before the first timed round, as the raw side's are
    await lastOf(runDag({ id: 'connect', tasks: [{ id: 'first', agent: 'noop' }] }, { agents: { noop: agent }, healthCheckIntervalMs: 0 }));
    for (let round = 0; round < cli.rounds; round++) {
      checkStopped();
      const raw = () => timedRound(cli, rawWorkers, () => rawThroughput(cli));
      const rxdag = () => timedRound(cli, rxdagWorkers, () => rxdagThroughput(cli, agent, dag));
      if (round % 2 === 0) {
        raws.push(await raw());
        rxdags.push(await rxdag());
      } else {
        rxdags.push(await rxdag());
        raws.push(await raw());
      }
    }
  } finally {
    await agent.close();
    await stopWorkers([...rawWorkers, ...rxdagWorkers]);
  }
  const ratios = rxdags.map((round, i) => Number((round.perSecond / raws[i]!.perSecond).toFixed(2)));
  const medianCpu = (rounds: readonly Round[]): CpuPer1000 => ({
    redis: median(rounds.map((round) => round.cpu.redis)),
    producer: median(rounds.map((round) => round.cpu.producer)),
    workers: median(rounds.map((round) => round.cpu.workers)),
    total: median(rounds.map((round) => round.cpu.total)),
  });
  return {
    workers: count,
    ratios,
    medianRatio: Math.round(median(ratios) * 1000) / 1000,
    rawPerSecond: raws.map((round) => Math.round(round.perSecond)),
    rxdagPerSecond: rxdags.map((round) => Math.round(round.perSecond)),
    rawCpuMedian: medianCpu(raws),
    rxdagCpuMedian: medianCpu(rxdags),
  };
}

/** A Redis glob matching `text` itself (`*`, `?`, `[`, `]` and `\\` escaped). */
function globLiteral(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** Deletes the benchmark's own keys: those of its two queues under its prefix, no other key of the prefix. */
async function deleteKeys(url: string, prefix: string): Promise<void> {
  const client = new Redis(url);
  try {
    for (const queue of [RAW_QUEUE, RXDAG_QUEUE]) {
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${globLiteral(`${prefix}:${queue}:`)}*`, 'COUNT', 1000);
        if (keys.length > 0) await client.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    }
  } finally {
    client.disconnect();
  }
}

// Worker processes alive now, killed if the run fails or is stopped.
const live = new Set<ChildProcess>();

function killWorkers(): void {
  for (const child of live) child.kill('SIGKILL');
}

/** How long a signal waits for the run to unwind (agents and queues closed) before the keys are deleted anyway. */
const STOP_GRACE_MS = 10_000;

async function main(): Promise<void> {
  const cli = parseArgs(process.argv.slice(2));
  if (cli.role !== undefined) return workerRole(cli);
  const relay = relayUnderTsx(); // the measuring process is often busy: tsx would SIGKILL it on ctrl-c
  if (relay !== undefined) return relay;
  cli.prefix ||= `rxdag-bench-${randomBytes(4).toString('hex')}`;
  if (cli.lib === 'dist') ensureFreshDist((line) => console.log(`  ${line}`));
  console.log(
    `rxdag remote agents vs raw BullMQ, same Redis (${cli.redis}), ${cli.tasks} no-op tasks, worker concurrency ${cli.concurrency},` +
      ` rxdag from ${cli.lib === 'dist' ? 'dist/ (compiled)' : 'src/ through tsx'}`,
  );
  let cleaned: Promise<void> | undefined;
  // once: on the run's end, or on a signal (its repeats ignored)
  const cleanUp = () =>
    (cleaned ??= (async () => {
      killWorkers();
      await deleteKeys(cli.redis, cli.prefix);
    })());
  let measured: Promise<void> | undefined;
  stops = stopOnSignals(async (signal) => {
    console.log(
      `\n${signal}: stopping the run, killing its worker processes, deleting its keys (${cli.prefix}:${RAW_QUEUE}:…, ${cli.prefix}:${RXDAG_QUEUE}:…)`,
    );
    rejectStopped(new Stopped(signal));
    stopRuns$.next();
    killWorkers();
    // its runs unsubscribed and its queues closed first, so nothing of it writes a key after they are deleted
    await Promise.race([measured?.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS))]);
    await cleanUp();
  });
  try {
    measured = measure(cli);
    await measured;
  } finally {
    await cleanUp();
    stops.dispose();
  }
}

/** The throughput rows and the chain, then the report written to {@link resultsFile}. */
async function measure(cli: Cli): Promise<void> {
  const throughput: ThroughputRow[] = [];
  for (const workers of cli.workers) {
    const row = await throughputRow(cli, workers);
    throughput.push(row);
    const cpu = (c: CpuPer1000) => `${c.redis} / ${c.producer} / ${c.workers} (${c.total})`;
    console.log(
      `  ${workers} worker process(es), ${cli.rounds} rounds: rxdag ÷ raw ${row.ratios.join(' · ')}, median ${row.medianRatio}×;` +
        ` raw ${row.rawPerSecond.join(' · ')} jobs/s, rxdag ${row.rxdagPerSecond.join(' · ')} tasks/s;` +
        ` CPU ms per 1000 (Redis / this process / workers (all)), medians: raw ${cpu(row.rawCpuMedian)}, rxdag ${cpu(row.rxdagCpuMedian)}`,
    );
  }
  const raw = await startWorkers(cli, 'raw', 1);
  const rawRounds = await rawChain(cli);
  await stopWorkers(raw);
  const rxdag = await startWorkers(cli, 'rxdag', 1);
  const links = await rxdagChain(cli);
  await stopWorkers(rxdag);
  const latency = {
    chain: cli.chain,
    rxdagLinkMs: { p50: percentile(links, 50), p99: percentile(links, 99) },
    rawRoundTripMs: { p50: percentile(rawRounds, 50), p99: percentile(rawRounds, 99) },
  };
  const ms = (value: number) => value.toFixed(2);
  console.log(
    `  chain of ${cli.chain}, one worker: rxdag dispatch-to-dispatch p50 ${ms(latency.rxdagLinkMs.p50)} ms / p99 ${ms(latency.rxdagLinkMs.p99)} ms;` +
      ` raw BullMQ round trip p50 ${ms(latency.rawRoundTripMs.p50)} ms / p99 ${ms(latency.rawRoundTripMs.p99)} ms`,
  );
  const out = resultsFile(cli);
  mkdirSync(path.dirname(out), { recursive: true });
  const report: RemoteReport = {
    at: new Date().toISOString(),
    lib: cli.lib,
    tasks: cli.tasks,
    concurrency: cli.concurrency,
    rounds: cli.rounds,
    throughput,
    latency,
  };
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  const partial = cli.out === undefined && !isDefaultRun(cli);
  console.log(
    `  written to ${path.relative(process.cwd(), out)}${partial ? ' (not the default run: results/remote.json is left as it was)' : ''}`,
  );
}

main().catch((error: unknown) => {
  if (stoppedBy() !== undefined) return; // the signal's handler exits once the keys are deleted
  endOnFailure('bench:remote')(error);
  process.exit(); // its worker processes and connections would keep it alive
});
