import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { events, fileJournal, JournalCorruptError, type JournalHeader, type JournalWriter } from '../../src/index';
import { asAnotherUser } from './support/anotherUser';

/**
 * A file of the file journal that the file system will not read (a folder in its place, a file
 * another user may read and this one may not) is handled like a corrupt one: a listing leaves it
 * out, lists the others and hands its error to `onUnreadable`; reading another run is not
 * affected; reading its own run names the file and why.
 */

const roots: string[] = [];
afterAll(() => {
  for (const dir of roots) fs.rmSync(dir, { recursive: true, force: true });
});

/** A store with one readable run, `fine`, that another user may list too. */
function storeWithOneRun(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxdag-journal-unreadable-'));
  roots.push(dir);
  fs.chmodSync(dir, 0o755);
  const header: JournalHeader = {
    runId: 'fine',
    dagId: 'd',
    spec: { id: 'd', tasks: [{ id: 'a', agent: 'x' }] },
    options: { failurePolicy: 'skip-dependents', contextInjection: true },
    createdAt: 1,
  };
  const writer = fileJournal(dir).create(header) as JournalWriter;
  writer.append([events.dagCreated({ runId: 'fine', seq: 1, at: 1, dagId: 'd', taskCount: 1 })]);
  writer.close();
  return dir;
}

/** What a listing gives with `onUnreadable`: the run ids listed and the errors handed over. */
async function listing(dir: string): Promise<{ runIds: string[]; unreadable: JournalCorruptError[] }> {
  const unreadable: JournalCorruptError[] = [];
  const runs = await fileJournal(dir).runs({ onUnreadable: (error) => unreadable.push(error) });
  return { runIds: runs.map((run) => run.runId), unreadable };
}

describe('fileJournal with a file it cannot read', () => {
  it('should leave out a folder where a journal file should be, list the others and name it', async () => {
    const dir = storeWithOneRun();
    const folder = path.join(dir, 'stray.jsonl');
    fs.mkdirSync(folder);
    const expected = `journal of run "stray" cannot be read at ${folder}: EISDIR (illegal operation on a directory)`;

    const { runIds, unreadable } = await listing(dir);

    expect(runIds).toEqual(['fine']);
    expect(unreadable.map((error) => [error.runId, error.where, error.message])).toEqual([['stray', folder, expected]]);
    expect(unreadable[0]).toBeInstanceOf(JournalCorruptError);
    await expect(fileJournal(dir).runs()).rejects.toThrow(expected);
    await expect(fileJournal(dir).events('fine')).resolves.toHaveLength(1);
    await expect(fileJournal(dir).header('stray')).rejects.toThrow(expected);
  });

  it('should leave out a journal file it has no permission to read, list the others and name it', async () => {
    const dir = storeWithOneRun();
    const file = path.join(dir, 'private.jsonl');
    fs.copyFileSync(path.join(dir, 'fine.jsonl'), file);
    fs.chmodSync(file, 0o000); // no one but root may read it (and root reads it as another user)
    fs.chmodSync(path.join(dir, 'fine.jsonl'), 0o644);
    const expected = `journal of run "private" cannot be read at ${file}: EACCES (permission denied)`;

    const { runIds, unreadable } = await asAnotherUser(() => listing(dir));

    expect(runIds).toEqual(['fine']);
    expect(unreadable.map((error) => [error.runId, error.message])).toEqual([['private', expected]]);
    await expect(asAnotherUser(() => fileJournal(dir).events('fine'))).resolves.toHaveLength(1);
    await expect(asAnotherUser(() => fileJournal(dir).events('private'))).rejects.toThrow(expected);
  });

  it('should not call a run unknown when it may not look into the store folder: its reads, resume and remove name why', async () => {
    const dir = storeWithOneRun();
    fs.chmodSync(dir, 0o700); // its owner's only, as rxdag makes a store
    const file = path.join(dir, 'fine.jsonl');
    const expected = `journal of run "fine" cannot be read at ${file}: EACCES (permission denied)`;

    await expect(asAnotherUser(() => fileJournal(dir).events('fine'))).rejects.toThrow(expected);
    await expect(asAnotherUser(() => fileJournal(dir).header('fine'))).rejects.toThrow(expected);
    await expect(asAnotherUser(async () => fileJournal(dir).resume('fine'))).rejects.toThrow(expected);
    await expect(asAnotherUser(async () => fileJournal(dir).remove('fine'))).rejects.toThrow(expected);
    // a run that is not there is still one the journal does not have
    await expect(fileJournal(dir).events('gone')).rejects.toThrow('is not in the journal');
    await expect(fileJournal(dir).events('fine')).resolves.toHaveLength(1);
  });

  it('should name the store folder, not the lock file it was making, when the folder takes no new file', async () => {
    const dir = storeWithOneRun(); // 0755: others may read it, not write to it
    const refused = await asAnotherUser(async () => {
      try {
        fileJournal(dir).resume('fine');
      } catch (error) {
        return error as NodeJS.ErrnoException;
      }
      return undefined;
    });
    expect(refused).toMatchObject({ code: 'EACCES', path: dir, message: `EACCES: permission denied, open '${dir}'` });
    expect(fs.readdirSync(dir)).toEqual(['fine.jsonl']);
  });
});
