import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lastValueFrom } from 'rxjs';
import { type DagEvent, fileJournal, type Journal, JournalCorruptError, resumeRun } from '../../src/index';
import { eventsOf, sampleHeader } from './contract';

/**
 * A journal of the application's own may give back, from `resume`, a record that is not events
 * of the run: each such record is a `JournalCorruptError` naming the place, nothing run, never a
 * `TypeError` from inside the replay.
 */
describe("a record a backend gives back that is not the run's events", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxdag-record-shape-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** The file journal, with `resume` giving `change(events)` in place of the run's events. */
  function giving(change: (events: readonly DagEvent[]) => unknown[]): Journal {
    const inner = fileJournal(dir);
    return {
      location: inner.location,
      create: (header) => inner.create(header),
      resume: async (runId) => {
        const run = await inner.resume(runId);
        return { ...run, events: change(run.events) as DagEvent[] };
      },
      runs: (options) => inner.runs(options),
      events: (runId) => inner.events(runId),
      header: (runId) => inner.header(runId),
    };
  }

  it.each<[string, (events: readonly DagEvent[]) => unknown[], string]>([
    ['null', (events) => [events[0], null], 'not an event'],
    ['a number', (events) => [events[0], 7], 'not an event'],
    ['an object without a type', (events) => [events[0], {}], 'not an event'],
    [
      'a seq written as a string',
      (events) => [events[0], { ...events[1], seq: '2' }],
      'task.ready has seq "2", expected the whole number 2',
    ],
    [
      'an event of another run',
      (events) => [events[0], { ...events[1], runId: 'other' }],
      'task.ready of run "other" in the journal of run "r"',
    ],
    [
      'an event without its run id',
      (events) => {
        const { runId: _runId, ...rest } = events[1]!;
        return [events[0], rest];
      },
      'task.ready has no runId, expected "r"',
    ],
    // fields resume and the CLI read (a third party's writer, another version, damage)
    [
      'an attempt written as a string',
      (events) => [events[0], { ...events[1], attempt: '1' }],
      'task.ready for task "a" has attempt "1", expected a whole number from 1',
    ],
    [
      'an event without its time',
      (events) => {
        const { at: _at, ...rest } = events[1]!;
        return [events[0], rest];
      },
      'task.ready has at nothing, expected a time in ms',
    ],
    [
      'a failure without its error',
      (events) => [events[0], { ...events[1], type: 'task.failed', severity: 'error', willRetry: false }],
      'task.failed for task "a" has error nothing, expected an object with a name and a message',
    ],
    [
      'a failure of a severity no failure has',
      (events) => [
        events[0],
        { ...events[1], type: 'task.failed', error: { name: 'E', message: 'm' }, severity: 'warning', willRetry: false },
      ],
      'task.failed for task "a" has severity "warning", expected error or critical',
    ],
    [
      'a failure whose willRetry is a string',
      (events) => [
        events[0],
        { ...events[1], type: 'task.failed', error: { name: 'E', message: 'm' }, severity: 'error', willRetry: 'false' },
      ],
      'task.failed for task "a" has willRetry "false", expected true or false',
    ],
  ])('should refuse to resume a record holding %s with JournalCorruptError, running nothing', async (_, change, problem) => {
    const writer = await fileJournal(dir).create(sampleHeader('r'));
    const e = eventsOf('r');
    await writer.append([e.created(3), e.ready('a')]);
    await writer.close();
    const called: string[] = [];
    const agent = ({ id }: { id: string }) => (called.push(id), id);
    const resumed = lastValueFrom(resumeRun(giving(change), 'r', { agents: { echo: agent, other: agent } }));
    await expect(resumed).rejects.toThrow(JournalCorruptError);
    await expect(resumed).rejects.toThrow(problem);
    // the place the backend gives (the file journal's line: its header, then the events)
    await expect(resumed).rejects.toMatchObject({ runId: 'r', where: expect.stringMatching(/r\.jsonl:3$/) });
    expect(called).toEqual([]);
  });

  it("should refuse to resume a record whose dag.created counts other tasks than the header's DAG, which a listing would show", async () => {
    const writer = await fileJournal(dir).create(sampleHeader('r'));
    const e = eventsOf('r');
    await writer.append([e.created(99), e.ready('a')]);
    await writer.close();
    const resumed = lastValueFrom(resumeRun(fileJournal(dir), 'r', { agents: { echo: (ctx) => ctx.id, other: (ctx) => ctx.id } }));
    await expect(resumed).rejects.toThrow(JournalCorruptError);
    await expect(resumed).rejects.toThrow(/r\.jsonl:2: dag\.created has taskCount 99, but the DAG the header holds has \d+ tasks$/);
  });
});
