/**
 * The rows the PostgreSQL journal reads (a run's, its events', the listing's, its tables') and
 * how each becomes what the journal contract gives: a header checked to be this run's, events
 * checked to run `seq` 1..n up to the run's last seq (else a `JournalCorruptError` placed at a
 * `seq`), a run's summary line, who holds a run's lock, the tables found and whether they are the journal's. It queries
 * nothing (`postgresJournal.ts` does) and never changes a row.
 */
import type { DagEvent, RunOutcome, TaskCounts } from '../events';
import { checkedHeader } from '../journal/headerShape';
import { JournalCorruptError, type JournaledRunSummary, type JournalHeader, RunLockedError } from '../journal/journal';

export interface RunRow {
  /** As stored: checked by {@link headerOf} before it is used. */
  readonly header: unknown;
  readonly last_seq: number;
  readonly outcome: string | null;
}
export interface EventRow {
  readonly seq: number;
  readonly type: string;
  readonly event: unknown;
}
/** A row of `selectEventsOfRun`: the run's last seq beside one of its events (all null for a run without events). */
export interface RunEventRow {
  readonly last_seq: number;
  readonly outcome: string | null;
  readonly seq: number | null;
  readonly type: string | null;
  readonly event: unknown;
}
/** The session that holds a run's lock, as the server knows it. */
export interface HolderRow {
  readonly pid: number;
  readonly application_name: string | null;
  readonly client_addr: string | null;
}

export interface SummaryRow {
  readonly run_id: string;
  readonly dag_id: string;
  readonly outcome: RunOutcome | null;
  readonly started_at: number | null;
  readonly ended_at: number | null;
  readonly last_seq: number;
  readonly counts: TaskCounts;
  readonly held: boolean;
}

/** Who holds a run's lock: `host:pid` of an rxdag process (its `application_name`), else what the server knows. */
export function describeOwner(holder: HolderRow): string {
  const backend = `PostgreSQL backend pid ${holder.pid}`;
  const app = holder.application_name ?? '';
  if (app.startsWith('rxdag ')) return `${app.slice('rxdag '.length)} (${backend})`;
  const name = app === '' ? 'a session' : `"${app}"`;
  return holder.client_addr === null ? `${name} (${backend})` : `${name} from ${holder.client_addr} (${backend})`;
}

/** The owner named when the lock's holder kept changing while it was looked up. */
export const RACING_OWNER = 'another session (it took and released the lock while we looked)';
/**
 * The refusal of a run whose lock `holder` holds. A session of this process (`ownTag`) is not
 * to be ended from outside: it is named as this process, without the server's pid to end it by.
 */
export function lockedBy(runId: string, holder: HolderRow, ownTag: string): RunLockedError {
  if (holder.application_name === ownTag) return new RunLockedError(runId, `${ownTag.slice('rxdag '.length)} (this process)`);
  return new RunLockedError(runId, describeOwner(holder), undefined, holder.pid);
}

/** A run's line in `journal.runs()`, from its row and, when another session holds its lock, that session. */
export function summaryOfRow(row: SummaryRow, holder: HolderRow | undefined): JournaledRunSummary {
  // an ended run keeps its outcome even while its owner has not closed yet
  const running = row.outcome === null && row.held;
  const status = row.outcome ?? (running ? 'running' : 'interrupted');
  const { total, completed, failed, skipped, cancelled } = row.counts;
  return {
    runId: row.run_id,
    dagId: row.dag_id,
    status,
    ...(row.started_at === null ? {} : { startedAt: row.started_at }),
    ...(row.ended_at === null ? {} : { endedAt: row.ended_at }),
    lastSeq: row.last_seq,
    counts: { total, completed, failed, skipped, cancelled },
    ...(running && holder !== undefined ? { owner: describeOwner(holder) } : {}),
  };
}

/** The header a run's row holds, checked to be a run's header (`headerShape.ts`), and this run's. */
export function headerOf(runId: string, run: RunRow): JournalHeader {
  const header = checkedHeader(run.header, runId, 'its header');
  if (header.runId !== runId) throw new JournalCorruptError(runId, 'its header', `the row holds the header of run "${header.runId}"`);
  return header;
}

