import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  type DagEvent,
  events,
  fileJournal,
  type JournalCorruptError,
  type JournalHeader,
  type JournalWriter,
  RunNotResumableError,
} from '../../src/index';
import { listedRun } from '../../src/journal/fileListing';
import { liveOwner } from '../../src/journal/lockFile';

/**
 * The file journal while other processes change its folder: a run that ends and lets go of its
 * lock while a listing reads it is listed as running (what it was), never as interrupted (what
 * it never was); a run whose file is removed between the listing of the folder and its read is
 * one the journal does not have: left out of the listing with no error, unknown to `events`,
 * `header` and `resume`. Each race is played at its moment: the spec acts where `listedRun`
 * looks at the run's lock, and a link to nothing stands for a file gone when read.
 */

const roots: string[] = [];
afterAll(() => {
  for (const dir of roots) fs.rmSync(dir, { recursive: true, force: true });
});

function freshDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxdag-journal-changing-'));
  roots.push(dir);
  return dir;
}

const header = (runId: string): JournalHeader => ({
  runId,
  dagId: 'd',
  spec: { id: 'd', tasks: [{ id: 'a', agent: 'x' }] },
  options: { failurePolicy: 'skip-dependents', contextInjection: true },
  createdAt: 1,
});

const created = (runId: string): DagEvent => events.dagCreated({ runId, seq: 1, at: 1, dagId: 'd', taskCount: 1 });
const completed = (runId: string): DagEvent =>
  events.dagCompleted({
    runId,
    seq: 2,
    at: 2,
    outcome: 'succeeded',
    counts: { total: 1, completed: 1, failed: 0, skipped: 0, cancelled: 0 },
    durationMs: 1,
    failures: [],
  });

/** A run `runId` in `dir` that has started and not ended, owned by this process through the writer returned. */
function runningRun(dir: string, runId: string): JournalWriter {
  const writer = fileJournal(dir).create(header(runId)) as JournalWriter;
  writer.append([created(runId)]);
  return writer;
}

/** The journal file and the lock of `runId` in `dir`. */
const filesOf = (dir: string, runId: string) => ({ file: path.join(dir, `${runId}.jsonl`), lock: path.join(dir, `${runId}.lock`) });

/** Looks at a lock as the journal does, after `act` at the look numbered `at` (0: the first); `looks` gets what each look found. */
function lookingAt(looks: boolean[], act: Record<number, () => void>): (lock: string) => string | undefined {
  return (lock) => {
    act[looks.length]?.();
    const owner = liveOwner(lock);
    looks.push(owner !== undefined);
    return owner;
  };
}

describe('fileJournal while other processes change its folder', () => {
  it('should list as running a run whose owner ends it and lets go of it between the read of its record and the look at its lock', async () => {
    const dir = freshDir();
    const writer = runningRun(dir, 'ending');
    const { file, lock } = filesOf(dir, 'ending');
    const looks: boolean[] = [];

    // the owner journals the run's end and lets go just after its record was read
    const listed = listedRun(file, lock, lookingAt(looks, { 1: () => (writer.append([completed('ending')]), writer.close()) }));

    expect(looks).toEqual([true, false]);
    expect(listed?.summary).toMatchObject({ runId: 'ending', status: 'running', lastSeq: 1 });
    expect((await fileJournal(dir).runs()).map((run) => [run.runId, run.status])).toEqual([['ending', 'succeeded']]);
  });

  it('should count a run as owned when either look at its lock, before its record is read or after, finds a live owner', () => {
    const dir = freshDir();
    runningRun(dir, 'started').close();
    const ended = runningRun(dir, 'ended');
    ended.append([completed('ended')]);
    ended.close();
    /** The status listed when the looks at the lock find an owner `before` the read and `after` it. */
    const statusOf = (runId: string, before: boolean, after: boolean) => {
      const answers = [before, after];
      const { file, lock } = filesOf(dir, runId);
      return listedRun(file, lock, () => (answers.shift()! ? 'a spec' : undefined))?.summary.status;
    };
    const looks: [boolean, boolean][] = [
      [true, true],
      [true, false],
      [false, true],
      [false, false],
    ];

    expect(looks.map(([before, after]) => statusOf('started', before, after))).toEqual(['running', 'running', 'running', 'interrupted']);
    expect(looks.map(([before, after]) => statusOf('ended', before, after))).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
  });

  it('should leave out, with no error, a run removed between the listing of the folder and the read of its file', () => {
    const dir = freshDir();
    runningRun(dir, 'removed').close();
    const { file, lock } = filesOf(dir, 'removed');

    // another process removes the run as its lock is looked at, before its record is read
    const listed = listedRun(file, lock, lookingAt([], { 0: () => void fileJournal(dir).remove('removed') }));

    expect(listed).toBeUndefined();
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('should list the other runs, with no error, past a name of the folder whose file is not there when read', async () => {
    const dir = freshDir();
    runningRun(dir, 'fine').close();
    fs.symlinkSync(path.join(dir, 'removed-meanwhile.jsonl'), path.join(dir, 'gone.jsonl'));
    const unreadable: JournalCorruptError[] = [];

    const listed = await fileJournal(dir).runs({ onUnreadable: (error) => unreadable.push(error) });

    expect(listed.map((run) => run.runId)).toEqual(['fine']);
    expect(unreadable).toEqual([]);
    await expect(fileJournal(dir).runs()).resolves.toHaveLength(1);
  });

  it('should call a run whose file is not there unknown when its events, header or ownership are asked for', async () => {
    const dir = freshDir();
    fs.symlinkSync(path.join(dir, 'removed-meanwhile.jsonl'), path.join(dir, 'gone.jsonl'));
    const journal = fileJournal(dir);
    const unknown = { name: 'RunNotResumableError', runId: 'gone', reason: 'unknown' };

    await expect(journal.events('gone')).rejects.toMatchObject(unknown);
    await expect(journal.header('gone')).rejects.toMatchObject(unknown);
    expect(() => journal.resume('gone')).toThrow(RunNotResumableError);
    expect(fs.readdirSync(dir)).toEqual(['gone.jsonl']);
  });
});
