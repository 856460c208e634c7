/**
 * The live progress bar of a run on a terminal (cli-progress), with failures and notices printed
 * above it; a resumed run's bar starts from its journal's counts. Not used off a terminal.
 */
import { Format, type GenericFormatter, MultiBar, Presets, type SingleBar } from 'cli-progress';
import { displayWidth } from './displayWidth';
import type { Dag, DagEvent, FailurePolicy } from '../../index';
import { EventFormatter, retryWaitsOf, TEXT_INDENT } from './formatEvent';
import type { Reporter } from './reporter';
import { RunTally } from './runTally';
import { terminalText } from './terminalText';
import { fitting, wrapLines } from './wrapLines';

/** The stream the bar draws on: a TTY (or a stand-in with `isTTY: true` in specs). */
export type ProgressStream = NodeJS.WritableStream & { readonly isTTY?: boolean; readonly columns?: number };

/**
 * Skipped and cancelled counts (`{ended}`) are only shown once one is not zero, and what runs
 * now (`{now}`, with its separator) once something does: while every task waits (a backoff, a
 * rate limit) the line ends with the elapsed time, not with a separator. The last line ends with
 * how the run ended (`{mark}`: `| failed`, `| stopped`), in both forms.
 */
const FORMAT =
  '{bar} {value}/{total} completed | {running} running | {ready} ready{waiting} | {failed} failed{ended} | {duration_formatted}{now}{mark}';
/** {@link FORMAT} without what runs now: the part that must fit for the wide line to be drawn. */
const WIDE_COUNTS = FORMAT.replace('{now}', '');
/** The wide line once the run has ended with nothing running or ready: no zeros to say, room for the bar at 80 columns. */
const ENDED_FORMAT = '{bar} {value}/{total} completed | {failed} failed{ended} | {duration_formatted}{mark}';

/**
 * The line on a terminal narrower than {@link NARROW_COLUMNS}, or where the wide line's counts do
 * not fit: the counts that matter first and no bar (the terminal does not wrap the line while it
 * is drawn: what passes its width would overwrite its last column).
 */
const NARROW_FORMAT = '{value}/{total} completed | {failed} failed | {running} running{waiting} | {duration_formatted}{ended}{mark}';
const NARROW_COLUMNS = 72;

/** Below this width the bar is {@link SHORT_BAR} characters, not 20: room for the counts and how the run ended. */
const WHOLE_BAR_COLUMNS = 100;
const SHORT_BAR = 10;

/** Columns left after the counts for what runs now to be shown at all (` | `, some of a task's id, and `…`). */
const NOW_LEAST_COLUMNS = 13;

/** Width assumed when the stream does not say, or says 0 (as cli-progress does). */
const DEFAULT_COLUMNS = 80;

/**
 * The bar's line as wide as the terminal is now (read at each redraw: a resize changes it): the
 * wide line when its counts fit (what runs now cut short at the edge), else the narrow one, cut
 * to the width with `…`.
 */
function fittedLine(stream: ProgressStream): GenericFormatter {
  return (options, params, payload) => {
    const columns = columnsOf(stream);
    const width = columns - 1; // the last column left empty: a line that fills it wraps on some terminals
    // the bar shorter where the counts would not fit beside a whole one (an 80-column terminal at the run's end)
    const barsize = columns >= WHOLE_BAR_COLUMNS ? options.barsize : SHORT_BAR;
    let shown = payload;
    const line = (format: string) => Format.Formatter({ ...options, barsize, format }, params, shown);
    const idle = String(payload.mark ?? '') !== '' && Number(payload.running) === 0 && Number(payload.ready) === 0;
    let counts = line(idle ? ENDED_FORMAT : WIDE_COUNTS);
    if (!idle && displayWidth(counts) > width && payload.waiting !== '') {
      // the tasks waiting to retry are counted where they fit: the bar does not come and go with a backoff
      shown = { ...payload, waiting: '' };
      counts = line(WIDE_COUNTS);
    }
    const countsWidth = displayWidth(counts);
    if (columns < NARROW_COLUMNS || countsWidth > width) {
      // how the run ended outlasts the skipped and cancelled counts where both do not fit, then
      // the tasks waiting to retry (the narrow line has no bar to keep), before the elapsed time
      // is cut (the last line of a run with nothing running says no 0 running, as the wide one)
      shown = payload;
      const whole = idle ? NARROW_FORMAT.replace(' | {running} running', '') : NARROW_FORMAT;
      const formats = [whole, whole.replace('{ended}', ''), whole.replace('{ended}', '').replace('{waiting}', '')];
      const lines = formats.map(line);
      return cutTo(lines.find((narrow) => displayWidth(narrow) <= width) ?? lines.at(-1)!, width);
    }
    // what runs now, cut with `…`, where some of it fits; else left out (the bar stays: it does not come and go)
    const now = String(payload.now ?? '');
    return now !== '' && countsWidth + NOW_LEAST_COLUMNS <= width ? cutTo(line(FORMAT), width) : counts;
  };
}

