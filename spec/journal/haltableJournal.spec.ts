import { events, type Journal, type JournalHeader, type JournalWriter } from '../../src';
import { haltableJournal } from '../../src/journal/haltableJournal';

/** A journal in memory whose writers count their appends and closes; `asyncClose` makes closing take a turn. */
function memoryJournal(asyncClose = false) {
  const log: string[] = [];
  const journal: Journal = {
    location: 'memory',
    create(header: JournalHeader): JournalWriter {
      return {
        append: (group) => void log.push(`${header.runId} +${group.length}`),
        close: () => (log.push(`${header.runId} closed`), asyncClose ? Promise.resolve() : undefined),
      };
    },
    resume: () => {
      throw new Error('not here');
    },
    runs: async () => [],
    events: async () => [],
    header: () => Promise.reject(new Error('not here')),
  };
  return { journal, log };
}

const header = (runId: string): JournalHeader => ({
  runId,
  dagId: 'd',
  spec: { id: 'd', tasks: [{ id: 'a', agent: 'x' }] },
  options: { failurePolicy: 'skip-dependents', contextInjection: true },
  createdAt: 0,
});
const created = (runId: string) => [events.dagCreated({ runId, seq: 1, at: 0, dagId: 'd', taskCount: 1 })];

describe('haltableJournal', () => {
  it.each([false, true])('should keep only the runs not given up yet (closing asynchronously: %s)', async (asyncClose) => {
    const { journal, log } = memoryJournal(asyncClose);
    const haltable = haltableJournal(journal);
    const writers = ['r1', 'r2', 'r3'].map((runId) => haltable.journal.create(header(runId)) as JournalWriter);
    expect(haltable.openWriters()).toBe(3);
    await writers[0]!.close();
    await writers[1]!.close();
    expect(haltable.openWriters()).toBe(1);
    await haltable.halt();
    expect(haltable.openWriters()).toBe(0);
    expect(log).toEqual(['r1 closed', 'r2 closed', 'r3 closed']);
  });

  it('should store nothing once halted: an append never settles, and ownership is given up', async () => {
    const { journal, log } = memoryJournal();
    const haltable = haltableJournal(journal);
    const writer = haltable.journal.create(header('r')) as JournalWriter;
    writer.append(created('r'));
    await haltable.halt();
    const stored = writer.append(created('r'));
    expect(stored).toBeInstanceOf(Promise);
    const settled = await Promise.race([stored, new Promise((resolve) => setTimeout(resolve, 20, 'pending'))]);
    expect(settled).toBe('pending');
    expect(log).toEqual(['r +1', 'r closed']);
  });

  /** Whether `promise` is still pending after a few turns of the event loop. */
  const pending = async (promise: unknown) =>
    (await Promise.race([promise, new Promise((resolve) => setTimeout(resolve, 20, 'pending'))])) === 'pending';

  it('should not settle an append under way when the halt came, though its group is stored: nothing it releases starts', async () => {
    const log: string[] = [];
    let storeGroup: () => void = () => {};
    const slow: Journal = {
      ...memoryJournal().journal,
      create: (): JournalWriter => ({
        // a group stored once told to (a PostgreSQL commit, say)
        append: (group) => new Promise<void>((resolve) => (storeGroup = () => (log.push(`+${group.length}`), resolve()))),
        close: () => void log.push('closed'),
      }),
    };
    const haltable = haltableJournal(slow);
    const writer = haltable.journal.create(header('r')) as JournalWriter;
    const stored = writer.append(created('r'));
    const halted = haltable.halt();
    storeGroup();
    await halted;
    expect(log).toEqual(['+1', 'closed']);
    expect(await pending(stored)).toBe(true);
  });

  it('should keep the run until what its owner is stopping has stopped, storing nothing meanwhile', async () => {
    const { journal, log } = memoryJournal();
    const haltable = haltableJournal(journal);
    const writer = haltable.journal.create(header('r')) as JournalWriter;
    let stopped: () => void = () => {};
    const halted = haltable.halt(new Promise<void>((resolve) => (stopped = resolve)));
    writer.append(created('r'));
    expect(await pending(halted)).toBe(true);
    expect(log).toEqual([]);
    // a run whose record is made after the halt waits for the same
    const late = haltable.journal.create(header('late')) as JournalWriter;
    expect(late).toBeDefined();
    stopped();
    await halted;
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(log).toEqual(['r closed', 'late closed']);
  });
});
