/**
 * What `rxdag show RUN_ID` says about one journaled run, from its header and events: a summary
 * (DAG, status, start, duration, counts, how many times it was resumed), every task that failed
 * for good with its error (a shell task's last lines of output are in it), and each task's timing:
 * when it first started (from the run's start), how long it took to its outcome (marked when
 * that spans a stop and resume of the run), how many attempts started, and the worker that ran it when it ran remotely; the run's limits, what
 * each task asked of them (`limits`, `weight`, `when`), its estimate (and whether it came from
 * earlier runs), and why each skipped task was skipped; a task spawned during the run has its
 * rules from its `tasks.spawned` event, and in `--json` the task that spawned it and each
 * completed task's output. As data
 * (`--json`) and as text. Pure: the command reads the store.
 */
import type { DagEvent, FailurePolicy, JournaledRunSummary, JournalHeader, LimitSpec, TaskCounts, TaskFailure } from '../../index';
import { escapeControls } from '../../dag/text';
import { formatMs } from '../report/html';
import type { EstimatesNote } from '../store/historyEstimates';
import { failureList, failuresOf } from './failureList';
import {
  type BecauseEnded,
  describeEstimate,
  describeLimits,
  describeRules,
  journaledSetupOf,
  skipReason,
  type TaskSetup,
  withSpawnedTasks,
} from './runSetup';
import { elapsedMs, formatClock, textTable } from './textTable';

/** Where one task of the run is. */
export type TaskState = 'pending' | 'ready' | 'running' | 'interrupted' | 'retrying' | 'completed' | 'failed' | 'skipped' | 'cancelled';

/** One task's line of `rxdag show`. */
export interface TaskTiming {
  readonly id: string;
  readonly state: TaskState;
  /** Wall-clock ms of its first `task.started`. */
  readonly startedAt?: number;
  /** From its first start to its outcome (retries and their backoff included). */
  readonly durationMs?: number;
  /** Its time spans a stop and resume of the run: `durationMs` includes the time no process ran it. */
  readonly acrossResume?: true;
  /** Attempts that started (an attempt run again after a crash counts once). */
  readonly attempts: number;
  /** `host:pid` of the worker that completed it, for a remote attempt. */
  readonly worker?: string;
  /** Why it was skipped (`dependency "x" failed`, `no dependency failed (when any-failed)`). */
  readonly because?: string;
  /** The task whose agent spawned it, for a task spawned during the run (`--json` only). */
  readonly spawnedBy?: string;
  /** What it completed with (a shell task's `exitCode`, `stdout` and `stderr`), for a completed task (`--json` only). */
  readonly output?: unknown;
  /** The warning it completed with (an agent's error of severity `warning`): its message. */
  readonly warning?: string;
  /**
   * For a task waiting to retry (the run stopped in its backoff, or goes on), or cancelled while
   * it waited: what its last attempt failed with.
   */
  readonly lastError?: string;
  /** Every attempt that failed and was retried, in order, with its error (the failure for good is in `failures`). */
  readonly failedAttempts?: readonly FailedAttempt[];
}

/** An attempt that failed and was retried. */
export interface FailedAttempt {
  readonly attempt: number;
  readonly error: { readonly name: string; readonly message: string };
}

/** A task's line with what it asked of the run (present only where it says something). */
export type TaskDetails = TaskTiming & TaskSetup;

/** Everything `rxdag show` prints, as `--json` gives it. */
export interface RunDetails {
  readonly runId: string;
  readonly dagId: string;
  readonly status: JournaledRunSummary['status'];
  readonly startedAt?: number;
  readonly endedAt?: number;
  readonly durationMs?: number;
  readonly counts: TaskCounts;
  /** What a task failing for good did to the others (the run's `failurePolicy`). */
  readonly failurePolicy: FailurePolicy;
  /** How many times the run was resumed after its process stopped. */
  readonly resumed: number;
  readonly failures: readonly TaskFailure[];
  /** The named limits the run kept to (absent when it had none). */
  readonly limits?: Readonly<Record<string, LimitSpec>>;
  /** The estimates the CLI took from earlier runs (absent when it took none). */
  readonly estimates?: EstimatesNote;
  readonly tasks: readonly TaskDetails[];
}

