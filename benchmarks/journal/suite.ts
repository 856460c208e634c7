import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { invocation, machineInfo, sourceInfo } from '../machine';
import { formatNumber, formatSize, median } from '../stats';
import { dropSchema, journalFileName, MAX_CONCURRENCY, runJournalCase } from './cases';
import { ROOT } from './lib';
import { probePostgres, redact } from './postgresProbe';
import { killLiveChildren } from '../children';
import { runInChild } from './processes';
import { count, plural } from '../report/journalSection';
import { Stopped, stopOnSignals } from '../signals';
import { type JournalCaseName, type JournalProfile, SEED } from './profiles';
import {
  JOURNAL_VARIANTS,
  type JournalCaseResult,
  type JournalCaseSpec,
  type JournalFailure,
  type JournalReport,
  type JournalTarget,
  type LatencySample,
  type LayeredSample,
  type LayeredSummary,
  type PostgresSample,
  type ResumePrepareResult,
  type ResumeSample,
} from './types';

/**
 * Runs the journal cases of a profile, each sample in a fresh child (in the runner itself for a
 * profile that isolates nothing: tiny), the variants of case 1 interleaved and their order
 * rotated from one round to the next, and returns the report. A child
 * that fails or times out is recorded and the run goes on. Temporary folders, PostgreSQL schemas
 * and children are removed at the end, also on an error or a signal (SIGINT, SIGTERM): the
 * children are killed, no new one starts, then the clean-up runs once and the process exits
 * with 128 + the signal's number.
 */

export interface JournalSuiteOptions {
  readonly profile: JournalProfile;
  readonly runs: number;
  readonly cases: ReadonlySet<JournalCaseName>;
  readonly lib: 'src' | 'dist';
  /** The folder the temporary journal folders are made in (its file system is measured). */
  readonly baseDir: string;
  readonly timeoutMs: number;
  /** The JSON file the report will be written to (recorded in it). */
  readonly resultsFile: string;
  /** The command that runs one case alone (`--only` appended). */
  readonly caseCommand: (name: JournalCaseName) => string;
  readonly log: (line: string) => void;
}

/** File system type of a folder, e.g. `ext4`, `tmpfs` (fsync on tmpfs costs nothing). */
function fileSystemOf(dir: string): string {
  for (const [command, args] of [
    ['df', ['--output=fstype', dir]],
    ['stat', ['-f', '-c', '%T', dir]],
  ] as const) {
    try {
      const out = execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
        .trim()
        .split('\n');
      const type = out[out.length - 1]?.trim();
      if (type) return type;
    } catch {
      // try the next
    }
  }
  return 'unknown';
}

