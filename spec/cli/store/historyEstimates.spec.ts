import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { lastValueFrom } from 'rxjs';
import {
  type DagEvent,
  defineDag,
  fileJournal,
  type Journal,
  type JournaledRunStatus,
  type JournaledRunSummary,
  runDag,
} from '../../../src/index';
import {
  estimatesNoteOf,
  HISTORY_EVENTS,
  HISTORY_RUNS,
  historyEstimates,
  tasksWithoutEstimate,
  withHistory,
} from '../../../src/cli/store/historyEstimates';

/** A journal of finished runs, newest first: each with its DAG id, status and task durations. */
function journalOf(
  runs: readonly { runId: string; dagId?: string; status?: JournaledRunStatus; lastSeq?: number; durations: Record<string, number> }[],
) {
  const read: string[] = [];
  const journal: Pick<Journal, 'runs' | 'events'> = {
    runs: async () =>
      runs.map((run): JournaledRunSummary => ({
        runId: run.runId,
        dagId: run.dagId ?? 'd',
        status: run.status ?? 'succeeded',
        lastSeq: run.lastSeq ?? 0,
        counts: { total: 0, completed: 0, failed: 0, skipped: 0, cancelled: 0 },
      })),
    events: async (runId) => {
      read.push(runId);
      const run = runs.find((r) => r.runId === runId)!;
      return Object.entries(run.durations).map(([taskId, durationMs], i): DagEvent => ({
        type: 'task.completed',
        runId,
        seq: i + 1,
        at: 0,
        taskId,
        attempt: 1,
        durationMs,
        output: null,
      }));
    },
  };
  return { journal: journal as Journal, read };
}