/** `text` within `width` screen columns: whole, or cut at a character with `…` in the last column. */
function cutTo(text: string, width: number): string {
  return displayWidth(text) <= width ? text : `${text.slice(0, fitting(text, width - 1))}…`;
}

/** Turns the terminal's line wrapping on; off. */
const LINE_WRAP_ON = '\x1b[?7h';
const LINE_WRAP_OFF = '\x1b[?7l';

/** Shows the cursor and turns the terminal's line wrapping on; hides it and turns it off. */
const TERMINAL_BACK = `\x1b[?25h${LINE_WRAP_ON}`;
const TERMINAL_TAKEN = `\x1b[?25l${LINE_WRAP_OFF}`;

/** The streams whose bar is drawn now, and whether it is (a bar appears at the run's first event). */
const drawnOn = new Map<ProgressStream, () => boolean>();

/** Ctrl-Z: each terminal gets its cursor and line wrapping back, then the process stops as SIGTSTP stops it. */
function suspend(): void {
  for (const [stream, drawing] of drawnOn) if (drawing()) stream.write(TERMINAL_BACK);
  // the handler out of the way, the signal again stops the process by its default action
  process.off('SIGTSTP', suspend);
  process.kill(process.pid, 'SIGTSTP');
}

/** `fg`: each bar takes the terminal again, and the next Ctrl-Z is heard. */
function resume(): void {
  for (const [stream, drawing] of drawnOn) if (drawing()) stream.write(TERMINAL_TAKEN);
  listen();
}

function listen(): void {
  if (!process.listeners('SIGTSTP').includes(suspend)) process.on('SIGTSTP', suspend);
  if (!process.listeners('SIGCONT').includes(resume)) process.on('SIGCONT', resume);
}

/**
 * Ctrl-Z while the bar is drawn: the shell gets the cursor and line wrapping back while the CLI
 * is stopped, and the bar takes them again on `fg` (while `drawing()`). One handler for every
 * bar of the process. Returns what forgets this stream's bar (the last one removes the handler).
 */
function onSuspend(stream: ProgressStream, drawing: () => boolean): () => void {
  if (stream.isTTY !== true) return () => {};
  drawnOn.set(stream, drawing);
  listen();
  return () => {
    drawnOn.delete(stream);
    if (drawnOn.size > 0) return;
    process.off('SIGTSTP', suspend);
    process.off('SIGCONT', resume);
  };
}

/** The terminal's width: what it reports, unless that is no width at all (`script`'s pseudo-terminal says 0). */
function columnsOf(stream: ProgressStream): number {
  const columns = stream.columns;
  return columns !== undefined && Number.isFinite(columns) && columns > 0 ? columns : DEFAULT_COLUMNS;
}

/** Skipped tasks given a line above the bar each after a failure; the rest are only counted. */
const MOST_SKIPS_SHOWN = 5;

/**
 * Live progress on a terminal: one bar filled by the tasks that completed, with counts of
 * running, ready and failed tasks (skipped and cancelled ones too once there are any), the
 * elapsed time and what runs now, redrawn at most 10 times a second whatever the event rate.
 * Failures, retries, the first skipped tasks and the CLI's notices are printed above the bar as they happen, wrapped
 * to the terminal's width (the terminal does not wrap while the bar is drawn, so a long line
 * would lose its end); the final line stays.
 *
 * A resumed run's display starts where its journal left it: `history` (the journal's events)
 * is folded into the counts without printing anything, so the bar shows the tasks completed
 * before the crash as completed; it is drawn at the resumed run's first event.
 *
 * It does not print every event (see `lineReporter`), and draws nothing when the stream is
 * not a terminal.
 */