export async function runJournalSuite(options: JournalSuiteOptions): Promise<JournalReport> {
  const { profile, runs, lib, log } = options;
  const startedAt = new Date().toISOString();
  const machine = machineInfo();
  const base = mkdtempSync(path.join(options.baseDir, 'rxdag-journal-bench-'));
  const journalDir = { path: options.baseDir, fileSystem: fileSystemOf(base) };
  const schemas: { connectionString: string; schema: string }[] = [];
  const failures: JournalFailure[] = [];

  // once, by the end of the loop or by a signal (whichever first; the other waits for it)
  let cleaning: Promise<void> | undefined;
  const cleanUp = () =>
    (cleaning ??= (async () => {
      await killLiveChildren();
      await rm(base, { recursive: true, force: true });
      for (const { connectionString, schema } of schemas) await dropSchema(connectionString, schema).catch(() => undefined);
    })());
  let endLoop: () => void = () => undefined;
  const loopEnded = new Promise<void>((resolve) => (endLoop = resolve));
  const stops = stopOnSignals(async (signal) => {
    log(`\n${signal}: stopping the children, then removing ${base}${schemas.length > 0 ? ' and the PostgreSQL schemas' : ''}`);
    await killLiveChildren(); // the child running now fails, and the loop starts no other
    // the loop's last step first (a case running in this process, tiny, cannot be killed), so nothing recreates the folder
    await Promise.race([loopEnded, new Promise((resolve) => setTimeout(resolve, LOOP_STOP_GRACE_MS))]);
    await cleanUp();
  });

  let done = 0;
  const attempt = async <R extends JournalCaseResult>(
    label: string,
    spec: JournalCaseSpec,
    summary: (result: R) => string,
  ): Promise<R | undefined> => {
    stops.check();
    const started = performance.now();
    try {
      const result = (await (profile.isolate ? runInChild(spec, lib, options.timeoutMs) : runHere(spec, lib))) as R;
      stops.check();
      log(`[${++done}] ${label}: ${summary(result)}  (${((performance.now() - started) / 1000).toFixed(1)} s)`);
      return result;
    } catch (error) {
      if (error instanceof Stopped) throw error;
      stops.check(); // a child killed by the stop is no failure: the loop ends here
      const message = error instanceof Error ? error.message : String(error);
      failures.push({ case: label, spec, error: message });
      log(`[${++done}] ${label}: FAILED ${message.split('\n').slice(0, 3).join(' | ')}`);
      return undefined;
    }
  };
  const round = (r: number) => `run ${r + 1}/${runs}`;

  let layered: JournalReport['layered'] = null;
  let postgres: JournalReport['postgres'] = null;
  let latency: JournalReport['latency'] = null;
  let resume: JournalReport['resume'] = null;
  try {
    if (options.cases.has('layered')) {
      const p = profile.layered;
      log(`— 1. layered ${formatSize(p.size)}: in memory vs the file journal (fsync, none) —`);
      const samples: LayeredSample[] = [];
      for (let r = 0; r < runs; r++) {
        // rotated each round, so no variant always runs first or after the same one
        const order = JOURNAL_VARIANTS.map((_, i) => JOURNAL_VARIANTS[(i + r) % JOURNAL_VARIANTS.length]!);
        for (const variant of order) {
          const spec = {
            kind: 'layered',
            variant,
            size: p.size,
            seed: SEED,
            warmupSize: p.warmupSize,
            warmupMemoryRuns: p.warmupMemoryRuns,
            warmupJournalRuns: p.warmupJournalRuns,
            dir: path.join(base, `layered-${variant}-${r}`),
          } as const;
          const result = await attempt<LayeredSample>(
            `layered ${formatSize(p.size)} · ${variantLabel(variant)} · ${round(r)}`,
            spec,
            (s) => `${formatNumber(s.usPerTask)} µs/task, ${count(s.events)} events in ${count(s.groups)} groups`,
          );
          if (result !== undefined) samples.push(result);
        }
      }
      layered = {
        command: options.caseCommand('layered'),
        size: p.size,
        seed: SEED,
        maxConcurrency: MAX_CONCURRENCY,
        warmup: `${count(p.warmupMemoryRuns * p.warmupSize)} tasks in memory (layered ${formatSize(p.warmupSize)}, seed ${SEED + 1}), then ${plural(p.warmupJournalRuns, 'run')} of it with the variant's journal`,
        summary: summarizeLayered(samples),
        samples,
      };
    }

    if (options.cases.has('postgres')) {
      const p = profile.postgres;
      log(`— 2. PostgreSQL journal: layered ${formatSize(p.size)} —`);
      const availability = await probePostgres(lib);
      const samples: PostgresSample[] = [];
      if (!availability.available) log(`skipped: ${availability.reason}`);
      else {
        for (let r = 0; r < runs; r++) {
          const schema = `rxdag_bench_${randomBytes(6).toString('hex')}`;
          schemas.push({ connectionString: availability.connectionString, schema });
          const spec = {
            kind: 'postgres',
            size: p.size,
            seed: SEED,
            warmupSize: p.warmupSize,
            warmupMemoryRuns: p.warmupMemoryRuns,
            warmupJournalRuns: p.warmupJournalRuns,
            connectionString: availability.connectionString,
            schema,
          } as const;
          const result = await attempt<PostgresSample>(
            `postgres layered ${formatSize(p.size)} · ${round(r)}`,
            spec,
            (s) =>
              `${formatNumber(s.eventsPerSecond)} events/s (${count(s.events)} events, ${formatNumber(s.runMs)} ms), raw append ${formatNumber(s.raw.eventsPerSecond)} events/s`,
          );
          await dropSchema(availability.connectionString, schema).catch(() => undefined);
          if (result !== undefined) samples.push(result);
        }
      }
      const measured = samples.length > 0;
      postgres = {
        command: options.caseCommand('postgres'),
        size: p.size,
        seed: SEED,
        skipped: availability.available ? undefined : availability.reason,
        location: availability.available
          ? `${redact(availability.connectionString)} (a schema rxdag_bench_… per child, dropped after)`
          : undefined,
        warmup: `${count(p.warmupMemoryRuns * p.warmupSize)} tasks in memory (layered ${formatSize(p.warmupSize)}), then ${plural(p.warmupJournalRuns, 'run')} of it with the PostgreSQL journal`,
        medianEventsPerSecond: measured ? median(samples.map((s) => s.eventsPerSecond)) : undefined,
        medianRawEventsPerSecond: measured ? median(samples.map((s) => s.raw.eventsPerSecond)) : undefined,
        medianGroupSize: measured ? median(samples.map((s) => s.events / s.groups)) : undefined,
        samples,
      };
    }

    if (options.cases.has('latency')) {
      const p = profile.latency;
      log(`— 3. dependent-dispatch latency, chain of ${count(p.chainLength)}: in memory, file journal (fsync), raw fsync —`);
      const samples: LatencySample[] = [];
      for (let r = 0; r < runs; r++) {
        const spec = {
          kind: 'latency',
          chainLength: p.chainLength,
          warmupChains: p.warmupChains,
          warmupJournalChainLength: p.warmupJournalChainLength,
          fsyncSamples: p.fsyncSamples,
          dir: path.join(base, `latency-${r}`),
        } as const;
        const result = await attempt<LatencySample>(
          `latency chain ${count(p.chainLength)} · ${round(r)}`,
          spec,
          (s) =>
            `p50 in memory ${formatNumber(s.memoryUs.p50)} µs, journal ${formatNumber(s.journalUs.p50)} µs, fsync ${formatNumber(s.fsyncUs.p50)} µs`,
        );
        if (result !== undefined) samples.push(result);
      }
      const mid = (pick: (s: LatencySample) => number) => median(samples.map(pick));
      const memory = { p50: mid((s) => s.memoryUs.p50), p99: mid((s) => s.memoryUs.p99) };
      const journal = { p50: mid((s) => s.journalUs.p50), p99: mid((s) => s.journalUs.p99) };
      latency = {
        command: options.caseCommand('latency'),
        chainLength: p.chainLength,
        fsyncSamples: p.fsyncSamples,
        warmup: `${plural(p.warmupChains, 'chain')} of ${count(p.chainLength)} in memory, then one journaled chain of ${p.warmupJournalChainLength}`,
        memory,
        journal,
        fsync: { p50: mid((s) => s.fsyncUs.p50), p99: mid((s) => s.fsyncUs.p99) },
        journalCostP50: journal.p50 - memory.p50,
        samples,
      };
    }

    if (options.cases.has('resume')) {
      const p = profile.resume;
      log(`— 4. resume of layered ${formatSize(p.size)} with ${formatSize(p.completedBefore)} completed —`);
      const runId = 'resume-bench';
      const crashedFile = path.join(base, 'resume-crashed', journalFileName(runId));
      const prepared = await attempt<ResumePrepareResult>(
        `resume set-up: layered ${formatSize(p.size)} journaled, cut after ${formatSize(p.completedBefore)} task.completed`,
        {
          kind: 'resume-prepare',
          size: p.size,
          seed: SEED,
          completedBefore: p.completedBefore,
          runId,
          scratchDir: path.join(base, 'resume-full'),
          crashedFile,
        },
        (s) => `${count(s.keptEvents)} of ${count(s.fullEvents)} events kept, ${formatNumber(s.bytes / 1e6)} MB`,
      );
      const samples: ResumeSample[] = [];
      if (prepared !== undefined) {
        for (let r = 0; r < runs; r++) {
          stops.check(); // before the folder is made: the clean-up may be removing `base`
          const dir = path.join(base, `resume-${r}`);
          mkdirSync(dir, { recursive: true });
          copyFileSync(crashedFile, path.join(dir, journalFileName(runId)));
          const result = await attempt<ResumeSample>(
            `resume layered ${formatSize(p.size)} · ${round(r)}`,
            { kind: 'resume', size: p.size, runId, dir },
            (s) => `first task.started after ${formatNumber(s.toFirstStartedMs)} ms, end after ${formatNumber(s.toEndMs)} ms`,
          );
          if (result !== undefined) samples.push(result);
        }
      }
      resume = {
        command: options.caseCommand('resume'),
        size: p.size,
        completedBefore: p.completedBefore,
        prepared,
        medianToResumedMs: median(samples.map((s) => s.toResumedMs)),
        medianToFirstStartedMs: median(samples.map((s) => s.toFirstStartedMs)),
        medianToEndMs: median(samples.map((s) => s.toEndMs)),
        samples,
      };
    }
  } finally {
    endLoop();
    await cleanUp();
    stops.dispose(); // kept after a signal: its handler exits once the clean-up is done
  }

  const partial = { layered, postgres, latency, resume };
  return {
    profile: profile.name,
    ...invocation(),
    startedAt,
    finishedAt: new Date().toISOString(),
    machine,
    loadAverageAtEnd: os.loadavg(),
    source: sourceInfo(ROOT),
    rxdagLib: lib,
    runs,
    resultsFile:
      path.isAbsolute(path.relative(ROOT, options.resultsFile)) || path.relative(ROOT, options.resultsFile).startsWith('..')
        ? options.resultsFile
        : path.relative(ROOT, options.resultsFile),
    journalDir,
    targets: evaluateTargets(partial),
    ...partial,
    failures,
  };
}

