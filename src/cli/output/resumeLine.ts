/**
 * What the line a resume starts with says of where the run was when it stopped:
 * `4/10 tasks had completed (1 failed); waiting to retry: fetch; running again: test, lint`. It
 * reads the run's journaled events; it decides nothing of what runs again (the library does).
 */
import type { DagEvent } from '../../index';
import { firstNames } from '../../dag/text';
import { IN_FLIGHT_NAMED } from './formatEvent';

/**
 * Where the run of `history` was: its tasks that had completed out of all, those that failed or
 * were skipped, those waiting to retry, and what becomes of the attempts `interrupted` (see
 * {@link inFlightNow}).
 */
export function whereItWas(history: readonly DagEvent[], interrupted: readonly string[], remote: boolean, ranRemote: boolean): string {
  const completed = history.filter((event) => event.type === 'task.completed').length;
  const had = `${completed}/${totalOf(history)} tasks had completed`;
  // its process died while ending it early (tasks are cancelled only then): the resume finishes that
  if (history.some((event) => event.type === 'task.cancelled'))
    return `${had}${endedOtherwise(history, false)}; it was ending early (tasks cancelled): the rest is cancelled now, nothing runs`;
  return `${had}${endedOtherwise(history, true)}${inFlightNow(interrupted, remote, ranRemote)}`;
}

/**
 * What else the run's tasks had come to, said after "N/M tasks had completed": ` (1 failed, 2
 * skipped); waiting to retry: fetch` (with `retries`); nothing when none failed, was skipped or waits for a retry.
 */
function endedOtherwise(history: readonly DagEvent[], retries: boolean): string {
  let failed = 0;
  let skipped = 0;
  const retrying = new Set<string>();
  for (const event of history) {
    if (event.type === 'task.failed') {
      if (event.willRetry) retrying.add(event.taskId);
      else failed++;
    } else if (event.type === 'task.skipped') skipped++;
    // started again, or ended without it (a cancel recorded in part)
    if (event.type === 'task.started' || event.type === 'task.cancelled' || event.type === 'task.skipped') retrying.delete(event.taskId);
  }
  const ended = [failed > 0 ? `${failed} failed` : '', skipped > 0 ? `${skipped} skipped` : ''].filter((part) => part !== '');
  return (
    (ended.length === 0 ? '' : ` (${ended.join(', ')})`) +
    (retrying.size === 0 || !retries ? '' : `; waiting to retry: ${firstNames([...retrying], IN_FLIGHT_NAMED)}`)
  );
}

/**
 * What becomes of the attempts in flight when the run stopped: run again (here, or on workers
 * when the run ran them here and resumes with `--redis`), or, sent to workers before, taken up
 * where they are (still queued, running, or finished with a result to read).
 */
function inFlightNow(interrupted: readonly string[], remote: boolean, ranRemote: boolean): string {
  if (interrupted.length === 0) return '';
  const tasks = firstNames(interrupted, IN_FLIGHT_NAMED);
  if (remote && ranRemote) return `; taking up on workers: ${tasks}`;
  return `; running again${remote ? ' on workers' : ''}: ${tasks}`;
}

/** Tasks of the run so far: those of its `dag.created` and those spawned since. */
function totalOf(history: readonly DagEvent[]): number {
  return history.reduce(
    (sum, event) => sum + (event.type === 'dag.created' ? event.taskCount : event.type === 'tasks.spawned' ? event.tasks.length : 0),
    0,
  );
}
