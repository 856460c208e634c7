/**
 * Estimates from history: `rxdag run` fills in the `estimateMs` of tasks that have none (no
 * `estimateMs` in the file, not a `sleep:`) with the median `durationMs` of the same task id in
 * the newest ended runs of the same DAG id in the store, so the critical path of a real
 * pipeline starts first without hand-written estimates. An attempt a resume restarted is left
 * out (its duration counts from the resume). Which tasks got one, and from which
 * runs, is noted in the run's `metadata` (`estimates`), so `rxdag show` and the report can say
 * so; journals written before it have no note, and a note that is not of this shape is ignored.
 *
 * The work is bounded: at most {@link HISTORY_RUNS} runs are read, and a run is not read when its
 * events would take those read past {@link HISTORY_EVENTS} (the newest is read whatever its
 * size): for a 100k-task DAG, one earlier run. It reads the store and changes nothing in it;
 * a run whose journal cannot be read (corrupt, removed meanwhile) is passed over; a store that
 * answers the listing with an error gives no estimates (the run goes on without them); one that
 * cannot be reached is the run's refusal, thrown as it came.
 */
import type { DagSpec, Journal, TaskSpec } from '../../index';
import { defineDag } from '../../dag/defineDag';
import type { LoadedDag } from '../dagFile/loadDagFile';
import { storeUnanswered } from './storeErrors';

/** The most earlier runs whose durations are read. */
export const HISTORY_RUNS = 5;
/**
 * The events read at most, but for the newest run. Why: reading a run costs its whole journal
 * (~0.5 s and ~40 MB for 100k tasks here), and it delays the run's start.
 */
export const HISTORY_EVENTS = 500_000;

/** The key of the run's `metadata` that notes the estimates taken from history. */
export const ESTIMATES_KEY = 'estimates';

/** What a run notes about its estimates from history. */
export interface EstimatesNote {
  /** Ids of the tasks whose `estimateMs` came from earlier runs. */
  readonly fromHistory: readonly string[];
  /** The runs they came from, newest first. */
  readonly runs: readonly string[];
}

/** Estimates by task id, and the runs they came from. */
export interface HistoryEstimates {
  readonly estimates: ReadonlyMap<string, number>;
  readonly runs: readonly string[];
}

/**
 * The median duration of each of `taskIds` in the newest ended runs of `dagId` (tasks that never
 * completed in them get none). Resolves with nothing found when the store cannot answer.
 */
export async function historyEstimates(journal: Journal, dagId: string, taskIds: ReadonlySet<string>): Promise<HistoryEstimates> {
  const durations = new Map<string, number[]>();
  const runs: string[] = [];
  if (taskIds.size === 0) return { estimates: new Map(), runs };
  try {
    // asked only for the DAG's ended runs: a store's runs that never ended are not read whole
    const ended = (await journal.runs({ onUnreadable: () => undefined, dagId, endedOnly: true })).filter(
      (run) => run.dagId === dagId && (run.status === 'succeeded' || run.status === 'failed' || run.status === 'cancelled'),
    );
    let read = 0;
    for (const run of ended.slice(0, HISTORY_RUNS)) {
      if (read > 0 && read + run.lastSeq > HISTORY_EVENTS) break;
      const events = await readable(journal, run.runId);
      if (events === undefined) continue; // a journal found corrupt, or removed since the listing: the others still tell
      read += run.lastSeq; // its summary's count, the one judged before reading
      let used = false;
      // attempts a resume restarted: a remote one re-attached to its job, so its duration counts
      // from the resume, not from when it began; none of them measures the task
      let restarted: Set<string> | undefined;
      for (const event of events) {
        if (event.type === 'run.resumed') for (const taskId of event.interrupted) (restarted ??= new Set()).add(taskId);
        if (event.type !== 'task.completed' || !taskIds.has(event.taskId)) continue;
        if (restarted?.delete(event.taskId) === true) continue;
        let list = durations.get(event.taskId);
        if (list === undefined) durations.set(event.taskId, (list = []));
        list.push(event.durationMs);
        used = true;
      }
      if (used) runs.push(run.runId);
    }
  } catch (error) {
    // a server that could not be reached would fail the run's own record too, after as long a wait: said now
    if (storeUnanswered(error)) throw error;
    return { estimates: new Map(), runs: [] };
  }
  const estimates = new Map<string, number>();
  for (const [taskId, list] of durations) estimates.set(taskId, median(list));
  return { estimates, runs };
}

/** The ids of the tasks of `spec` that have no `estimateMs`: those history may give one. */
export function tasksWithoutEstimate(spec: DagSpec): Set<string> {
  const ids = new Set<string>();
  for (const task of spec.tasks) if (task.estimateMs === undefined) ids.add(task.id);
  return ids;
}

/** `spec` with the estimates filled in (only for tasks without one), and the note to keep. */
export function withHistory(spec: DagSpec, history: HistoryEstimates): { spec: DagSpec; note: EstimatesNote } | undefined {
  const fromHistory: string[] = [];
  const tasks = spec.tasks.map((task): TaskSpec => {
    const estimateMs = task.estimateMs === undefined ? history.estimates.get(task.id) : undefined;
    if (estimateMs === undefined) return task;
    fromHistory.push(task.id);
    return { ...task, estimateMs };
  });
  if (fromHistory.length === 0) return undefined;
  return { spec: { ...spec, tasks }, note: { fromHistory, runs: history.runs } };
}

/**
 * `loaded` with the estimates of its tasks that have none filled in from the store's earlier
 * runs of its DAG, and the note to keep in the run's `metadata`; `loaded` itself when history
 * has none to give.
 */
export async function fillFromHistory(loaded: LoadedDag, journal: Journal): Promise<{ loaded: LoadedDag; note?: EstimatesNote }> {
  const history = await historyEstimates(journal, loaded.dag.id, tasksWithoutEstimate(loaded.spec));
  const filled = withHistory(loaded.spec, history);
  if (filled === undefined) return { loaded };
  return { loaded: { ...loaded, spec: filled.spec, dag: defineDag(filled.spec) }, note: filled.note };
}

/** The note of a run's `metadata`, when it has one of the right shape. */
export function estimatesNoteOf(metadata: Readonly<Record<string, unknown>> | undefined): EstimatesNote | undefined {
  const note = metadata?.[ESTIMATES_KEY];
  if (typeof note !== 'object' || note === null) return undefined;
  const { fromHistory, runs } = note as Record<string, unknown>;
  if (!isStringList(fromHistory) || !isStringList(runs)) return undefined;
  return { fromHistory, runs };
}

function isStringList(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

/** The middle value (the mean of the two middle ones for an even count), rounded to the millisecond. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return Math.round(sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2);
}

/** The events of run `runId`, or undefined when its journal cannot be read; a store that cannot be reached throws. */
async function readable(journal: Journal, runId: string): Promise<Awaited<ReturnType<Journal['events']>> | undefined> {
  try {
    return await journal.events(runId);
  } catch (error) {
    if (storeUnanswered(error)) throw error;
    return undefined;
  }
}