/** The details of a run from its journal: header, events, and its summary as `journal.runs()` makes it from those events. */
export function runDetails(header: JournalHeader, events: readonly DagEvent[], summary: JournaledRunSummary): RunDetails {
  const tasks = new Map<
    string,
    {
      state: TaskState;
      startedAt?: number;
      endedAt?: number;
      /** How long its completing attempt took, by the clock of the process that ran it. */
      completedInMs?: number;
      acrossResume?: true;
      attempts: Set<number>;
      worker?: string;
      because?: string;
      spawnedBy?: string;
      output?: unknown;
      warning?: string;
      /** The attempts that failed and were retried; the last one's run waits to retry while `waiting`. */
      failedAttempts: FailedAttempt[];
      waiting?: boolean;
    }
  >();
  const task = (id: string) => {
    let found = tasks.get(id);
    if (found === undefined) tasks.set(id, (found = { state: 'pending', attempts: new Set(), failedAttempts: [] }));
    return found;
  };
  for (const spec of header.spec.tasks) task(spec.id);
  let resumed = 0;
  for (const event of events) {
    switch (event.type) {
      case 'tasks.spawned':
        for (const spec of event.tasks) task(spec.id).spawnedBy = event.taskId;
        break;
      case 'task.ready':
      case 'task.retrying':
        Object.assign(task(event.taskId), { state: 'ready', waiting: false });
        break;
      case 'task.started': {
        const row = task(event.taskId);
        Object.assign(row, { state: 'running', startedAt: row.startedAt ?? event.at });
        row.attempts.add(event.attempt);
        break;
      }
      case 'task.completed':
        Object.assign(task(event.taskId), {
          state: 'completed',
          endedAt: event.at,
          completedInMs: event.durationMs,
          ...(event.worker === undefined ? {} : { worker: event.worker }),
          ...(event.output === undefined ? {} : { output: event.output }),
          ...(event.warning === undefined ? {} : { warning: event.warning.message }),
        });
        break;
      case 'task.failed': {
        const row = task(event.taskId);
        if (event.willRetry) {
          row.failedAttempts.push({ attempt: event.attempt, error: { name: event.error.name, message: event.error.message } });
          Object.assign(row, { state: 'retrying', waiting: true });
        } else Object.assign(row, { state: 'failed', endedAt: event.at, ...(event.worker === undefined ? {} : { worker: event.worker }) });
        break;
      }
      case 'task.skipped': {
        const cause = tasks.get(event.because)?.state;
        const ended: BecauseEnded = cause === 'failed' || cause === 'skipped' || cause === 'completed' ? cause : undefined;
        Object.assign(task(event.taskId), { state: 'skipped', endedAt: event.at, because: skipReason(event.because, ended) });
        break;
      }
      case 'task.cancelled':
        Object.assign(task(event.taskId), { state: 'cancelled', endedAt: event.at });
        break;
      case 'run.resumed':
        resumed++;
        for (const id of event.interrupted) task(id).state = 'ready';
        // started and not ended: its time now spans the stop
        for (const row of tasks.values()) if (row.startedAt !== undefined && row.endedAt === undefined) row.acrossResume = true;
        break;
      default:
        break;
    }
  }
  const { startedAt, endedAt } = summary;
  const setup = withSpawnedTasks(journaledSetupOf(header), events);
  const { limits, estimates } = setup;
  return {
    runId: header.runId,
    dagId: header.dagId,
    status: summary.status,
    ...(startedAt === undefined ? {} : { startedAt }),
    ...(endedAt === undefined ? {} : { endedAt }),
    ...(startedAt === undefined || endedAt === undefined ? {} : { durationMs: elapsedMs(startedAt, endedAt) }),
    counts: summary.counts,
    failurePolicy: header.options.failurePolicy,
    resumed,
    failures: failuresOf(events),
    ...(limits === undefined || Object.keys(limits).length === 0 ? {} : { limits }),
    ...(estimates === undefined ? {} : { estimates }),
    tasks: [...tasks].map(([id, row]) => ({
      id,
      // a task whose process stopped under it is not running now
      state: row.state === 'running' && summary.status === 'interrupted' ? 'interrupted' : row.state,
      ...(row.startedAt === undefined ? {} : { startedAt: row.startedAt }),
      // never less than its completing attempt took: a resume on a machine whose clock is behind shortens the rest
      ...(row.startedAt === undefined || row.endedAt === undefined
        ? {}
        : { durationMs: Math.max(elapsedMs(row.startedAt, row.endedAt), row.completedInMs ?? 0) }),
      ...(row.acrossResume === undefined ? {} : { acrossResume: row.acrossResume }),
      attempts: row.attempts.size,
      ...(row.worker === undefined ? {} : { worker: row.worker }),
      ...(row.because === undefined ? {} : { because: row.because }),
      ...(row.spawnedBy === undefined ? {} : { spawnedBy: row.spawnedBy }),
      ...(row.output === undefined ? {} : { output: row.output }),
      ...(row.warning === undefined ? {} : { warning: row.warning }),
      // what the last attempt of a task waiting to retry failed with
      ...(row.waiting !== true || row.failedAttempts.length === 0 ? {} : { lastError: attemptText(row.failedAttempts.at(-1)!) }),
      ...(row.failedAttempts.length === 0 ? {} : { failedAttempts: row.failedAttempts }),
      ...setup.tasks.get(id),
    })),
  };
}

