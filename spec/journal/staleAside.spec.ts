import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { events, fileJournal, type JournalHeader, type JournalWriter } from '../../src';
import { ownerChild } from './support/ownerChild';

/**
 * The header files a process killed while it created a run leaves behind
 * (`<run>.jsonl.<pid>.new`): the first `create`, `resume` or `remove` of a file journal removes those whose
 * maker is gone, never one a live process may still be writing, nor one of a run that another
 * host holds; a listing removes none.
 */

const roots: string[] = [];
function freshDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxdag-aside-'));
  roots.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of roots) fs.rmSync(dir, { recursive: true, force: true });
});

const header = (runId: string): JournalHeader => ({
  runId,
  dagId: 'd',
  spec: { id: 'd', tasks: [{ id: 'a', agent: 'x' }] },
  options: { failurePolicy: 'continue', contextInjection: false },
  createdAt: 1,
});

/** A run journaled and closed in `dir`. */
function written(dir: string, runId: string): void {
  const writer = fileJournal(dir).create(header(runId)) as JournalWriter;
  void writer.append([events.dagCreated({ runId, seq: 1, at: 1, dagId: 'd', taskCount: 1 })]);
  void writer.close();
}

/** The pid of a process that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const dead = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => dead.on('exit', resolve));
  return dead.pid!;
}

const names = (dir: string) => fs.readdirSync(dir).sort();

describe('fileJournal and the header files of killed processes', () => {
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
  });

  it('should keep the header file of a process creating a run, and remove it once that process was killed -9', async () => {
    const dir = freshDir();
    const child = await ownerChild('stuckCreate.ts', [dir, 'made'], (spawned) => children.push(spawned));
    const aside = `made.jsonl.${child.pid}.new`;
    expect(names(dir)).toEqual([aside, 'made.lock']);

    // a live process may still be writing it: neither a create nor a remove takes it
    written(dir, 'beside');
    await expect(fileJournal(dir).remove('beside')).resolves.toBeUndefined();
    expect(names(dir)).toEqual([aside, 'made.lock']);

    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    // a listing reads: it removes nothing
    await expect(fileJournal(dir).runs()).resolves.toEqual([]);
    expect(names(dir)).toEqual([aside, 'made.lock']);

    // the next journal's first create sweeps it, and the dead process's lock, which has no journal
    written(dir, 'next');
    expect(names(dir)).toEqual(['next.jsonl']);
    written(dir, 'made');
    expect(names(dir)).toEqual(['made.jsonl', 'next.jsonl']);
  });

  it("should remove on a resume the header file its run's killed maker left linked beside the journal", async () => {
    const dir = freshDir();
    written(dir, 'killed');
    const gone = await deadPid();
    // killed between linking the header into place and removing it: a second name of the journal
    const aside = `killed.jsonl.${gone}.new`;
    fs.linkSync(path.join(dir, 'killed.jsonl'), path.join(dir, aside));
    fs.writeFileSync(path.join(dir, 'killed.lock'), JSON.stringify({ host: os.hostname(), pid: gone, since: 1 }));

    const taken = await fileJournal(dir).resume('killed');
    await taken.writer.close();

    expect(names(dir)).toEqual(['killed.jsonl']);
  });

  it("should remove the lock files killed processes left without their journal, and keep the live and the runs' own", async () => {
    const dir = freshDir();
    const gone = await deadPid();
    const sleeper = spawn('sleep', ['30']);
    children.push(sleeper);
    const lockOf = (pid: number) => JSON.stringify({ host: os.hostname(), pid, since: 1 });
    const files: Record<string, string> = {
      // killed after taking a new run's lock, before linking its journal (or by prune between the two)
      'orphan.lock': lockOf(gone),
      // killed while it wrote its lock aside, or while it moved a dead takeover guard
      [`aside.lock.${gone}.k3x9`]: lockOf(gone),
      [`guarded.lock.takeover.${gone}.p0q1`]: lockOf(gone),
      // killed while it held a takeover guard
      'taken.lock.takeover': lockOf(gone),
      // a process making a run now, one writing its lock aside, and one moving a dead guard aside to read it again
      'making.lock': lockOf(sleeper.pid!),
      [`writing.lock.${sleeper.pid}.z8y7`]: lockOf(sleeper.pid!),
      [`moving.lock.takeover.${sleeper.pid}.m2n3`]: lockOf(gone),
    };
    written(dir, 'interrupted');
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
    // an interrupted run: its dead owner's lock stays beside its journal until it is resumed or removed
    fs.writeFileSync(path.join(dir, 'interrupted.lock'), lockOf(gone));

    written(dir, 'next'); // the first create sweeps

    expect(names(dir)).toEqual(
      [
        'interrupted.jsonl',
        'interrupted.lock',
        'making.lock',
        `moving.lock.takeover.${sleeper.pid}.m2n3`,
        'next.jsonl',
        `writing.lock.${sleeper.pid}.z8y7`,
      ].sort(),
    );
  });

  it('should remove on the first remove (as prune does) each header file whose maker is gone, and keep every other', async () => {
    const dir = freshDir();
    const gone = await deadPid();
    const sleeper = spawn('sleep', ['30']);
    children.push(sleeper);
    const kept = [
      // its maker lives
      `alive.jsonl.${sleeper.pid}.new`,
      // its maker's pid is gone here, but its run is held by a live process of this host
      `held.jsonl.${gone}.new`,
      'held.lock',
      // its run is held by a process of another host (a shared folder): its pid means nothing here
      `elsewhere.jsonl.${gone}.new`,
      'elsewhere.lock',
      // not a header written aside
      `notes.jsonl.${gone}.new.txt`,
    ];
    fs.writeFileSync(path.join(dir, 'held.lock'), JSON.stringify({ host: os.hostname(), pid: sleeper.pid, since: 1 }));
    fs.writeFileSync(path.join(dir, 'elsewhere.lock'), JSON.stringify({ host: `not-${os.hostname()}`, pid: gone, since: 1 }));
    for (const name of kept) if (!fs.existsSync(path.join(dir, name))) fs.writeFileSync(path.join(dir, name), '{"runId":');
    written(dir, 'ended');
    // its maker is gone: without a lock, or with the lock it left
    const stale = [`lost.jsonl.${gone}.new`, `left%20lock.jsonl.${gone}.new`];
    for (const name of stale) fs.writeFileSync(path.join(dir, name), '{"runId":"lost"');
    fs.writeFileSync(path.join(dir, 'left%20lock.lock'), JSON.stringify({ host: os.hostname(), pid: gone, since: 1 }));

    await fileJournal(dir).remove('ended');

    // the lock its dead maker left, without a journal, goes too
    expect(names(dir)).toEqual([...kept].sort());
  });
});