export function progressReporter(stream: ProgressStream, dag: Dag, start: DisplayStart = {}): Reporter {
  const tally = new RunTally(dag, start.failurePolicy);
  const lines = new EventFormatter(retryWaitsOf(dag));
  const workers = new WorkerCounts(start.journaled === true);
  for (const event of start.history ?? []) {
    tally.apply(event);
    lines.observe(event);
    workers.observe(event);
  }
  const multibar = new MultiBar(
    {
      format: fittedLine(stream),
      stream,
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      fps: 10,
      barsize: 20,
      emptyOnZero: true,
    },
    Presets.shades_classic,
  );
  // Created at `dag.created`, when the total is known.
  let bar: SingleBar | undefined;
  let stopped = false;
  const releaseTerminal = onSuspend(stream, () => bar !== undefined && !stopped);

  const payload = () => {
    const skipped = tally.count('skipped');
    const cancelled = tally.count('cancelled');
    return {
      running: tally.count('running'),
      ready: tally.count('ready'),
      // a wait before a retry: without it, a long backoff reads as a run that hangs
      waiting: tally.count('backoff') === 0 ? '' : ` | ${tally.count('backoff')} to retry`,
      failed: tally.count('failed'),
      ended: `${skipped === 0 ? '' : ` | ${skipped} skipped`}${cancelled === 0 ? '' : ` | ${cancelled} cancelled`}`,
      now: lastField(tally.running.describe()),
      mark: '',
    };
  };
  // Above the bar, each line within the width, continuation lines under the text.
  const logAbove = (text: string) => multibar.log(`${wrapLines(text, columnsOf(stream) - 1, TEXT_INDENT)}\n`);
  // a failure early in a big DAG skips thousands of tasks: their lines would scroll the failures away
  let skipsShown = 0;
  const logSkipped = (event: DagEvent) => {
    if (++skipsShown <= MOST_SKIPS_SHOWN) logAbove(lines.describe(event));
    else if (skipsShown === MOST_SKIPS_SHOWN + 1) logAbove('more tasks skipped: the bar counts them, without a line each');
  };

  return {
    onEvent(event: DagEvent) {
      tally.apply(event);
      // the bar shows counts: only the events printed above it, or at the end, are made into lines
      lines.observe(event);
      workers.observe(event);
      if (event.type === 'dag.created') {
        bar = multibar.create(event.taskCount, 0, payload());
        return;
      }
      // a resumed run: the bar starts from the journal's counts
      if (bar === undefined && tally.started) bar = multibar.create(tally.total, tally.count('completed'), payload());
      if (event.type === 'task.failed' || event.type === 'task.timed-out' || event.type === 'task.stuck') {
        if (event.type === 'task.failed') skipsShown = 0; // its own skips get their lines
        logAbove(lines.describe(event));
      } else if (event.type === 'task.skipped') logSkipped(event);
      if (event.type === 'tasks.spawned') bar?.setTotal(tally.total);
      bar?.update(tally.count('completed'), payload());
      if (event.type === 'dag.completed') {
        bar?.update(tally.count('completed'), { ...payload(), now: '', mark: lastField(event.outcome) });
        multibar.update(); // writes the lines logged since the last redraw: stop() would drop them
        multibar.stop();
        stopped = true;
        releaseTerminal();
        // wrapped as the lines above the bar are: a word cut by the terminal's edge is hard to read
        stream.write(`${wrapLines(lines.describe(event), columnsOf(stream) - 1, TEXT_INDENT)}\n`);
        const ranOn = workers.line();
        if (ranOn !== undefined) stream.write(`${wrapLines(terminalText(ranOn), columnsOf(stream) - 1, TEXT_INDENT)}\n`);
      }
    },
    notice(text: string) {
      if (bar === undefined || stopped) stream.write(`${text}\n`);
      // wrapped by the terminal, not broken with line feeds: a notice may hold a command to copy (`rxdag resume …`)
      else multibar.log(`${LINE_WRAP_ON}${text}\n${LINE_WRAP_OFF}`);
    },
    finish: () => {
      if (!stopped) {
        // its last line says the run stopped: a changed line is drawn again, under the notices logged above it
        bar?.update(tally.count('completed'), { ...payload(), now: '', mark: lastField('stopped') });
        multibar.update(); // the lines logged since the last redraw (a stopping notice): stop() would drop them
        multibar.stop(); // shows the cursor again and turns the terminal's line wrapping back on
      }
      stopped = true;
      releaseTerminal();
    },
  };
}

/** What the display knows before the run's first event: a resumed run's journaled events and failure policy, and whether the run is journaled. */
export interface DisplayStart {
  /** The run's events so far (from `dag.created`), shown as the state they lead to, not printed. */
  readonly history?: readonly DagEvent[];
  readonly failurePolicy?: FailurePolicy;
  /** The run is journaled: `rxdag show` can name each task's worker afterwards. */
  readonly journaled?: boolean;
}

/** The remote workers that completed tasks, for the line after the bar (which names no task). */
class WorkerCounts {
  private readonly completed = new Map<string, number>();

  constructor(private readonly journaled: boolean) {}

  observe(event: DagEvent): void {
    if (event.type === 'task.completed' && event.worker !== undefined)
      this.completed.set(event.worker, (this.completed.get(event.worker) ?? 0) + 1);
  }

  /** `ran on 2 workers: box-1:4117 (12 tasks), box-2:981 (9 tasks); rxdag show names each task's worker` (journaled); none for a local run. */
  line(): string | undefined {
    if (this.completed.size === 0) return undefined;
    const each = [...this.completed].map(([worker, tasks]) => `${worker} (${tasks} task${tasks === 1 ? '' : 's'})`);
    const shown = each.length > 8 ? [...each.slice(0, 8), `${each.length - 8} more`] : each;
    const count = this.completed.size;
    const show = this.journaled ? "; rxdag show names each task's worker" : " (the events, --json or --events, name each task's)";
    return `ran on ${count} worker${count === 1 ? '' : 's'}: ${shown.join(', ')}${show}`;
  }
}

/** The bar's last field with its separator, or nothing when it is empty. */
function lastField(text: string): string {
  return text === '' ? '' : ` | ${text}`;
}