/** What a failure policy other than the default did, in `rxdag show`'s summary. */
const POLICY_WORDS: Readonly<Record<Exclude<FailurePolicy, 'skip-dependents'>, string>> = {
  'fail-fast': 'fail-fast (the first task to fail for good cancelled the rest)',
  continue: 'continue (a task without `when` ran once its dependencies were done, failed or not)',
};

/**
 * The text of `rxdag show`: summary, failures, then the tasks' timings (none with `failuresOnly`,
 * `--failed`). `resumeCommand`, for an interrupted run the command line can resume, is said in the summary.
 */
export function formatRunDetails(details: RunDetails, storeLabel: string, resumeCommand?: string, failuresOnly = false): string {
  const { counts } = details;
  const notEnded = counts.total - counts.completed - counts.failed - counts.skipped - counts.cancelled;
  const started =
    details.startedAt === undefined
      ? 'not started'
      : `${formatClock(details.startedAt)}${details.durationMs === undefined ? '' : `, took ${formatMs(details.durationMs)}`}`;
  const summary = [
    `run ${details.runId}: DAG ${details.dagId}, ${details.status}`,
    `  store    ${storeLabel}`,
    `  started  ${started}`,
    `  tasks    ${counts.total}: ${counts.completed} completed, ${counts.failed} failed, ${counts.skipped} skipped, ${counts.cancelled} cancelled` +
      (notEnded > 0 ? `, ${notEnded} not ended` : ''),
    ...(resumeCommand === undefined ? [] : [`  resume   ${resumeCommand}`]),
    ...(details.failurePolicy === 'skip-dependents' ? [] : [`  policy   ${POLICY_WORDS[details.failurePolicy]}`]),
    ...(details.resumed === 0 ? [] : [`  resumed  ${details.resumed === 1 ? 'once' : `${details.resumed} times`}`]),
    ...(details.limits === undefined ? [] : [`  limits   ${describeLimits(details.limits)}`]),
    ...(details.estimates === undefined
      ? []
      : [
          `  history  estimates of ${details.estimates.fromHistory.length} task${details.estimates.fromHistory.length === 1 ? '' : 's'} from earlier runs: ${details.estimates.runs.join(', ')}`,
        ]),
  ];
  const withWorker = details.tasks.some((task) => task.worker !== undefined);
  const withSpawner = details.tasks.some((task) => task.spawnedBy !== undefined);
  const withRules = details.tasks.some((task) => describeRules(task) !== '');
  const withEstimates = details.tasks.some((task) => task.estimateMs !== undefined);
  const notes = details.tasks.map(noteOf);
  const withNotes = notes.some((note) => note !== '');
  const runStart = details.startedAt ?? 0;
  const tasks = textTable(
    [
      { heading: 'TASK' },
      { heading: 'STATE' },
      { heading: 'STARTED', right: true },
      { heading: 'TOOK', right: true },
      { heading: 'ATTEMPTS', right: true },
      ...(withSpawner ? [{ heading: 'SPAWNED BY' }] : []),
      ...(withWorker ? [{ heading: 'WORKER' }] : []),
      ...(withEstimates ? [{ heading: 'ESTIMATE', right: true }] : []),
      ...(withRules ? [{ heading: 'RULES' }] : []),
      ...(withNotes ? [{ heading: 'WHY' }] : []),
    ],
    details.tasks.map((task, row) => [
      task.id,
      task.state,
      task.startedAt === undefined ? '-' : `+${formatMs(elapsedMs(runStart, task.startedAt))}`,
      task.durationMs === undefined ? '-' : `${formatMs(task.durationMs)}${task.acrossResume === true ? ' (across a resume)' : ''}`,
      String(task.attempts),
      ...(withSpawner ? [task.spawnedBy ?? ''] : []),
      ...(withWorker ? [task.worker ?? ''] : []),
      ...(withEstimates ? [describeEstimate(task) || '-'] : []),
      ...(withRules ? [describeRules(task)] : []),
      ...(withNotes ? [notes[row]!] : []),
    ]),
  );
  const retried = new Map(details.tasks.map((task) => [task.id, task.failedAttempts ?? []]));
  // under each failure for good, how its earlier attempts failed: a killed attempt may be the clue
  const failures = failureList(details.failures, '', Infinity, undefined, ({ taskId, attempt }) =>
    (retried.get(taskId) ?? []).filter((earlier) => earlier.attempt < attempt).map(attemptLine),
  );
  // the header's words, a journal's own: its control characters escaped, as the tables do
  const table = failuresOnly ? '' : `\n${tasks.join('\n')}`;
  return `${summary.map(escapeControls).join('\n')}\n${failures === '' ? '' : `\n${failures}`}${table}\n`;
}

