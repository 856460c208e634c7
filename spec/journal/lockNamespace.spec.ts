import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileJournal, RunLockedError } from '../../src/index';
import { acquireLock, HEARTBEAT_MS, HEARTBEAT_STALE_MS, liveOwner } from '../../src/journal/lockFile';

/**
 * A lock of this host's name made in another pid namespace (a container that shares the host's
 * name, or one restarted): its pid is not this process's to look up, so it is judged by its
 * heartbeat, the time its owner sets on the lock's file. Alive within the last minute: refused,
 * naming the lock file; silent for longer: taken over. A lock without a namespace (older
 * versions) is judged by its pid as before.
 */
const ownNamespace = (() => {
  try {
    return fs.readlinkSync('/proc/self/ns/pid');
  } catch {
    return undefined;
  }
})();
describe('a run lock of another pid namespace (Linux)', () => {
  const roots: string[] = [];
  afterAll(() => {
    for (const dir of roots) fs.rmSync(dir, { recursive: true, force: true });
  });
  const folder = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxdag-lock-ns-'));
    roots.push(dir);
    return dir;
  };
  /** A lock file as another container of this host's name writes it: its pid 1 is alive here too (our own init). */
  const foreignLock = (dir: string, silentMs: number, ns: string | null = 'pid:[1]') => {
    const file = path.join(dir, 'run.lock');
    fs.writeFileSync(file, `${JSON.stringify({ host: os.hostname(), pid: 1, since: 1, ...(ns === null ? {} : { ns }) })}\n`);
    const at = new Date(Date.now() - silentMs);
    fs.utimesSync(file, at, at);
    return file;
  };

  it('should refuse one that gave a sign of life lately, naming the lock file to remove if its owner is gone', () => {
    const file = foreignLock(folder(), 5_000);
    let refused: unknown;
    try {
      acquireLock(file, 'run');
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(RunLockedError);
    expect((refused as Error).message).toMatch(
      new RegExp(
        `^run "run" is locked by ${os.hostname()}:1 of another pid namespace \\(a container sharing this host's name, last sign of life [4-6] s ago; ` +
          'taken as gone after 60 s without one\\), which this host cannot check; if that process is gone .*remove .*run\\.lock and resume again$',
      ),
    );
    expect(liveOwner(file)).toMatch(/of another pid namespace/);
  });

  it('should take over one silent for longer than its heartbeat allows', () => {
    const file = foreignLock(folder(), HEARTBEAT_STALE_MS + 5_000);
    expect(liveOwner(file)).toBeUndefined();
    const held = acquireLock(file, 'run');
    expect(ownNamespace).toMatch(/^pid:\[\d+\]$/);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toMatchObject({ pid: process.pid, ns: ownNamespace });
    held.release();
    expect(fs.existsSync(file)).toBe(false);
  });

  it('should judge a lock without a namespace (an older version) by its pid, as before', () => {
    const file = foreignLock(folder(), HEARTBEAT_STALE_MS + 5_000, null);
    // pid 1 answers here: taken as alive, whatever the file's time, and named as any live owner of this namespace
    expect(liveOwner(file)).toBe(`${os.hostname()}:1`);
  });

  it('should list a run whose other-namespace owner is silent as interrupted, and one alive as running', async () => {
    const dir = folder();
    const journal = fileJournal(dir);
    const writer = await journal.create({
      runId: 'r',
      dagId: 'd',
      spec: { id: 'd', tasks: [{ id: 'a', agent: 'x' }] },
      options: { failurePolicy: 'skip-dependents', contextInjection: true },
      createdAt: 1,
    });
    await writer.close();
    const lock = foreignLock(dir, 1_000);
    fs.renameSync(lock, path.join(dir, 'r.lock'));
    expect((await journal.runs()).map((run) => run.status)).toEqual(['running']);
    const old = new Date(Date.now() - HEARTBEAT_STALE_MS - 1_000);
    fs.utimesSync(path.join(dir, 'r.lock'), old, old);
    expect((await journal.runs()).map((run) => run.status)).toEqual(['interrupted']);
  });

  it("should keep a held lock's file alive: its time is set every heartbeat", async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      const file = path.join(folder(), 'held.lock');
      const held = acquireLock(file, 'held');
      const old = new Date(Date.now() - HEARTBEAT_STALE_MS * 2);
      fs.utimesSync(file, old, old);
      jest.advanceTimersByTime(HEARTBEAT_MS);
      expect(Date.now() - fs.statSync(file).mtimeMs).toBeLessThan(HEARTBEAT_STALE_MS);
      held.release();
    } finally {
      jest.useRealTimers();
    }
  });
});
