import { unitsIn } from '../dag/taskLimits';
import type { ReplayedRun } from '../journal/replay';
import { dispatchClasses } from './dispatchClasses';
import { ReadyTasks } from './pipelineSignals';
import type { RunController } from './runController';
import type { RunHost } from './runHost';

/**
 * How a run whose process died picks up where it was, once its start is handled: `run.resumed`;
 * the rate windows of its limits count the starts its journal holds, and the pauses a failure
 * asked of its limits hold for what is left of them; the attempts that were in flight go back to
 * the ready queue before every other task (they held their slots and limits, and a remote one
 * may still be running), then the ready tasks (their `task.ready` is in the journal);
 * the tasks whose dependencies had all ended are made ready; each retry waits for what is left
 * of its backoff (never more than all of it: the journal's times may come from a clock ahead of
 * this process's). A run that died while being ended early is ended again.
 *
 * It reads no journal (`journal/replay.ts` did) and starts nothing itself: the run controller
 * and its parts carry each step out, as for a run that never stopped.
 */
export function resumeRun(run: RunController, replayed: ReplayedRun, host: Pick<RunHost, 'signalReady' | 'now' | 'maxConcurrency'>): void {
  const { state, interrupted, ready, unblocked, retries, limitedStarts, limitPauses } = replayed;
  run.writer.resumed(run.dag.id, run.dag.size, interrupted, host.maxConcurrency, run.options.metadata);
  // rate windows go on across the crash: starts the journal has still count
  const { index } = run.dag;
  const { classOf } = dispatchClasses(index);
  // (a start after now, by a clock ahead of this process's, counts as made now)
  const now = host.now();
  for (const [task, at] of limitedStarts) {
    const weight = index.weight?.[task] ?? 1;
    const own = index.limitUnits?.[task];
    for (const limit of run.classes[classOf[task]!]!.limits) limit.record(unitsIn(own, limit.name, weight), Math.min(at, now));
  }
  // so do the pauses a failure asked for, no longer than all of one from now (a clock ahead of this one)
  for (const [task, until, ms] of limitPauses)
    for (const limit of run.classes[classOf[task]!]!.limits) limit.pause(Math.min(until, now + ms), Math.min(until - ms, now));
  if (state.counts.cancelled > 0) {
    // the process died while ending the run early (tasks are cancelled only then): finish that
    run.endEarly(replayed.endsAs);
    return;
  }
  if (interrupted.length > 0) host.signalReady(new ReadyTasks(run, interrupted, true));
  if (ready.length > 0) host.signalReady(new ReadyTasks(run, ready));
  run.readiness.readyOrSkip(unblocked);
  run.readiness.readyUnblocked();
  // no longer than the whole backoff: the failure's clock may have been ahead of this one
  for (const [task, retry] of retries) run.retries.wait(task, retry.attempt, Math.min(retry.waitMs, Math.max(0, retry.dueAt - now)));
}