/**
 * The stored events, checked to be this run's, `seq` 1..n without a gap, each of the type its row
 * says, ending where the run's row says and as its outcome says (a row edited by hand to read
 * `succeeded` is not a run that ended).
 */
export function checkedEvents(runId: string, rows: readonly EventRow[], { last_seq: lastSeq, outcome }: RunEnd): DagEvent[] {
  if (rows.length === 0 && lastSeq !== 0) {
    throw new JournalCorruptError(runId, 'seq 1', `missing: the run's last seq is ${lastSeq} but it has no stored event`);
  }
  const events = rows.map((row, index) => {
    const expected = index + 1;
    if (row.seq !== expected) {
      throw new JournalCorruptError(runId, `seq ${expected}`, `missing: the next stored event is seq ${row.seq}`);
    }
    const event = row.event;
    if (typeof event !== 'object' || event === null || !('seq' in event) || event.seq !== row.seq) {
      throw new JournalCorruptError(runId, `seq ${row.seq}`, 'the stored event is not an event with this seq');
    }
    const eventRun = 'runId' in event ? event.runId : undefined;
    if (eventRun !== runId) {
      throw new JournalCorruptError(runId, `seq ${row.seq}`, `${row.type} of run "${String(eventRun)}" in the journal of run "${runId}"`);
    }
    if (!('type' in event) || event.type !== row.type) {
      throw new JournalCorruptError(
        runId,
        `seq ${row.seq}`,
        `the row's type is ${row.type}, its event's ${String((event as { type?: unknown }).type)}`,
      );
    }
    if (index === rows.length - 1 && row.seq !== lastSeq) {
      throw new JournalCorruptError(
        runId,
        `seq ${lastSeq}`,
        `the run's last seq is ${lastSeq} but its last stored event is seq ${row.seq}`,
      );
    }
    return event as DagEvent;
  });
  const last = events.at(-1);
  const endedAs = last?.type === 'dag.completed' ? last.outcome : null;
  if (endedAs !== outcome) {
    const said = endedAs === null ? 'do not end it' : `end it ${endedAs}`;
    throw new JournalCorruptError(runId, 'its row', `its outcome reads ${outcome ?? 'nothing (not ended)'} but its events ${said}`);
  }
  return events;
}

/** What a run's row says of its end: its last seq and outcome. */
export type RunEnd = Pick<RunRow, 'last_seq' | 'outcome'>;

/** A row of `tablesFound`: one of the journal's tables, whether the schema has it, the journal's columns it lacks. */
export interface TableRow {
  readonly name: string;
  readonly found: boolean;
  readonly missing: readonly string[];
}

/**
 * Why the tables `schema` has under the journal's names are not the journal's (they lack
 * columns it uses), or undefined when each is the journal's or missing.
 *
 * @example
 * foreignTablesProblem('app', [{ name: 'runs', found: true, missing: ['run_id'] }, { name: 'events', found: false, missing: [] }])
 * // 'schema "app" has a table "runs" that is not an rxdag journal's (no column run_id): use another schema (?schema=NAME)'
 */
export function foreignTablesProblem(schema: string, tables: readonly TableRow[]): string | undefined {
  const foreign = tables.filter((table) => table.found && table.missing.length > 0);
  if (foreign.length === 0) return undefined;
  const lacking = (table: TableRow) => `no column${table.missing.length === 1 ? '' : 's'} ${table.missing.join(', ')}`;
  const which =
    foreign.length === 1
      ? `a table "${foreign[0]!.name}" that is not an rxdag journal's (${lacking(foreign[0]!)})`
      : `tables ${foreign.map((table) => `"${table.name}" (${lacking(table)})`).join(' and ')} that are not an rxdag journal's`;
  return `schema ${JSON.stringify(schema)} has ${which}: use another schema (?schema=NAME)`;
}
