import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { lastValueFrom } from 'rxjs';
import {
  type Agent,
  createScheduler,
  type Scheduler,
  type DagEvent,
  defineDag,
  fileJournal,
  type Journal,
  resumeRun,
  RunInterruptedError,
  stoppedForResume,
} from '../../src';

/**
 * `scheduler.shutdown({ interrupt: true })`, what a service does on a deploy's SIGTERM: runs stop
 * at once, agents aborted, and their records stay `interrupted` (nothing of the stop is
 * recorded), so a later process resumes them without running again what had completed.
 */
describe('an interrupting shutdown', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxdag-interrupt-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const dag = defineDag({
    id: 'svc',
    defaults: { agent: 'work' },
    tasks: [{ id: 'quick' }, { id: 'slow', deps: ['quick'] }, { id: 'last', deps: ['slow'] }],
  });

  /** `quick` ends at once; `slow` waits 10 s unless aborted. Calls and aborts are counted. */
  function counting() {
    const calls: string[] = [];
    const aborted: string[] = [];
    // for each abort, whether the signal says the run stopped to be resumed
    const forResume: boolean[] = [];
    const work: Agent = ({ id, signal }) => {
      calls.push(id);
      if (id !== 'slow') return `${id} done`;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(resolve, 10_000, 'slow done');
        signal.addEventListener(
          'abort',
          () => (aborted.push(id), forResume.push(stoppedForResume(signal)), clearTimeout(timer), reject(signal.reason)),
        );
      });
    };
    return { calls, aborted, forResume, agents: { work } };
  }

  /** A backend that takes its time to make a run's record or take one up (a database's round trips). */
  const slowToAnswer = (inner: Journal): Journal => ({
    ...inner,
    create: (header) => new Promise((resolve) => setTimeout(() => resolve(inner.create(header)), 30)),
    resume: (runId) => new Promise((resolve, reject) => setTimeout(() => Promise.resolve(inner.resume(runId)).then(resolve, reject), 30)),
  });

  /** The events of `scheduler.events$` while `act` runs and the scheduler shuts down. */
  async function eventsWhile(scheduler: Scheduler, act: () => Promise<void>): Promise<DagEvent[]> {
    const seen: DagEvent[] = [];
    const all = scheduler.events$.subscribe((event) => seen.push(event));
    await act();
    all.unsubscribe();
    return seen;
  }

  it('should abort running agents, leave each run interrupted, error its stream, and let a later scheduler finish it', async () => {
    const first = counting();
    const scheduler = createScheduler({ journal: fileJournal(dir), healthCheckIntervalMs: 0, agents: first.agents });
    const seen = new Map<string, DagEvent[]>();
    const ended = ['one', 'two'].map(
      (runId) =>
        new Promise<unknown>((settle) => {
          seen.set(runId, []);
          scheduler
            .submit(dag, { runId })
            .subscribe({ next: (e) => seen.get(runId)!.push(e), error: settle, complete: () => settle('completed') });
        }),
    );
    // both runs are in `slow`
    while (first.calls.filter((id) => id === 'slow').length < 2) await new Promise((resolve) => setTimeout(resolve, 5));

    const started = Date.now();
    await scheduler.shutdown({ interrupt: true });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(first.aborted).toEqual(['slow', 'slow']);
    // their signals tell an agent whose work lives elsewhere to leave it for the resume
    expect(first.forResume).toEqual([true, true]);
    const errors = await Promise.all(ended);
    expect(errors.map((error) => [error instanceof RunInterruptedError, (error as RunInterruptedError).runId])).toEqual([
      [true, 'one'],
      [true, 'two'],
    ]);
    const journal = fileJournal(dir);
    expect((await journal.runs()).map((run) => [run.runId, run.status, run.counts.completed]).sort()).toEqual([
      ['one', 'interrupted', 1],
      ['two', 'interrupted', 1],
    ]);
    // what winds the run down here is not its history: neither in the record nor on its stream,
    // which holds exactly what the record holds (the resume goes on from there, seqs unbroken)
    const recordedBefore = await journal.events('one');
    expect(recordedBefore.some((e) => e.type === 'task.cancelled' || e.type === 'dag.completed')).toBe(false);
    expect(seen.get('one')).toEqual(recordedBefore);

    const again: string[] = [];
    const resumed = resumeRun(fileJournal(dir), 'one', {
      agents: { work: ({ id }) => (again.push(id), `${id} again`) },
      healthCheckIntervalMs: 0,
    });
    expect(await lastValueFrom(resumed)).toMatchObject({ type: 'dag.completed', outcome: 'succeeded' });
    expect(again).toEqual(['slow', 'last']); // `quick` had completed: not run again
    const recorded = await journal.events('one');
    expect(recorded.filter((e) => e.type === 'task.started').map((e) => e.type === 'task.started' && e.taskId)).toEqual([
      'quick',
      'slow',
      'slow',
      'last',
    ]);
  });

  it('should be a forced shutdown without a journal', async () => {
    const { agents, aborted, forResume } = counting();
    const scheduler = createScheduler({ healthCheckIntervalMs: 0, agents });
    const last = lastValueFrom(scheduler.submit(dag, { runId: 'mem' }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await scheduler.shutdown({ interrupt: true });
    expect(await last).toMatchObject({ type: 'dag.completed', outcome: 'cancelled' });
    expect(aborted).toEqual(['slow']);
    expect(forResume).toEqual([false]); // cancelled: nothing will resume it
  });

  it('should leave a run whose record was still being made interrupted too, with no agent called', async () => {
    const { agents, calls } = counting();
    const scheduler = createScheduler({ journal: slowToAnswer(fileJournal(dir)), healthCheckIntervalMs: 0, agents });
    const seen: DagEvent[] = [];
    const ended = new Promise<unknown>((settle) =>
      scheduler
        .submit(dag, { runId: 'early' })
        .subscribe({ next: (e) => seen.push(e), error: settle, complete: () => settle('completed') }),
    );
    await scheduler.shutdown({ interrupt: true });
    expect(await ended).toBeInstanceOf(RunInterruptedError);
    expect(seen).toEqual([]);
    expect(calls).toEqual([]);
    const [run] = await fileJournal(dir).runs();
    expect(run).toMatchObject({ runId: 'early', status: 'interrupted' });
  });

  it('should record a run cancelled while its record was being made as cancelled, though the interrupting shutdown came before the record', async () => {
    const { agents, calls } = counting();
    const scheduler = createScheduler({ journal: slowToAnswer(fileJournal(dir)), healthCheckIntervalMs: 0, agents });
    // its user leaves (a request aborted), then the deploy's SIGTERM comes, both before the record is made
    const seen = await eventsWhile(scheduler, async () => {
      scheduler.submit(dag, { runId: 'left' }).subscribe().unsubscribe();
      await scheduler.shutdown({ interrupt: true });
    });
    // what the scheduler said of it is what the journal holds: a cancelled run, not one to resume
    expect(seen.at(-1)).toMatchObject({ type: 'dag.completed', outcome: 'cancelled' });
    expect(seen.filter((event) => event.type === 'task.started')).toEqual([]);
    const [run] = await fileJournal(dir).runs();
    expect(run).toMatchObject({ runId: 'left', status: 'cancelled' });
    expect(await fileJournal(dir).events('left')).toEqual(seen);
    await expect(lastValueFrom(resumeRun(fileJournal(dir), 'left', { agents, healthCheckIntervalMs: 0 }))).rejects.toThrow(/cancelled/);
    expect(calls).toEqual([]);
  });

  it('should record a resume its subscriber left while the run was being taken up as cancelled, though the interrupting shutdown came before', async () => {
    const first = counting();
    const before = createScheduler({ journal: fileJournal(dir), healthCheckIntervalMs: 0, agents: first.agents });
    before.submit(dag, { runId: 'again' }).subscribe({ error: () => undefined });
    while (!first.calls.includes('slow')) await new Promise((resolve) => setTimeout(resolve, 5));
    await before.shutdown({ interrupt: true });
    expect((await fileJournal(dir).runs())[0]).toMatchObject({ runId: 'again', status: 'interrupted' });

    const { agents, calls } = counting();
    const scheduler = createScheduler({ journal: slowToAnswer(fileJournal(dir)), healthCheckIntervalMs: 0, agents });
    const seen = await eventsWhile(scheduler, async () => {
      scheduler.resume('again').subscribe().unsubscribe();
      await scheduler.shutdown({ interrupt: true });
    });
    expect(seen.at(-1)).toMatchObject({ type: 'dag.completed', outcome: 'cancelled' });
    expect((await fileJournal(dir).runs())[0]).toMatchObject({ runId: 'again', status: 'cancelled' });
    expect((await fileJournal(dir).events('again')).slice(-seen.length)).toEqual(seen);
    expect(calls).toEqual([]);
  });

  it('should leave a run its subscriber left only after the interrupting shutdown interrupted, its events saying nothing more of it', async () => {
    const { agents, calls } = counting();
    const scheduler = createScheduler({ journal: slowToAnswer(fileJournal(dir)), healthCheckIntervalMs: 0, agents });
    const seen = await eventsWhile(scheduler, async () => {
      const subscription = scheduler.submit(dag, { runId: 'late' }).subscribe({ error: () => undefined });
      const shutdown = scheduler.shutdown({ interrupt: true });
      subscription.unsubscribe(); // the halt came first: what the run does from now on is not recorded
      await shutdown;
    });
    expect(seen).toEqual([]);
    expect((await fileJournal(dir).runs())[0]).toMatchObject({ runId: 'late', status: 'interrupted' });
    expect(calls).toEqual([]);
  });
});
