import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type DagEvent, fileJournal, type Journal, JournalWriteError, type JournalWriter, runDag } from '../../src/index';

/**
 * A backend's writer that fails where the run has nothing left to do: its `close` throws or
 * rejects once `dag.completed` is recorded. The run's stream ends with `JournalWriteError` (the
 * backend's error its `cause`), as a failed append ends it, never with the backend's raw error;
 * and an `append` that answers with something other than a promise is not a crash.
 */
describe("a journal writer's end", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxdag-writer-end-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** The file journal, its writers changed by `change`. */
  function changed(change: (writer: JournalWriter) => JournalWriter): Journal {
    const inner = fileJournal(dir);
    return {
      location: inner.location,
      create: async (header) => change(await inner.create(header)),
      resume: (runId) => inner.resume(runId),
      runs: (options) => inner.runs(options),
      events: (runId) => inner.events(runId),
      header: (runId) => inner.header(runId),
    };
  }
  const dag = { id: 'd', tasks: [{ id: 'a', agent: 'w' }] };
  const agents = { w: () => 'done' };

  /** The run's events, and the error its stream ended with (undefined: it completed). */
  function runOn(journal: Journal, runId: string): Promise<{ events: DagEvent[]; error: unknown }> {
    return new Promise((resolve) => {
      const events: DagEvent[] = [];
      runDag(dag, { agents, journal, runId, healthCheckIntervalMs: 0 }).subscribe({
        next: (event) => events.push(event),
        error: (error: unknown) => resolve({ events, error }),
        complete: () => resolve({ events, error: undefined }),
      });
    });
  }

  it.each([
    [
      'throws',
      (writer: JournalWriter, boom: Error): JournalWriter => ({
        append: writer.append.bind(writer),
        close: () => {
          void writer.close();
          throw boom;
        },
      }),
    ],
    [
      'rejects',
      (writer: JournalWriter, boom: Error) => ({
        append: writer.append.bind(writer),
        close: async () => (await writer.close(), Promise.reject(boom)),
      }),
    ],
  ])('should end the run with JournalWriteError when close %s, its end recorded', async (_, make) => {
    const boom = new Error('close failed');
    const journal = changed((writer) => make(writer, boom));
    const { events, error } = await runOn(journal, 'ending');
    expect(events.at(-1)).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
    expect(error).toBeInstanceOf(JournalWriteError);
    expect(error).toMatchObject({ runId: 'ending', cause: boom, endRecorded: true, beforeStart: false });
    expect((error as Error).message).toContain('close failed');
    expect((await fileJournal(dir).runs()).map((run) => run.status)).toEqual(['succeeded']);
  });

  it('should take an append that answers with something other than a promise as done', async () => {
    const journal = changed((writer) => ({
      append: (group, durable) => (writer.append(group, durable), 42 as unknown as void),
      close: () => writer.close(),
    }));
    const { events, error } = await runOn(journal, 'odd');
    expect(error).toBeUndefined();
    expect(events.at(-1)).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
  });
});