describe('historyEstimates', () => {
  it('should give each task the median of its durations in the newest ended runs of the same DAG', async () => {
    const { journal } = journalOf([
      { runId: 'r4', durations: { a: 10, b: 7 } },
      { runId: 'r3', dagId: 'other', durations: { a: 1000 } },
      { runId: 'r2', status: 'running', durations: { a: 1000 } },
      { runId: 'r1', status: 'failed', durations: { a: 30 } },
      { runId: 'r0', status: 'interrupted', durations: { a: 1000 } },
      { runId: 'rz', status: 'cancelled', durations: { a: 21, c: 5 } },
    ]);
    const history = await historyEstimates(journal, 'd', new Set(['a', 'b']));
    expect(Object.fromEntries(history.estimates)).toEqual({ a: 21, b: 7 });
    expect(history.runs).toEqual(['r4', 'r1', 'rz']);
  });

  it('should leave out an attempt a resume restarted: its duration counts from the resume', async () => {
    const completed = (runId: string, seq: number, taskId: string, durationMs: number): DagEvent =>
      ({ type: 'task.completed', runId, seq, at: 0, taskId, attempt: 1, durationMs, output: null }) as DagEvent;
    const byRun: Record<string, DagEvent[]> = {
      resumed: [
        completed('resumed', 1, 'b', 40),
        { type: 'run.resumed', runId: 'resumed', seq: 2, at: 0, resumedAfterSeq: 1, interrupted: ['a'] } as DagEvent,
        completed('resumed', 3, 'a', 29),
      ],
      earlier: [completed('earlier', 1, 'a', 6000), completed('earlier', 2, 'b', 50)],
    };
    const journal = {
      runs: async () =>
        ['resumed', 'earlier'].map((runId): JournaledRunSummary => ({
          runId,
          dagId: 'd',
          status: 'succeeded',
          lastSeq: byRun[runId]!.length,
          counts: { total: 0, completed: 0, failed: 0, skipped: 0, cancelled: 0 },
        })),
      events: async (runId: string) => byRun[runId]!,
    } as unknown as Journal;
    const history = await historyEstimates(journal, 'd', new Set(['a', 'b']));
    expect(Object.fromEntries(history.estimates)).toEqual({ a: 6000, b: 45 });
  });

  it('should take the mean of the two middle durations for an even count', async () => {
    const { journal } = journalOf([
      { runId: 'r2', durations: { a: 10 } },
      { runId: 'r1', durations: { a: 15 } },
    ]);
    expect((await historyEstimates(journal, 'd', new Set(['a']))).estimates.get('a')).toBe(13);
  });

  it(`should read no more than the newest ${HISTORY_RUNS} runs`, async () => {
    const runs = Array.from({ length: HISTORY_RUNS + 3 }, (_, i) => ({ runId: `r${i}`, durations: { a: i } }));
    const { journal, read } = journalOf(runs);
    const history = await historyEstimates(journal, 'd', new Set(['a']));
    expect(read).toEqual(runs.slice(0, HISTORY_RUNS).map((run) => run.runId));
    expect(history.estimates.get('a')).toBe(2);
  });

  it(`should read the newest run whatever its size, and no other that would take the events read past ${HISTORY_EVENTS}`, async () => {
    const big = HISTORY_EVENTS * 0.6;
    const { journal, read } = journalOf([
      { runId: 'r3', lastSeq: big, durations: { a: 10 } },
      { runId: 'r2', lastSeq: big, durations: { a: 20 } },
      { runId: 'r1', lastSeq: 10, durations: { a: 30 } },
    ]);
    expect(Object.fromEntries((await historyEstimates(journal, 'd', new Set(['a']))).estimates)).toEqual({ a: 10 });
    expect(read).toEqual(['r3']);
    const { journal: huge, read: readHuge } = journalOf([{ runId: 'r1', lastSeq: HISTORY_EVENTS * 3, durations: { a: 5 } }]);
    expect((await historyEstimates(huge, 'd', new Set(['a']))).estimates.get('a')).toBe(5);
    expect(readHuge).toEqual(['r1']);
  });

  it('should read nothing when every task has an estimate, and give none when the store fails', async () => {
    const { journal, read } = journalOf([{ runId: 'r1', durations: { a: 1 } }]);
    expect((await historyEstimates(journal, 'd', new Set())).estimates.size).toBe(0);
    expect(read).toEqual([]);
    const failing = { runs: () => Promise.reject(new Error('down')) } as unknown as Journal;
    expect(await historyEstimates(failing, 'd', new Set(['a']))).toEqual({ estimates: new Map(), runs: [] });
  });

  it("should pass over a run whose journal cannot be read (corrupt, removed since the listing), taking the others' durations", async () => {
    const { journal, read } = journalOf([
      { runId: 'r1', durations: { a: 10 } },
      { runId: 'bad', durations: { a: 1000 } },
      { runId: 'r3', durations: { a: 30 } },
    ]);
    const events = journal.events.bind(journal);
    journal.events = (runId) => (runId === 'bad' ? Promise.reject(new Error('journal of run "bad" is corrupt at line 4')) : events(runId));
    const history = await historyEstimates(journal, 'd', new Set(['a']));
    expect([history.estimates.get('a'), history.runs]).toEqual([20, ['r1', 'r3']]);
    expect(read).toEqual(['r1', 'r3']);
  });

  it('should throw what a store that could not be reached says: the run would wait as long again for its record', async () => {
    const unreached = Object.assign(new Error('cannot list runs: Connection terminated due to connection timeout'), {
      name: 'PostgresJournalError',
      serverAnswered: false,
    });
    const unreachable = { runs: () => Promise.reject(unreached) } as unknown as Journal;
    await expect(historyEstimates(unreachable, 'd', new Set(['a']))).rejects.toBe(unreached);
  });

  it("should use the runs a file journal can read when one of its files is not a run's", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rxdag-history-'));
    try {
      const dag = defineDag({ id: 'd', tasks: [{ id: 'a', agent: 'x' }] });
      await lastValueFrom(runDag(dag, { agents: { x: () => 'done' }, journal: fileJournal(dir), runId: 'r1', healthCheckIntervalMs: 0 }));
      writeFileSync(path.join(dir, 'stray.jsonl'), 'not a header\n');
      const history = await historyEstimates(fileJournal(dir), 'd', new Set(['a']));
      expect(history.runs).toEqual(['r1']);
      expect(history.estimates.has('a')).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('should fill in only the tasks without an estimate, and note which', () => {
    const spec = {
      id: 'd',
      tasks: [
        { id: 'a', agent: 'x' },
        { id: 'b', agent: 'x', estimateMs: 5 },
        { id: 'c', agent: 'x' },
      ],
    };
    expect([...tasksWithoutEstimate(spec)]).toEqual(['a', 'c']);
    const filled = withHistory(spec, {
      estimates: new Map([
        ['a', 40],
        ['b', 1],
      ]),
      runs: ['r1'],
    });
    expect(filled?.spec.tasks).toEqual([{ id: 'a', agent: 'x', estimateMs: 40 }, spec.tasks[1], spec.tasks[2]]);
    expect(filled?.note).toEqual({ fromHistory: ['a'], runs: ['r1'] });
    expect(withHistory(spec, { estimates: new Map([['b', 1]]), runs: ['r1'] })).toBeUndefined();
  });

  it('should read the note of a run’s metadata, and ignore one of another shape or none (older journals)', () => {
    expect(estimatesNoteOf({ estimates: { fromHistory: ['a'], runs: ['r1'] } })).toEqual({ fromHistory: ['a'], runs: ['r1'] });
    expect(estimatesNoteOf(undefined)).toBeUndefined();
    expect(estimatesNoteOf({ estimates: { fromHistory: 'a', runs: [] } })).toBeUndefined();
    expect(estimatesNoteOf({ estimates: null })).toBeUndefined();
  });
});