/** How long a signal waits for the loop's current step to end before cleaning up anyway. */
const LOOP_STOP_GRACE_MS = 10_000;

export function variantLabel(variant: LayeredSample['variant']): string {
  return variant === 'memory' ? 'in memory' : `file journal, sync: '${variant}'`;
}

function summarizeLayered(samples: readonly LayeredSample[]): LayeredSummary[] {
  const memory = median(samples.filter((s) => s.variant === 'memory').map((s) => s.usPerTask));
  return JOURNAL_VARIANTS.map((variant) => {
    const of = samples.filter((s) => s.variant === variant);
    const us = median(of.map((s) => s.usPerTask));
    return {
      variant,
      runs: of.length,
      medianUsPerTask: us,
      ratioToMemory: Number.isFinite(us) && Number.isFinite(memory) && memory > 0 ? us / memory : undefined,
      medianEvents: median(of.map((s) => s.events)),
      medianGroups: median(of.map((s) => s.groups)),
      medianJournalBytes: median(of.map((s) => s.journalBytes)),
    };
  });
}

/** A ratio with 2 decimals, 3 when 2 would print the limit itself (1.503 is not 1.50 ≤ 1.5). */
function ratioText(value: number, limit: number): string {
  return value.toFixed(2) === limit.toFixed(2) && value !== limit ? value.toFixed(3) : value.toFixed(2);
}

