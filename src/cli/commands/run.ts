/**
 * `rxdag run FILE`: loads a DAG file, journals the run into the store (`.rxdag/` of the working
 * directory unless `--store`, `RXDAG_STORE` or `--no-journal` say otherwise) under a new run id
 * printed on stderr, and drives it to its exit code (see `driveRun.ts`). Every check is made
 * before anything runs: the file, the options, the output paths, and whether the store can be
 * written (exit 2 with every problem).
 *
 * It does not decide how tasks run (the agents do), how output looks (the reporters do) nor
 * what the journal holds (the library does).
 */
import type { SchedulerOptions } from '../../index';
import { loadDagFile } from '../dagFile/loadDagFile';
import { InvalidInputError } from '../problems';
import { depsOf } from '../report/reportInput';
import { newRunId } from '../store/runId';
import { openStore, type Store } from '../store/openStore';
import { storeFlag, storeLocation } from '../store/storeLocation';
import type { CliIo } from './cliIo';
import { createRun } from './createRun';
import { driveRun } from './driveRun';
import { type RawRunOptions, resolveRunOptions, type RunCommandOptions } from './runOptions';
import { outputProblems } from './writeTarget';

/**
 * Runs a DAG file and resolves with the exit code: 0 every task succeeded, 1 a task failed, 74
 * an output or the journal could not be written, 130/143 stopped by SIGINT/SIGTERM. Invalid
 * input (the file, the options, output paths, a store that cannot be written) throws
 * `InvalidInputError` (exit 2) before anything runs; so does a store that refuses the run when
 * it starts (a database that cannot be reached). An empty DAG runs (and succeeds) after a warning.
 */
export async function runCommand(file: string, raw: RawRunOptions, io: CliIo): Promise<number> {
  const options = resolveRunOptions(raw, io.stdout.isTTY === true && io.stderr.isTTY === true);
  const loaded = loadDagFile(file);
  const store = options.journal ? openStore(storeLocation(options.store, process.env), 'write') : undefined;
  try {
    const runId = store === undefined ? undefined : newRunId(loaded.dag.id);
    const { run, groups } = createRun(loaded, schedulerOptions(options, store, runId), options.killGraceMs);
    const problems = outputProblems(file, options.eventsPath, options.reportPath);
    if (problems.length > 0) throw new InvalidInputError(problems);
    if (loaded.dag.size === 0) io.stderr.write(`rxdag: warning: ${file} has no tasks; nothing to run\n`);
    const where = store?.location;
    return await driveRun(
      {
        run,
        groups,
        dag: loaded.dag,
        deps: depsOf(loaded.dag),
        source: file,
        ...(store === undefined ? {} : { store: store.location, journal: store.journal }),
        ...(where === undefined || runId === undefined
          ? {}
          : { announce: () => `rxdag: run ${runId} (journal ${where.label}; resume with: rxdag resume ${runId}${storeFlag(where)})` }),
      },
      options,
      io,
    );
  } finally {
    await store?.close();
  }
}

function schedulerOptions(
  options: RunCommandOptions,
  store: Store | undefined,
  runId: string | undefined,
): Omit<SchedulerOptions, 'agents'> {
  return {
    mode: options.mode,
    failurePolicy: options.failFast ? 'fail-fast' : 'skip-dependents',
    ...(options.maxConcurrency === undefined ? {} : { maxConcurrency: options.maxConcurrency }),
    ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
    ...(store === undefined || runId === undefined ? {} : { journal: store.journal, runId }),
  };
}
