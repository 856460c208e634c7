import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { Dag, DagEvent } from '../../index';
import { formatEvent } from './formatEvent';
import type { Reporter } from './reporter';
import { RunTally } from './runTally';

/** The stream the bar draws on: a TTY (or a stand-in with `isTTY: true` in specs). */
export type ProgressStream = NodeJS.WritableStream & { readonly isTTY?: boolean; readonly columns?: number };

const FORMAT = '{bar} {value}/{total} done | {running} running | {ready} ready | {failed} failed | {duration_formatted} | {now}';

/**
 * Live progress on a terminal: one bar with counts of done/running/ready/failed tasks, the
 * elapsed time and what runs now, redrawn at most 10 times a second whatever the event rate.
 * Failures and retries are printed above the bar as they happen, and the final line stays.
 */
export function progressReporter(stream: ProgressStream, dag: Dag): Reporter {
  const tally = new RunTally(dag);
  const multibar = new MultiBar(
    { format: FORMAT, stream, hideCursor: true, clearOnComplete: false, stopOnComplete: false, fps: 10, barsize: 20, emptyOnZero: true },
    Presets.shades_classic,
  );
  // Created at `dag.created`, when the total is known.
  let bar: SingleBar | undefined;
  let startedAt = 0;

  const payload = () => ({
    running: tally.count('running'),
    ready: tally.count('ready'),
    failed: tally.count('failed'),
    now: describeRunning(tally.running()),
  });

  return {
    onEvent(event: DagEvent) {
      tally.apply(event);
      if (event.type === 'dag.created') {
        startedAt = event.at;
        bar = multibar.create(event.taskCount, 0, payload());
        return;
      }
      if (event.type === 'task.failed' || event.type === 'task.timed-out' || event.type === 'task.stuck' || event.type === 'task.skipped') {
        multibar.log(`${formatEvent(event, startedAt)}\n`);
      }
      if (event.type === 'tasks.spawned') bar?.setTotal(tally.total);
      bar?.update(tally.finished, payload());
      if (event.type === 'dag.completed') {
        bar?.update(tally.finished, { ...payload(), now: event.outcome });
        multibar.update(); // writes the lines logged since the last redraw: stop() would drop them
        multibar.stop();
        stream.write(`${formatEvent(event, startedAt)}\n`);
      }
    },
    finish: () => multibar.stop(),
  };
}

function describeRunning(running: readonly string[]): string {
  if (running.length === 0) return '';
  const shown = running.slice(0, 3).join(', ');
  return running.length > 3 ? `${shown} +${running.length - 3} more` : shown;
}