type Measured = Pick<JournalReport, 'layered' | 'postgres' | 'latency' | 'resume'>;

/** The journal's targets, judged on this run (reported, never asserted). */
export function evaluateTargets({ layered, postgres, resume }: Measured): JournalTarget[] {
  const targets: JournalTarget[] = [];
  const ratioTarget = (variant: 'fsync' | 'none', limit: number): JournalTarget => {
    const id = variant === 'fsync' ? 'fsync-ratio' : 'none-ratio';
    const target = `file journal, sync: '${variant}' ≤ ${limit}× in memory (layered ${layered === null ? '100k' : formatSize(layered.size)}, µs/task)`;
    const row = layered?.summary.find((s) => s.variant === variant);
    const memory = layered?.summary.find((s) => s.variant === 'memory');
    if (row?.ratioToMemory === undefined || memory === undefined)
      return { id, target, measured: layered === null ? 'not run' : 'no result', status: 'not measured' };
    return {
      id,
      target,
      measured: `${ratioText(row.ratioToMemory, limit)}× (${formatNumber(row.medianUsPerTask)} vs ${formatNumber(memory.medianUsPerTask)} µs/task)`,
      status: row.ratioToMemory <= limit ? 'met' : 'missed',
    };
  };
  targets.push(ratioTarget('fsync', 3), ratioTarget('none', 1.5));

  const pgTarget = `PostgreSQL journal ≥ 20,000 events/s (layered ${postgres === null ? '10k' : formatSize(postgres.size)}: events journaled / wall time of the run)`;
  if (postgres?.medianEventsPerSecond === undefined) {
    const why = postgres === null ? 'not run' : (postgres.skipped ?? 'no result');
    targets.push({ id: 'postgres-events', target: pgTarget, measured: `skipped: ${why}`, status: 'not measured' });
  } else {
    targets.push({
      id: 'postgres-events',
      target: pgTarget,
      measured: `${formatNumber(postgres.medianEventsPerSecond)} events/s (raw append of the same groups: ${formatNumber(postgres.medianRawEventsPerSecond)} events/s)`,
      status: postgres.medianEventsPerSecond >= 20_000 ? 'met' : 'missed',
    });
  }

  const resumeTarget = `resume of layered ${resume === null ? '100k' : formatSize(resume.size)} with ${resume === null ? '50k' : formatSize(resume.completedBefore)} completed: subscribe → first task.started ≤ 2 s`;
  if (resume === null || !Number.isFinite(resume.medianToFirstStartedMs)) {
    targets.push({
      id: 'resume-first-task',
      target: resumeTarget,
      measured: resume === null ? 'not run' : 'no result',
      status: 'not measured',
    });
  } else {
    targets.push({
      id: 'resume-first-task',
      target: resumeTarget,
      measured: `${formatNumber(resume.medianToFirstStartedMs)} ms (to the run's end: ${formatNumber(resume.medianToEndMs)} ms)`,
      status: resume.medianToFirstStartedMs <= 2000 ? 'met' : 'missed',
    });
  }
  return targets;
}

/** A case in the runner itself, on the build `lib` as a child would load it. */
function runHere(spec: JournalCaseSpec, lib: 'src' | 'dist'): Promise<JournalCaseResult> {
  process.env.RXDAG_BENCH_LIB = lib;
  return runJournalCase(spec);
}
