import {
  closeSync,
  fdatasyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import * as path from 'node:path';
import { lastValueFrom } from 'rxjs';
import type { Dag, DagEvent, Journal, JournalWriter, SchedulerOptions } from '../../src/index';
import { edgeCount, generateDag, toDagSpec } from '../dagGenerator';
import { cpuMsSince, peakRssBytes } from '../cases/measure';
import { distribution } from '../stats';
import { type JournalLib, loadJournalLib, loadPostgresLib } from './lib';
import type {
  JournalCaseResult,
  JournalCaseSpec,
  LatencySample,
  LatencySpec,
  LayeredSample,
  LayeredSpec,
  PostgresSample,
  PostgresSpec,
  ResumePrepareResult,
  ResumePrepareSpec,
  ResumeSample,
  ResumeSpec,
} from './types';

/**
 * What a child of `npm run bench:journal` measures, one case per process. Every run is checked
 * to end `succeeded` with every task completed, so a broken journal cannot post a good time.
 */

/** The scheduling of every run here: the throughput suite's. */
export const MAX_CONCURRENCY = 64;
const SCHEDULING = { maxConcurrency: MAX_CONCURRENCY, healthCheckIntervalMs: 0 } as const;
const NOOP_AGENTS = { noop: () => Promise.resolve() };

export async function runJournalCase(spec: JournalCaseSpec): Promise<JournalCaseResult> {
  switch (spec.kind) {
    case 'layered':
      return runLayered(spec);
    case 'postgres':
      return runPostgres(spec);
    case 'latency':
      return runLatency(spec);
    case 'resume-prepare':
      return prepareResume(spec);
    case 'resume':
      return runResume(spec);
  }
}

/** Groups a journal was given during a run. */
interface GroupLog {
  readonly sizes: number[];
  readonly durable: boolean[];
}

function newGroupLog(): GroupLog {
  return { sizes: [], durable: [] };
}

/**
 * `journal` with its writers' groups logged (one push per group). A synchronous backend stays
 * synchronous: the run treats a returned promise differently from a plain value.
 */
function logGroups(journal: Journal, log: GroupLog): Journal {
  const wrap = (writer: JournalWriter): JournalWriter => ({
    append: (events, durable = true) => {
      log.sizes.push(events.length);
      log.durable.push(durable);
      return writer.append(events, durable);
    },
    close: () => writer.close(),
  });
  return {
    location: journal.location,
    create: (header) => {
      const writer = journal.create(header);
      return writer instanceof Promise ? writer.then(wrap) : wrap(writer);
    },
    resume: (runId) => journal.resume(runId),
    runs: () => journal.runs(),
    events: (runId) => journal.events(runId),
    header: (runId) => journal.header(runId),
  };
}

function layeredDag(lib: JournalLib, size: number, seed: number): { dag: Dag; edges: number } {
  const graph = generateDag({ shape: 'layered', size, seed });
  return { dag: lib.defineDag(toDagSpec(graph)), edges: edgeCount(graph) };
}

/** Runs `dag` to its end; throws unless every one of its `size` tasks completed. */
async function runToEnd(lib: JournalLib, dag: Dag, size: number, extra: SchedulerOptions = {}): Promise<DagEvent> {
  const last = await lastValueFrom(lib.runDag(dag, { agents: NOOP_AGENTS, ...SCHEDULING, ...extra }));
  checkEnd(last, size, dag.id);
  return last;
}

function checkEnd(last: DagEvent, size: number, what: string): void {
  if (last.type !== 'dag.completed' || last.outcome !== 'succeeded' || last.counts.completed !== size) {
    throw new Error(`run of ${what} did not complete its ${size} tasks: ${JSON.stringify(last)}`);
  }
}

let runCounter = 0;
function newRunId(prefix: string): string {
  return `${prefix}-${process.pid}-${++runCounter}`;
}

function folderBytes(dir: string): number {
  let bytes = 0;
  for (const name of readdirSync(dir)) bytes += statSync(path.join(dir, name)).size;
  return bytes;
}

/** Case 1: in memory or with the file journal; warm-ups, then one timed run. */
async function runLayered(spec: LayeredSpec): Promise<LayeredSample> {
  const lib = loadJournalLib();
  const journalOf = (dir: string): Journal | undefined => {
    if (spec.variant === 'memory') return undefined;
    mkdirSync(dir, { recursive: true });
    return lib.fileJournal(dir, { sync: spec.variant });
  };
  mkdirSync(spec.dir, { recursive: true });
  try {
    if (spec.warmupMemoryRuns + spec.warmupJournalRuns > 0) {
      const warm = layeredDag(lib, spec.warmupSize, spec.seed + 1).dag;
      for (let k = 0; k < spec.warmupMemoryRuns; k++) await runToEnd(lib, warm, spec.warmupSize);
      const warmJournal = journalOf(path.join(spec.dir, 'warmup'));
      if (warmJournal !== undefined) {
        for (let k = 0; k < spec.warmupJournalRuns; k++)
          await runToEnd(lib, warm, spec.warmupSize, { journal: warmJournal, runId: newRunId('warmup') });
      }
    }
    const { dag, edges } = layeredDag(lib, spec.size, spec.seed);
    const timedDir = path.join(spec.dir, 'timed');
    const groups = newGroupLog();
    const fileJournal = journalOf(timedDir);
    const journal =
      fileJournal === undefined ? {} : { journal: logGroups(fileJournal, groups), runId: newRunId(`layered-${spec.variant}`) };
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    const last = await runToEnd(lib, dag, spec.size, journal);
    const runMs = performance.now() - start;
    const cpuMs = cpuMsSince(cpuStart);
    return {
      kind: 'layered',
      variant: spec.variant,
      size: spec.size,
      edges,
      runMs,
      usPerTask: (runMs * 1000) / spec.size,
      cpuMs,
      events: last.seq,
      groups: groups.sizes.length,
      durableGroups: groups.durable.filter(Boolean).length,
      journalBytes: fileJournal === undefined ? 0 : folderBytes(timedDir),
      peakRssBytes: peakRssBytes(),
    };
  } finally {
    rmSync(spec.dir, { recursive: true, force: true });
  }
}

/** Case 2: a layered run with the PostgreSQL journal, then the same groups appended raw. */
async function runPostgres(spec: PostgresSpec): Promise<PostgresSample> {
  const lib = loadJournalLib();
  const pg = loadPostgresLib();
  const journal = pg.postgresJournal({ connectionString: spec.connectionString, schema: spec.schema });
  try {
    if (spec.warmupMemoryRuns + spec.warmupJournalRuns > 0) {
      const warm = layeredDag(lib, spec.warmupSize, spec.seed + 1).dag;
      for (let k = 0; k < spec.warmupMemoryRuns; k++) await runToEnd(lib, warm, spec.warmupSize);
      // also creates the journal's tables, outside the timed run
      for (let k = 0; k < spec.warmupJournalRuns; k++) await runToEnd(lib, warm, spec.warmupSize, { journal, runId: newRunId('warmup') });
    }
    const { dag } = layeredDag(lib, spec.size, spec.seed);
    const runId = newRunId('pg-layered');
    const groups = newGroupLog();
    const start = performance.now();
    const last = await runToEnd(lib, dag, spec.size, { journal: logGroups(journal, groups), runId });
    const runMs = performance.now() - start;

    const stored = (await journal.runs()).find((run) => run.runId === runId);
    if (stored === undefined || stored.lastSeq !== last.seq || stored.status !== 'succeeded') {
      throw new Error(`the PostgreSQL journal holds ${JSON.stringify(stored)} for a run that ended at seq ${last.seq}`);
    }
    const events = stored.lastSeq;

    // the raw append rate: the run's groups again (same sizes, same events under a new run id), back to back
    const rawRunId = newRunId('pg-raw');
    const recorded = await journal.events(runId);
    const rawGroups: DagEvent[][] = [];
    let at = 0;
    for (const size of groups.sizes) {
      rawGroups.push(recorded.slice(at, at + size).map((event) => ({ ...event, runId: rawRunId })));
      at += size;
    }
    if (at !== recorded.length) throw new Error(`the run's groups hold ${at} events, the journal ${recorded.length}`);
    const header = await journal.header(runId);
    const writer = await journal.create({ ...header, runId: rawRunId, createdAt: Date.now() });
    const appendMs: number[] = [];
    const rawStart = performance.now();
    for (let g = 0; g < rawGroups.length; g++) {
      const groupStart = performance.now();
      await writer.append(rawGroups[g]!, groups.durable[g]);
      appendMs.push(performance.now() - groupStart);
    }
    const rawMs = performance.now() - rawStart;
    await writer.close();
    return {
      kind: 'postgres',
      size: spec.size,
      runMs,
      events,
      eventsPerSecond: events / (runMs / 1000),
      groups: groups.sizes.length,
      durableGroups: groups.durable.filter(Boolean).length,
      raw: {
        appendMs: rawMs,
        eventsPerSecond: recorded.length / (rawMs / 1000),
        groupsPerSecond: rawGroups.length / (rawMs / 1000),
        appendMsDistribution: distribution(appendMs),
      },
      peakRssBytes: peakRssBytes(),
    };
  } finally {
    await journal.end();
    await dropSchema(spec.connectionString, spec.schema);
  }
}

/** Drops a benchmark schema and everything in it (best effort: the parent drops it too). */
export async function dropSchema(connectionString: string, schema: string): Promise<void> {
  if (!/^rxdag_bench_[a-z0-9_]+$/.test(schema)) throw new Error(`refusing to drop schema "${schema}": not a benchmark schema`);
  const { Client } = require('pg') as typeof import('pg');
  const client = new Client({ connectionString, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * An agent that stamps when it is called, then resolves from a later macrotask (as real I/O
 * would), stamping just before resolving: the latency suite's, on `process.hrtime.bigint`.
 */
function timedAgents(dag: Dag, calledAt: BigInt64Array, resolvedAt: BigInt64Array) {
  return {
    noop: ({ id }: { readonly id: string }) => {
      const index = dag.taskIndex(id)!;
      calledAt[index] = process.hrtime.bigint();
      return new Promise<void>((resolve) =>
        setImmediate(() => {
          resolvedAt[index] = process.hrtime.bigint();
          resolve();
        }),
      );
    },
  };
}

/** Per-hop latencies (µs) of one chain run. */
async function timeChain(lib: JournalLib, dag: Dag, length: number, extra: SchedulerOptions = {}): Promise<number[]> {
  const calledAt = new BigInt64Array(length);
  const resolvedAt = new BigInt64Array(length);
  const last = await lastValueFrom(lib.runDag(dag, { ...SCHEDULING, ...extra, agents: timedAgents(dag, calledAt, resolvedAt) }));
  checkEnd(last, length, dag.id);
  const hops: number[] = [];
  for (let i = 1; i < length; i++) hops.push(Number(calledAt[i]! - resolvedAt[i - 1]!) / 1000);
  return hops;
}

/** A line the size of a journaled `task.completed`. */
const FSYNC_LINE = `${JSON.stringify({ type: 'task.completed', runId: 'fsync-probe', seq: 123456, at: 1234.5678, taskId: 't123456', attempt: 1, durationMs: 0.0123 })}\n`;

/** Case 3: chain latency in memory, with the file journal (fsync), and raw fsyncs on the same file system. */
async function runLatency(spec: LatencySpec): Promise<LatencySample> {
  const lib = loadJournalLib();
  mkdirSync(spec.dir, { recursive: true });
  try {
    const chainOf = (length: number) => lib.defineDag(toDagSpec(generateDag({ shape: 'chain', size: length })));
    const chain = chainOf(spec.chainLength);
    for (let w = 0; w < spec.warmupChains; w++) await timeChain(lib, chain, spec.chainLength);
    const journalDir = path.join(spec.dir, 'journal');
    mkdirSync(journalDir, { recursive: true });
    const journal = lib.fileJournal(journalDir, { sync: 'fsync' });
    if (spec.warmupJournalChainLength > 1) {
      await timeChain(lib, chainOf(spec.warmupJournalChainLength), spec.warmupJournalChainLength, { journal, runId: newRunId('warmup') });
    }

    const memory = await timeChain(lib, chain, spec.chainLength);
    const groups = newGroupLog();
    const journalStart = performance.now();
    const journaled = await timeChain(lib, chain, spec.chainLength, { journal: logGroups(journal, groups), runId: newRunId('chain') });
    const journalRunMs = performance.now() - journalStart;

    const fsyncs: number[] = [];
    const fd = openSync(path.join(spec.dir, 'fsync-probe'), 'w');
    try {
      for (let i = 0; i < spec.fsyncSamples; i++) {
        const start = process.hrtime.bigint();
        writeSync(fd, FSYNC_LINE);
        fdatasyncSync(fd);
        fsyncs.push(Number(process.hrtime.bigint() - start) / 1000);
      }
    } finally {
      closeSync(fd);
    }
    return {
      kind: 'latency',
      chainLength: spec.chainLength,
      memoryUs: distribution(memory),
      journalUs: distribution(journaled),
      fsyncUs: distribution(fsyncs),
      journalRunMs,
      journalGroups: groups.sizes.length,
      journalDurableGroups: groups.durable.filter(Boolean).length,
      peakRssBytes: peakRssBytes(),
    };
  } finally {
    rmSync(spec.dir, { recursive: true, force: true });
  }
}

/** A run's journal file name in a file journal folder (`fileJournal`'s escaping). */
export function journalFileName(runId: string): string {
  return `${encodeURIComponent(runId).replace(/^\./, '%2E')}.jsonl`;
}

/**
 * Case 4's journal, made once: a layered run journaled to its end (`sync: 'none'`: the bytes are
 * the same, and faster to make), then a new file of its header and its events up to the
 * `completedBefore`-th `task.completed`, as a crash would leave it (no lock file).
 */
async function prepareResume(spec: ResumePrepareSpec): Promise<ResumePrepareResult> {
  const lib = loadJournalLib();
  mkdirSync(spec.scratchDir, { recursive: true });
  try {
    const { dag } = layeredDag(lib, spec.size, spec.seed);
    const start = performance.now();
    const last = await runToEnd(lib, dag, spec.size, { journal: lib.fileJournal(spec.scratchDir, { sync: 'none' }), runId: spec.runId });
    const fullRunMs = performance.now() - start;
    const lines = readFileSync(path.join(spec.scratchDir, journalFileName(spec.runId)), 'utf8').split('\n');
    let completed = 0;
    let kept = 1; // the header
    while (completed < spec.completedBefore) {
      const line = lines[kept];
      if (line === undefined || line === '') throw new Error(`the run has fewer than ${spec.completedBefore} task.completed events`);
      if ((JSON.parse(line) as DagEvent).type === 'task.completed') completed++;
      kept++;
    }
    const text = `${lines.slice(0, kept).join('\n')}\n`;
    mkdirSync(path.dirname(spec.crashedFile), { recursive: true });
    writeFileSync(spec.crashedFile, text);
    return {
      kind: 'resume-prepare',
      size: spec.size,
      fullRunMs,
      fullEvents: last.seq,
      keptEvents: kept - 1,
      keptCompleted: completed,
      bytes: Buffer.byteLength(text),
      peakRssBytes: peakRssBytes(),
    };
  } finally {
    rmSync(spec.scratchDir, { recursive: true, force: true });
  }
}

/** Case 4: a cold process resumes the cut run (its own copy in `dir`) to the end. */
async function runResume(spec: ResumeSpec): Promise<ResumeSample> {
  const lib = loadJournalLib();
  try {
    const journal = lib.fileJournal(spec.dir);
    let resumedAt: bigint | undefined;
    let resumedAfterSeq = Number.POSITIVE_INFINITY;
    let firstStartedAt: bigint | undefined;
    let eventsAfterResume = 0;
    let last: DagEvent | undefined;
    const start = process.hrtime.bigint();
    await new Promise<void>((resolve, reject) => {
      lib.resumeRun(journal, spec.runId, { agents: NOOP_AGENTS, ...SCHEDULING }).subscribe({
        next: (event) => {
          last = event;
          if (event.seq > resumedAfterSeq) eventsAfterResume++;
          if (resumedAt === undefined) {
            if (event.type === 'run.resumed') {
              resumedAt = process.hrtime.bigint();
              resumedAfterSeq = event.resumedAfterSeq;
              eventsAfterResume = 1;
            }
          } else if (firstStartedAt === undefined && event.type === 'task.started') firstStartedAt = process.hrtime.bigint();
        },
        error: reject,
        complete: resolve,
      });
    });
    const end = process.hrtime.bigint();
    if (last === undefined) throw new Error('the resumed run emitted nothing');
    checkEnd(last, spec.size, `resumed run ${spec.runId}`);
    if (resumedAt === undefined || firstStartedAt === undefined) throw new Error('no run.resumed, or no task.started after it');
    const ms = (to: bigint) => Number(to - start) / 1e6;
    return {
      kind: 'resume',
      size: spec.size,
      toResumedMs: ms(resumedAt),
      toFirstStartedMs: ms(firstStartedAt),
      toEndMs: ms(end),
      eventsAfterResume,
      peakRssBytes: peakRssBytes(),
    };
  } finally {
    rmSync(spec.dir, { recursive: true, force: true });
  }
}
