// the module itself, not a copy of its exports: the spies below must reach the journal's calls
import fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { type DagEvent, fileJournal, type JournalHeader, type JournalWriter, runDag } from '../../src/index';
import type * as FileJournalModule from '../../src/journal/fileJournal';

/**
 * The file journal when the file system fails it, or the run is taken from it, at the worst
 * moment: a last `fdatasync` that fails still closes the file and gives the lock back; a reopen
 * that fails on resume says why and gives the lock back; a group whose encoding outlasts the
 * run's ownership is not written.
 */
describe('file journal faults', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxdag-writer-faults-'))));
  afterEach(() => {
    jest.restoreAllMocks();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The file journal's module loaded afresh, after `fs` was spied on. */
  function freshFileJournal(): typeof FileJournalModule.fileJournal {
    let loaded: typeof FileJournalModule | undefined;
    jest.isolateModules(() => (loaded = jest.requireActual<typeof FileJournalModule>('../../src/journal/fileJournal')));
    return loaded!.fileJournal;
  }

  /** The descriptors of this process open on `file`. */
  const openOn = (file: string) =>
    fs.readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return fs.readlinkSync(`/proc/self/fd/${fd}`) === file;
      } catch {
        return false; // the directory's own descriptor, closed by now
      }
    });

  const header = (runId: string): JournalHeader => ({
    runId,
    dagId: 'd',
    options: { failurePolicy: 'skip-dependents', contextInjection: true },
    createdAt: 1,
    spec: { id: 'd', tasks: [{ id: 'a', agent: 'w' }] },
  });
  const created = (runId: string): DagEvent => ({ type: 'dag.created', runId, seq: 1, at: 1, dagId: 'd', taskCount: 1 });
  const eio = () => Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO', syscall: 'fdatasync' });

  it('should close the file and give the lock back when the last fdatasync fails', async () => {
    let failing = false;
    const fdatasync = fs.fdatasyncSync;
    jest.spyOn(fs, 'fdatasyncSync').mockImplementation((fd) => {
      if (failing) throw eio();
      fdatasync(fd);
    });
    const journal = freshFileJournal()(dir);
    const writer: JournalWriter = await journal.create(header('x'));
    await writer.append([created('x')], false);
    const file = path.join(dir, 'x.jsonl');
    expect(openOn(file)).toHaveLength(1);
    failing = true;
    await expect(async () => writer.close()).rejects.toThrow('EIO');
    expect([openOn(file), fs.existsSync(path.join(dir, 'x.lock'))]).toEqual([[], false]);
  });

  it('should say why a resume could not reopen the journal, and give the lock back', async () => {
    const spec = {
      id: 'd',
      tasks: [
        { id: 'a', agent: 'w' },
        { id: 'b', agent: 'w', deps: ['a'] },
      ],
    };
    const made = path.join(dir, 'made');
    await lastValueFrom(
      runDag(spec, { agents: { w: () => 'ok' }, journal: fileJournal(made), runId: 'r', healthCheckIntervalMs: 0 }).pipe(toArray()),
    );
    const lines = fs.readFileSync(path.join(made, 'r.jsonl'), 'utf8').split('\n');
    fs.writeFileSync(path.join(dir, 'r.jsonl'), `${lines.slice(0, 4).join('\n')}\n`); // interrupted
    const open = fs.openSync;
    let refusing = true;
    jest.spyOn(fs, 'openSync').mockImplementation(((file: fs.PathLike, flags?: fs.OpenMode, mode?: fs.Mode) => {
      if (refusing && flags === 'a' && String(file).endsWith('r.jsonl')) {
        throw Object.assign(new Error('EMFILE: too many open files, open'), { code: 'EMFILE', syscall: 'open' });
      }
      return open(file, flags ?? 'r', mode);
    }) as typeof fs.openSync);
    const journal = freshFileJournal()(dir);
    expect(() => journal.resume('r')).toThrow('EMFILE');
    refusing = false;
    const taken = await journal.resume('r');
    await taken.writer.close();
    expect(fs.existsSync(path.join(dir, 'r.lock'))).toBe(false);
  });

  it('should not write a group when the run was taken from it while the group was encoded', async () => {
    const journal = fileJournal(dir);
    const writer = await journal.create(header('y'));
    await writer.append([created('y')], false);
    const file = path.join(dir, 'y.jsonl');
    const before = fs.readFileSync(file, 'utf8');
    // an output whose encoding outlasts the lock (removed by hand, or taken over meanwhile)
    const output = { toJSON: () => (fs.rmSync(path.join(dir, 'y.lock')), 'late') };
    const completed: DagEvent = { type: 'task.completed', runId: 'y', seq: 2, at: 2, taskId: 'a', attempt: 1, durationMs: 1, output };
    await expect(async () => writer.append([completed], true)).rejects.toThrow(/nothing more is written/);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
  });
});
