import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { events, fileJournal, type JournalWriter, RunLockedError, RunNotResumableError } from '../../src';
import { ownerChild } from './support/ownerChild';

/**
 * How the file journal forgets a run (`journal.remove`), beyond the contract every journal keeps
 * (`contract.ts`): every file of the run goes (its journal, the torn tail kept beside it, its
 * lock), a lock whose process is gone is taken over first, and a run another process owns (a
 * live child, another host) is refused with nothing touched.
 */

const roots: string[] = [];
function freshDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxdag-remove-'));
  roots.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of roots) fs.rmSync(dir, { recursive: true, force: true });
});

/** A run journaled and closed in `dir`: its journal file. */
function written(dir: string, runId: string): string {
  const writer = fileJournal(dir).create({
    runId,
    dagId: 'd',
    spec: { id: 'd', tasks: [{ id: 'a', agent: 'x' }] },
    options: { failurePolicy: 'continue', contextInjection: false },
    createdAt: 1,
  }) as JournalWriter;
  void writer.append([events.dagCreated({ runId, seq: 1, at: 1, dagId: 'd', taskCount: 1 })]);
  void writer.close();
  return path.join(dir, `${runId}.jsonl`);
}

/** The pid of a process that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const dead = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => dead.on('exit', resolve));
  return dead.pid!;
}

/** Every file of `dir` with its content. */
function contents(dir: string): Record<string, string> {
  return Object.fromEntries(fs.readdirSync(dir).map((name) => [name, fs.readFileSync(path.join(dir, name), 'utf8')]));
}

describe('fileJournal remove', () => {
  let child: ChildProcess | undefined;
  afterEach(async () => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    child = undefined;
  });

  it('should remove the journal and the torn tail kept beside it, and no other run’s file', async () => {
    const dir = freshDir();
    written(dir, 'other');
    const file = written(dir, 'gone');
    fs.writeFileSync(`${file}.torn`, '# torn tail at byte 10, cut on resume\n{"type":"task.sta\n');
    const before = contents(dir);

    await fileJournal(dir).remove('gone');

    expect(contents(dir)).toEqual({ 'other.jsonl': before['other.jsonl'] });
  });

  it('should take over the lock a process that is gone left, then remove the run, leaving no lock behind', async () => {
    const dir = freshDir();
    const file = written(dir, 'stale');
    fs.writeFileSync(path.join(dir, 'stale.lock'), JSON.stringify({ host: os.hostname(), pid: await deadPid(), since: 1 }));

    await fileJournal(dir).remove('stale');

    expect(fs.readdirSync(dir)).toEqual([]);
    expect(fs.existsSync(file)).toBe(false);
  });

  it('should refuse a run another live process owns, naming it and touching nothing, then remove it once that process is killed', async () => {
    const dir = freshDir();
    const started = await ownerChild('holdFileRun.ts', [dir, 'held'], (spawned) => (child = spawned));
    const journal = fileJournal(dir);
    const held = contents(dir);
    expect(Object.keys(held).sort()).toEqual(['held.jsonl', 'held.lock']);

    const refused = await journal.remove('held').catch((error: unknown) => error);

    expect(refused).toBeInstanceOf(RunLockedError);
    expect(refused).toMatchObject({ runId: 'held', owner: `${os.hostname()}:${started.pid}`, lockFile: undefined });
    expect(contents(dir)).toEqual(held);
    expect((await journal.runs()).map((run) => [run.runId, run.status])).toEqual([['held', 'running']]);

    const exited = new Promise((resolve) => started.once('exit', resolve));
    started.kill('SIGKILL');
    await exited;
    await journal.remove('held');
    expect(fs.readdirSync(dir)).toEqual([]);
  }, 30_000);

  it('should refuse a run locked by another host, naming the lock file to remove once its owner is known gone', async () => {
    const dir = freshDir();
    written(dir, 'elsewhere');
    const lock = path.join(dir, 'elsewhere.lock');
    fs.writeFileSync(lock, JSON.stringify({ host: `not-${os.hostname()}`, pid: 4242, since: 1 }));
    const before = contents(dir);

    const refused = await fileJournal(dir)
      .remove('elsewhere')
      .catch((error: unknown) => error);

    expect(refused).toBeInstanceOf(RunLockedError);
    expect(refused).toMatchObject({ owner: `process 4242 of host not-${os.hostname()}`, lockFile: lock });
    expect(contents(dir)).toEqual(before);
  });

  it('should remove a file that cannot be read as a run (it does not read it) and refuse a run id without a file', async () => {
    const dir = freshDir();
    fs.writeFileSync(path.join(dir, 'junk.jsonl'), 'not a run header\n');
    const journal = fileJournal(dir);

    await journal.remove('junk');
    expect(fs.readdirSync(dir)).toEqual([]);

    const refused = await journal.remove('junk').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RunNotResumableError);
    expect((refused as Error).message).toBe(`run "junk" is not in the journal at ${dir}`);
    // a folder that does not exist holds no run either
    await expect(fileJournal(path.join(dir, 'missing')).remove!('x')).rejects.toMatchObject({ reason: 'unknown' });
  });
});
