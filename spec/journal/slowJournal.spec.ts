import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lastValueFrom } from 'rxjs';
import { createScheduler, type DagEvent, fileJournal, type Journal, resumeRun, runDag } from '../../src/index';

/**
 * A journal that answers later (a database's round trip): a subscriber that leaves before the
 * answer, and a scheduler shut down meanwhile, must leave the same record as with the file
 * journal, which answers at once: the run ended `cancelled` (not a run left to resume), no
 * agent called; a graceful shutdown waits for the run, a forced one cancels it.
 */
describe('a journal that answers later', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxdag-slow-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const later = <T>(value: () => T | Promise<T>) =>
    new Promise<T>((resolve, reject) =>
      setTimeout(() => {
        try {
          resolve(value());
        } catch (error) {
          reject(error);
        }
      }, 20),
    );
  const slow = (inner: Journal): Journal => ({
    location: inner.location,
    create: (header) => later(() => inner.create(header)),
    resume: (runId) => later(() => inner.resume(runId)),
    runs: (options) => inner.runs(options),
    events: (runId) => inner.events(runId),
    header: (runId) => inner.header(runId),
  });
  const dag = {
    id: 'd',
    tasks: [
      { id: 'a', agent: 'w' },
      { id: 'b', agent: 'w', deps: ['a'] },
    ],
  };
  const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

  function agents(called: string[]) {
    return { w: ({ id }: { id: string }) => (called.push(id), new Promise((resolve) => setTimeout(() => resolve(id), 10))) };
  }
  const typesOf = async (inner: Journal, runId: string) => (await inner.events(runId)).map((event: DagEvent) => event.type);

  it('should append the events of flushes made while a group was out once it settles, not at a next flush that never comes', async () => {
    const inner = fileJournal(dir);
    const journal: Journal = {
      ...slow(inner),
      create: async (header) => {
        const writer = await inner.create(header);
        return { append: (group, durable) => later(() => writer.append(group, durable)), close: () => writer.close() };
      },
    };
    // `long` keeps the run going; each `aN` completes in a flush of its own while the group before is out
    const tasks = [{ id: 'long', agent: 'w' }, ...[0, 1, 2, 3].map((n) => ({ id: `a${n}`, agent: 'w' }))];
    let release = () => {};
    const finishLong = new Promise<void>((resolve) => (release = resolve));
    const w = ({ id }: { id: string }) =>
      id === 'long' ? finishLong.then(() => id) : new Promise((resolve) => setTimeout(() => resolve(id), 40 + Number(id.slice(1))));
    const done = new Promise<void>((resolve) => {
      runDag({ id: 'held', tasks }, { agents: { w }, journal, runId: 'held', healthCheckIntervalMs: 0 }).subscribe({ complete: resolve });
    });
    // nothing flushes again until `long` ends: without the fix the journal never gets the later completions
    const completedIn = async () =>
      (await inner.events('held')).filter((event) => event.type === 'task.completed').map((event) => event.taskId);
    const deadline = Date.now() + 3000;
    while ((await completedIn()).length < 4 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    const completed = await completedIn();
    release();
    await done;
    expect(completed.sort()).toEqual(['a0', 'a1', 'a2', 'a3']);
  });

  it('should end a run cancelled, calling no agent, when its subscriber left before the journal answered', async () => {
    const inner = fileJournal(dir);
    const called: string[] = [];
    runDag(dag, { agents: agents(called), journal: slow(inner), runId: 'left' })
      .subscribe()
      .unsubscribe();
    await settle();
    expect(called).toEqual([]);
    expect(await typesOf(inner, 'left')).toEqual(['dag.created', 'task.ready', 'task.cancelled', 'task.cancelled', 'dag.completed']);
    expect((await inner.runs()).map((run) => [run.runId, run.status])).toEqual([['left', 'cancelled']]);
  });

  it('should end a resumed run cancelled when its subscriber left before the journal answered', async () => {
    const inner = fileJournal(dir);
    const options = { failurePolicy: 'skip-dependents', contextInjection: true } as const;
    const writer = await inner.create({ runId: 'half', dagId: 'd', spec: dag, options, createdAt: 1 });
    await writer.close(); // a run whose process died before its first event
    const called: string[] = [];
    resumeRun(slow(inner), 'half', { agents: agents(called) })
      .subscribe()
      .unsubscribe();
    await settle();
    expect(called).toEqual([]);
    expect((await inner.runs()).map((run) => [run.runId, run.status])).toEqual([['half', 'cancelled']]);
  });

  it('should have a graceful shutdown wait for a run whose journal is answering, and a forced one cancel it', async () => {
    const inner = fileJournal(dir);
    for (const force of [false, true]) {
      const called: string[] = [];
      const scheduler = createScheduler({ agents: agents(called), journal: slow(inner) });
      const seen: DagEvent[] = [];
      scheduler.submit(dag, { runId: `shut-${force}` }).subscribe((event) => seen.push(event));
      await scheduler.shutdown({ force });
      expect(seen.at(-1)).toMatchObject({ type: 'dag.completed', outcome: force ? 'cancelled' : 'succeeded' });
      expect(called).toEqual(force ? [] : ['a', 'b']);
    }
    expect(new Map((await inner.runs()).map((run) => [run.runId, run.status]))).toEqual(
      new Map([
        ['shut-false', 'succeeded'],
        ['shut-true', 'cancelled'],
      ]),
    );
  });

  it('should refuse a second run of an id whose record the journal is still making, as it refuses one going on', async () => {
    const inner = fileJournal(dir);
    const scheduler = createScheduler({ agents: agents([]), journal: slow(inner), healthCheckIntervalMs: 0 });
    const [first, second, resumed] = await Promise.allSettled([
      lastValueFrom(scheduler.submit(dag, { runId: 'twice' })),
      lastValueFrom(scheduler.submit(dag, { runId: 'twice' })),
      lastValueFrom(scheduler.resume('twice')),
    ]);
    expect(second).toMatchObject({ status: 'rejected', reason: { name: 'RunActiveError', runId: 'twice', resuming: false } });
    expect(resumed).toMatchObject({ status: 'rejected', reason: { name: 'RunActiveError', runId: 'twice', resuming: true } });
    expect(first).toMatchObject({ status: 'fulfilled', value: { type: 'dag.completed', outcome: 'succeeded' } });
    await scheduler.shutdown();
    expect((await inner.runs()).map((run) => [run.runId, run.status])).toEqual([['twice', 'succeeded']]);
  });
});
