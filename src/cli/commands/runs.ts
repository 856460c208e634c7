/**
 * `rxdag runs [--store …] [--json] [--status S,…] [--dag ID] [--limit N]`: the runs of a store,
 * newest first: a table (run id, DAG, status, started, took, completed/failed/skipped/total), or
 * with `--json` one object per line exactly as the library's `journal.runs()` gives it; only
 * those of the statuses and the DAG given, at most the newest N. Bad options: every problem on
 * its own line, exit 2, before the store is opened. A folder without a store is no error: it
 * says there are no runs (exit 0). A store that cannot be read or reached: one line, exit 2; a
 * run's file that cannot be read: the others listed, then one line for it on stderr, exit 2; a
 * run removed while it lists (by `rxdag prune` in another process) is not listed, no error.
 * An interrupted run of a folder whose journal ends with a torn line (a write cut short by a
 * crash or a full disk, which `rxdag resume` sets aside): one note on stderr, exit 0.
 * It changes nothing in the store but the lock a killed process left on a run that had ended.
 */
import { escapeControls } from '../../dag/text';
import type { JournaledRunStatus, JournaledRunSummary } from '../../index';
import { ExitCode } from '../exitCodes';
import { InvalidInputError, type Problem } from '../problems';
import { runsTable } from '../output/runsTable';
import { openStore, type Store, storeExists } from '../store/openStore';
import { headersAtOnce, listRuns, NO_JOURNAL, startedOver } from '../store/runList';
import { runCountProblem } from '../store/pruneSelection';
import { asRefusal, setAsideHint } from '../store/storeErrors';
import { tornTailNote } from '../store/tornTailNote';
import { type StoreLocation, storeLocation } from '../store/storeLocation';
import type { CliIo } from './cliIo';
import { jsonLine } from '../output/jsonLine';

/** `rxdag runs` options as commander hands them over. */
export interface RawRunsOptions {
  readonly store?: string;
  readonly json?: boolean;
  readonly status?: string;
  readonly dag?: string;
  readonly limit?: string;
}

/** Which runs to list: of these statuses (all when undefined), of this DAG, at most this many (newest first). */
interface RunFilter {
  readonly statuses: ReadonlySet<JournaledRunStatus> | undefined;
  readonly dagId: string | undefined;
  readonly limit: number;
}

const STATUSES: readonly JournaledRunStatus[] = ['running', 'interrupted', 'succeeded', 'failed', 'cancelled'];

/**
 * Whether nothing was ever journaled into `store`: a folder without runs (it is there), or a
 * database schema without the journal's tables (a misspelt name), not one whose runs were all removed.
 */
async function journaledNothing(store: Store): Promise<boolean> {
  if (store.hasJournal === undefined) return true;
  return !(await store.hasJournal().catch((error: unknown) => asRefusal(error, store.location)));
}

export async function runsCommand(raw: RawRunsOptions, io: CliIo): Promise<number> {
  const filter = runFilterOf(raw);
  const location = storeLocation(raw.store, process.env);
  const none = `no runs: ${location.label} ${NO_JOURNAL}`;
  // with --json, stdout holds JSON lines only: saying there are none is for stderr
  const say = (line: string) => (raw.json === true ? io.stderr : io.stdout).write(`${line}\n`);
  if (!storeExists(location)) {
    say(none);
    return ExitCode.ok;
  }
  const store = openStore(location, 'read');
  try {
    const listed = await listRuns(store.journal).catch((error: unknown) => asRefusal(error, location));
    const { unreadable } = listed;
    const runs = selected(listed.runs, filter);
    if (runs.length === 0 && unreadable.length === 0) {
      if (listed.runs.length > 0) say(`no runs of ${listed.runs.length} in ${location.label} match ${describeFilter(filter)}`);
      else say((await journaledNothing(store)) ? none : `no runs in the store ${location.label}`);
    } else if (raw.json === true) for (const run of runs) io.stdout.write(jsonLine(run));
    else if (runs.length > 0) {
      const shown = new Set(runs.map((run) => run.runId));
      const followed = new Set((await startedOver(store.journal, listed.runs, { atOnce: headersAtOnce(location), only: shown })).keys());
      io.stdout.write(`${runsTable(runs, followed).join('\n')}\n`);
    }
    // escaped: a file name or a line of a file not rxdag's may hold terminal controls
    for (const error of unreadable)
      io.stderr.write(`rxdag: ${escapeControls(`${error.message} (left out of the list${setAsideHint(error, location)})`)}\n`);
    for (const line of tornTailNotes(location, runs)) io.stderr.write(`${line}\n`);
    return unreadable.length === 0 ? ExitCode.ok : ExitCode.invalid;
  } finally {
    await store.close();
  }
}

/** The filter `raw` asks for; every bad option said at once (exit 2), before the store is opened. */
function runFilterOf(raw: RawRunsOptions): RunFilter {
  const problems: Problem[] = [];
  let statuses: Set<JournaledRunStatus> | undefined;
  if (raw.status !== undefined) {
    const given = raw.status.split(',').map((status) => status.trim());
    const unknown = given.filter((status) => !(STATUSES as readonly string[]).includes(status));
    if (unknown.length > 0) {
      problems.push({
        message: `--status must be one or more of ${STATUSES.join(', ')}, separated by commas (got ${JSON.stringify(raw.status)})`,
      });
    } else statuses = new Set(given as JournaledRunStatus[]);
  }
  if (raw.dag !== undefined && raw.dag === '') problems.push({ message: '--dag must name a DAG id (got "")' });
  let limit = Number.POSITIVE_INFINITY;
  if (raw.limit !== undefined) {
    limit = /^\d+$/.test(raw.limit) ? Number(raw.limit) : Number.NaN;
    if (!Number.isSafeInteger(limit) || limit < 1)
      problems.push({ message: `--limit ${runCountProblem(raw.limit, 1)} (got ${JSON.stringify(raw.limit)})` });
  }
  if (problems.length > 0) throw new InvalidInputError(problems);
  return { statuses, dagId: raw.dag, limit };
}

/** The runs `filter` keeps, newest first as listed. */
function selected(runs: readonly JournaledRunSummary[], filter: RunFilter): readonly JournaledRunSummary[] {
  const kept = runs.filter(
    (run) =>
      (filter.statuses === undefined || filter.statuses.has(run.status)) && (filter.dagId === undefined || run.dagId === filter.dagId),
  );
  return kept.length > filter.limit ? kept.slice(0, filter.limit) : kept;
}

/** What a filter asks, in the words of its options: `--status interrupted --dag etl`. */
function describeFilter(filter: RunFilter): string {
  const parts: string[] = [];
  if (filter.statuses !== undefined) parts.push(`--status ${[...filter.statuses].join(',')}`);
  if (filter.dagId !== undefined) parts.push(`--dag ${JSON.stringify(filter.dagId)}`);
  return parts.join(' ');
}

/**
 * A note for each listed `interrupted` run of a folder whose journal ends with a torn line (read
 * from each file's end: one byte when it is whole). Not for a running run: its owner may be
 * writing that line.
 */
function tornTailNotes(location: StoreLocation, runs: readonly JournaledRunSummary[]): string[] {
  return runs.flatMap((run) => (run.status === 'interrupted' ? (tornTailNote(location, run.runId) ?? []) : []));
}