/**
 * The `WHY` of a task's row: why it was skipped; for a retry's wait (or a task cancelled in it),
 * what its attempt failed with; for one that completed, the warning it completed with, and after
 * failed attempts, how many and how the last of them failed (as the report says it); each on one line (the whole errors are in --json).
 */
function noteOf(task: TaskDetails): string {
  if (task.because !== undefined) return task.because;
  if (task.lastError !== undefined) return oneLineOf(task.lastError);
  const failed = task.failedAttempts ?? [];
  if (task.state !== 'completed') return '';
  const warning = task.warning === undefined ? '' : `with a warning${task.warning.trim() === '' ? '' : `: ${oneLineOf(task.warning)}`}`;
  if (failed.length === 0) return warning;
  const after = `after ${failed.length} failed attempt${failed.length === 1 ? '' : 's'}; ${attemptLine(failed.at(-1)!)}`;
  return warning === '' ? after : `${warning}; ${after}`;
}

/** `attempt #2 failed: Name: message`. */
function attemptText({ attempt, error }: FailedAttempt): string {
  return `attempt #${attempt} failed: ${error.name}: ${error.message}`;
}

/** {@link attemptText} on one line. */
function attemptLine(failed: FailedAttempt): string {
  return oneLineOf(attemptText(failed));
}

/**
 * An error on one line: its first, and, when a line of it says lines follow (`last stderr lines:`,
 * on the first line or below, as a timeout's `before its time ran out, …`), the last of them,
 * which is where a command's error is.
 */
function oneLineOf(error: string): string {
  const [first = '', ...rest] = error.split('\n').filter((line) => line.trim() !== '');
  const quotes = [first, ...rest.slice(0, -1)].some((line) => line.trimEnd().endsWith(':'));
  return quotes && rest.length > 0 ? `${first} … ${rest.at(-1)!.trim()}` : first;
}
