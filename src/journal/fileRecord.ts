import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DagEvent } from '../events';
import { JournalCorruptError, type JournalHeader } from './journal';

/**
 * Reads one file of the file journal: its header line, its events in order, and where its last
 * complete line ends (a last line without its newline is a torn write, never acknowledged). It
 * checks what makes a record trustworthy (JSON lines, one run, `seq` without a gap) and nothing
 * of the events' meaning (the reducer does); a problem is placed at `file:line`. It never writes.
 */

/** What a journal file holds, as read. */
export interface JournalRecord {
  readonly header: JournalHeader;
  readonly events: DagEvent[];
  /** Bytes up to the end of the last complete line. */
  readonly completeBytes: number;
  /** Bytes after it: a torn last line, 0 when none. */
  readonly tornBytes: number;
}

/**
 * Reads a journal file. `strict`: any unreadable line but a torn last one, a gap in `seq` or an
 * event of another run is a `JournalCorruptError`; otherwise (listing) it reads what it can.
 */
export function readRecord(file: string, runId: string | undefined, strict: boolean): JournalRecord {
  const buffer = fs.readFileSync(file);
  const end = buffer.lastIndexOf(0x0a) + 1; // a last line without its newline is torn
  const lines = buffer.subarray(0, end).toString('utf8').split('\n');
  lines.pop();
  const name = runId ?? runIdOfFile(file);
  const header = parseHeader(lines[0], name, runId, `${file}:1`);
  const events: DagEvent[] = [];
  for (let i = 1; i < lines.length; i++) {
    const where = `${file}:${i + 1}`;
    let event: DagEvent;
    try {
      event = JSON.parse(lines[i]!) as DagEvent;
    } catch (error) {
      if (!strict) break;
      throw new JournalCorruptError(name, where, `not JSON (${(error as Error).message})`);
    }
    const problem = eventProblem(event, header.runId, events.length + 1);
    if (problem !== undefined) {
      if (!strict) break;
      throw new JournalCorruptError(name, where, problem);
    }
    events.push(event);
  }
  return { header, events, completeBytes: end, tornBytes: buffer.length - end };
}

function parseHeader(line: string | undefined, name: string, runId: string | undefined, where: string): JournalHeader {
  if (line === undefined) throw new JournalCorruptError(name, where, 'the file has no header line');
  let header: JournalHeader;
  try {
    header = JSON.parse(line) as JournalHeader;
  } catch (error) {
    throw new JournalCorruptError(name, where, `the header is not JSON (${(error as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || typeof header.runId !== 'string' || typeof header.spec !== 'object') {
    throw new JournalCorruptError(name, where, 'the header is not an rxdag run header (runId, dagId, spec, options)');
  }
  if (runId !== undefined && header.runId !== runId) {
    throw new JournalCorruptError(name, where, `the file holds the journal of run "${header.runId}"`);
  }
  return header;
}

function eventProblem(event: unknown, runId: string, seq: number): string | undefined {
  if (typeof event !== 'object' || event === null || typeof (event as DagEvent).type !== 'string') return 'not an event';
  const { runId: eventRun, seq: eventSeq, type } = event as DagEvent;
  if (eventRun !== runId) return `${type} of run "${String(eventRun)}" in the journal of run "${runId}"`;
  if (eventSeq !== seq) return `${type} has seq ${String(eventSeq)}, expected ${seq} (a gap in seq)`;
  return undefined;
}

/** The run id a journal file's name stands for (names are escaped ids); the bare name when it is not an escaped id. */
function runIdOfFile(file: string): string {
  const name = path.basename(file, '.jsonl');
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}
