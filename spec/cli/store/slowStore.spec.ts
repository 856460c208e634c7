import type { DagEvent, Journal, JournalHeader, JournalWriter } from '../../../src/index';
import { slowStoreNotices } from '../../../src/cli/store/slowStore';

/** A journal whose writer's appends wait until the spec settles them (a store that stops answering). */
function slowJournal(synchronous = false) {
  const pending: { resolve: () => void; reject: (error: Error) => void }[] = [];
  const writer: JournalWriter = {
    append: () => (synchronous ? undefined : new Promise<void>((resolve, reject) => pending.push({ resolve, reject }))),
    close: () => undefined,
  };
  const journal: Journal = {
    location: 'postgres://db/test',
    create: (header: JournalHeader) => {
      if (header.runId === 'taken') throw new Error('run "taken" exists');
      return writer;
    },
    resume: async () => ({ header: {} as JournalHeader, events: [], writer }),
    runs: async () => [],
    events: async () => [],
    header: async () => ({}) as JournalHeader,
  };
  return { journal, storeNext: () => pending.shift()!.resolve(), failNext: (error: Error) => pending.shift()!.reject(error) };
}

const header = (runId: string) => ({ runId }) as JournalHeader;
const NO_EVENTS: DagEvent[] = [];
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('slowStoreNotices', () => {
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['setImmediate'] }));
  afterEach(() => jest.useRealTimers());

  it('should say once that the store has not stored a group for 20 s, and once more when it answers', async () => {
    const lines: string[] = [];
    const { journal, storeNext } = slowJournal();
    const writer = (await slowStoreNotices(journal, 'postgres://db/test (schema rxdag)', (line) => lines.push(line)).create(header('r')))!;
    void writer.append(NO_EVENTS);
    jest.advanceTimersByTime(19_000);
    void writer.append(NO_EVENTS); // a second group, while the first waits
    expect(lines).toEqual([]);
    jest.advanceTimersByTime(1_000);
    expect(lines).toEqual([
      "rxdag: the journal postgres://db/test (schema rxdag) has not stored the run's latest events for 20 s: the tasks they release wait for it (a store that does not answer within its time limit stops the run)",
    ]);
    jest.advanceTimersByTime(30_000); // said once a stall
    storeNext();
    await flush();
    expect(lines).toHaveLength(1); // the second still waits
    storeNext();
    await flush();
    expect(lines).toEqual([expect.any(String), "rxdag: the journal postgres://db/test (schema rxdag) stored the run's events again"]);
  });

  it('should not say the store stored the events again when the slow write fails: the run says that', async () => {
    const lines: string[] = [];
    const { journal, failNext } = slowJournal();
    const writer = (await slowStoreNotices(journal, 'store', (line) => lines.push(line)).create(header('r')))!;
    const stored = Promise.resolve(writer.append(NO_EVENTS)).catch((error: unknown) => error);
    jest.advanceTimersByTime(20_000);
    failNext(new Error('no answer from the server within 30000 ms (query_timeout)'));
    expect(await stored).toBeInstanceOf(Error);
    await flush();
    expect(lines).toEqual([expect.stringContaining("has not stored the run's latest events for 20 s")]);
  });

  it('should say nothing of groups stored within 20 s, nor of a synchronous store, and keep its refusals synchronous', async () => {
    const lines: string[] = [];
    const { journal, storeNext } = slowJournal();
    const watched = slowStoreNotices(journal, 'store', (line) => lines.push(line));
    const writer = watched.create(header('r')) as JournalWriter;
    void writer.append(NO_EVENTS);
    jest.advanceTimersByTime(19_999);
    storeNext();
    await flush();
    jest.advanceTimersByTime(20_000);
    const fileLike = slowJournal(true);
    const synchronous = slowStoreNotices(fileLike.journal, 'store', (line) => lines.push(line)).create(header('s')) as JournalWriter;
    expect(synchronous.append(NO_EVENTS)).toBeUndefined();
    jest.advanceTimersByTime(20_000);
    expect(lines).toEqual([]);
    expect(() => watched.create(header('taken'))).toThrow('run "taken" exists');
  });
});
