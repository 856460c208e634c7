/**
 * Whether an events log holds its run's events once each, `seq` 1, 2, 3… without a hole: the
 * report draws what it is given, so a log that lacks events (a process killed before it wrote
 * its last ones, a log cut at its start) would show tasks running that ended, and one that holds
 * some twice (two logs joined, one copied after the other) would count their time twice. Events
 * written twice keep their later line, as a consumer of a log joined from a process and its
 * resume does; what is missing is said, not made up. It reads no file and refuses nothing.
 */
import type { DagEvent } from '../../index';
import { commandLine } from '../shellWord';

/** Ranges named in a note before "and N more". */
const RANGES_NAMED = 3;

/**
 * `events` (sorted by `seq`, a stable sort: of a `seq` written twice the later line comes last)
 * with each `seq` once, and a note for each kind of fault found.
 *
 * @example
 * checkedSequence(events, 'run.jsonl').notes
 * // ['run.jsonl lacks 75 events of its run (seq 136169–136243): …']
 */
export function checkedSequence(events: readonly DagEvent[], fileName: string): { kept: DagEvent[]; notes: string[] } {
  const kept: DagEvent[] = [];
  const twice: number[] = [];
  const missing: [number, number][] = [];
  let expected = 1;
  for (const event of events) {
    const previous = kept[kept.length - 1];
    if (previous !== undefined && previous.seq === event.seq) {
      kept[kept.length - 1] = event;
      if (twice[twice.length - 1] !== event.seq) twice.push(event.seq);
      continue;
    }
    if (event.seq > expected) missing.push([expected, event.seq - 1]);
    expected = event.seq + 1;
    kept.push(event);
  }
  const notes: string[] = [];
  if (missing.length > 0) {
    const count = missing.reduce((sum, [from, to]) => sum + to - from + 1, 0);
    const atStart = missing.length === 1 && missing[0]![0] === 1;
    notes.push(
      `${fileName} lacks ${plural(count, 'event')} of its run (seq ${rangesText(missing)}): ` +
        (atStart ? 'the log does not begin where the run did' : 'a process stopped before it wrote them (kill -9)?') +
        '; tasks they started or ended are shown as the log has them. If the run was journaled, its journal has every event: ' +
        `${commandLine('rxdag show', kept[0]!.runId, ' --report OUT.html')} writes the report from it`,
    );
  }
  if (twice.length > 0) {
    notes.push(
      `${fileName} holds ${plural(twice.length, 'event')} more than once (seq ${rangesText(rangesOf(twice))}): ` +
        'the last line of each is kept (logs of a run joined: the resumed process wrote them again)',
    );
  }
  return { kept, notes };
}

/** Consecutive numbers of sorted `seqs` as ranges. */
function rangesOf(seqs: readonly number[]): [number, number][] {
  const ranges: [number, number][] = [];
  for (const seq of seqs) {
    const last = ranges[ranges.length - 1];
    if (last !== undefined && last[1] === seq - 1) last[1] = seq;
    else ranges.push([seq, seq]);
  }
  return ranges;
}

/** `5, 9–12, 20–31 and 4 more ranges`. */
function rangesText(ranges: readonly (readonly [number, number])[]): string {
  const named = ranges.slice(0, RANGES_NAMED).map(([from, to]) => (from === to ? String(from) : `${from}–${to}`));
  const more = ranges.length - named.length;
  return more > 0 ? `${named.join(', ')} and ${plural(more, 'more range')}` : named.join(', ');
}

function plural(count: number, word: string): string {
  return `${count.toLocaleString('en-US')} ${word}${count === 1 ? '' : 's'}`;
}
