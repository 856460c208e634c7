import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { type DagEvent, events } from '../../src/events';
import {
  type Journal,
  type JournalHeader,
  type JournalWriter,
  RunExistsError,
  RunLockedError,
  RunNotResumableError,
  type RunsOptions,
} from '../../src/journal/journal';

/**
 * The journal contract as a suite every backend runs: `describeJournalContract('file', make)`.
 * It checks what `src/journal/journal.ts` promises (round trips, refusals, ownership, summaries,
 * removal) through the interface only; events are opaque to a journal, so they are built with the
 * `events.*` factories and need not make a legal run. Backend-specific checks (transactions,
 * corrupt records, other processes) belong to each backend's own spec.
 *
 * Each test gets a fresh journal from `make` and uses run ids of its own, so a backend may
 * share its storage between tests; `cleanup` runs after each test, once its writers are closed.
 */

/** What `make` gives each test. */
export interface JournalUnderTest {
  readonly journal: Journal;
  cleanup(): Promise<void>;
}

/** Calls `step`, turning a synchronous throw into a rejection (a backend may be synchronous). */
export function attempt<T>(step: () => T | Promise<T>): Promise<T> {
  return Promise.resolve().then(step);
}

/** A run id no other test (or earlier run of the suite on shared storage) uses. */
export function freshRunId(label: string): string {
  return `${label}-${randomBytes(5).toString('hex')}`;
}

/** A header with everything a header may hold: defaults, nested input, retry, a task timeout. */
export function sampleHeader(runId: string, createdAt = Date.now()): JournalHeader {
  return {
    runId,
    dagId: 'contract-dag',
    spec: {
      id: 'contract-dag',
      defaults: { agent: 'echo', retry: { attempts: 3, backoffMs: 10, backoffFactor: 2 }, timeoutMs: 5000 },
      tasks: [
        { id: 'a', input: { zeta: 1, alpha: [1, 'two', null, { deep: true }], text: 'ünïcode ✓ "quoted" \\ back' } },
        { id: 'b', deps: ['a'], agent: 'other', priority: 2, estimateMs: 40 },
        { id: 'c', deps: ['a', 'b'] },
      ],
    },
    options: { failurePolicy: 'continue', contextInjection: true, taskTimeoutMs: 2500 },
    createdAt,
  };
}

/** Builders of events of one run, numbering `seq` from 1 as they are taken. */
export function eventsOf(runId: string, firstSeq = 1) {
  let seq = firstSeq;
  const base = () => ({ runId, seq: seq++, at: 1000 + seq * 10 });
  const task = (taskId: string, attempt = 1) => ({ ...base(), taskId, attempt });
  return {
    created: (taskCount: number) => events.dagCreated({ ...base(), dagId: 'contract-dag', taskCount }),
    ready: (taskId: string) => events.taskReady(task(taskId)),
    started: (taskId: string, attempt = 1) => events.taskStarted({ ...task(taskId, attempt), agent: 'echo' }),
    completed: (taskId: string, output?: unknown) =>
      events.taskCompleted({ ...task(taskId), durationMs: 5, ...(output === undefined ? {} : { output }) }),
    failed: (taskId: string, willRetry: boolean, attempt = 1) =>
      events.taskFailed({
        ...task(taskId, attempt),
        error: { name: 'Error', message: 'boom' },
        severity: 'error',
        willRetry,
      }),
    spawned: (taskId: string, ids: readonly string[]) =>
      events.tasksSpawned({ ...task(taskId), tasks: ids.map((id) => ({ id, deps: [taskId], input: { from: taskId } })) }),
    skipped: (taskId: string, because: string) => events.taskSkipped({ ...task(taskId), because }),
    resumed: (interrupted: readonly string[]) => {
      const fields = base();
      return events.runResumed({ ...fields, resumedAfterSeq: fields.seq - 1, interrupted });
    },
    completedRun: (outcome: 'succeeded' | 'failed' | 'cancelled', total: number, completed: number, failed = 0) =>
      events.dagCompleted({
        ...base(),
        outcome,
        counts: { total, completed, failed, skipped: 0, cancelled: total - completed - failed },
        durationMs: 99,
        failures: [],
      }),
  };
}

/** Runs the journal contract against the journals `make` returns. */
export function describeJournalContract(name: string, make: () => Promise<JournalUnderTest>): void {
  describe(`journal contract: ${name}`, () => {
    let subject: JournalUnderTest;
    let journal: Journal;
    const open = new Set<JournalWriter>();

    /** Creates a run and keeps its writer to close after the test. */
    const create = async (header: JournalHeader): Promise<JournalWriter> => {
      const writer = await attempt(() => journal.create(header));
      open.add(writer);
      return writer;
    };
    const close = async (writer: JournalWriter): Promise<void> => {
      open.delete(writer);
      await writer.close();
    };
    const summaryOf = async (runId: string) => (await journal.runs()).find((run) => run.runId === runId);
    /** `journal.remove`, which every built-in backend has (it is optional for others). */
    const remove = (runId: string): Promise<void> => {
      if (journal.remove === undefined) throw new Error(`${name} has no remove`);
      return journal.remove(runId);
    };

    beforeEach(async () => {
      subject = await make();
      journal = subject.journal;
    });
    afterEach(async () => {
      for (const writer of [...open]) await close(writer).catch(() => undefined);
      await subject.cleanup();
    });

    it('has a location to name in messages', () => {
      expect(typeof journal.location).toBe('string');
      expect(journal.location.length).toBeGreaterThan(0);
    });

    it('gives back the header and every appended event, in seq order, as they were', async () => {
      const runId = freshRunId('roundtrip');
      const header = sampleHeader(runId);
      const e = eventsOf(runId);
      const first: DagEvent[] = [e.created(3), e.ready('a'), e.started('a')];
      // outputs are any JSON-safe value: a NUL character and a lone surrogate included
      const second: DagEvent[] = [
        e.spawned('a', ['a.1', 'a.2']),
        e.completed('a', { text: 'nul \u0000 here', lone: '\ud800', n: 1.5, list: [{ z: 1, a: 2 }] }),
      ];
      const writer = await create(header);
      await writer.append(first);
      await writer.append(second);
      expect(await journal.events(runId)).toEqual([...first, ...second]);
      expect(await journal.header(runId)).toEqual(header);
      await close(writer);
      expect(await journal.events(runId)).toEqual([...first, ...second]);
      // a run without a task timeout: the option stays absent
      const plain: JournalHeader = {
        ...sampleHeader(freshRunId('plain')),
        options: { failurePolicy: 'fail-fast', contextInjection: false },
      };
      await close(await create(plain));
      const stored = await journal.header(plain.runId);
      expect(stored).toEqual(plain);
      expect(stored.options).not.toHaveProperty('taskTimeoutMs');
    });

    it('refuses a run id it already holds (RunExistsError), open or closed, and leaves that run as it was', async () => {
      const runId = freshRunId('exists');
      const e = eventsOf(runId);
      const writer = await create(sampleHeader(runId));
      await writer.append([e.created(1)]);
      await expect(attempt(() => journal.create(sampleHeader(runId)))).rejects.toBeInstanceOf(RunExistsError);
      await close(writer);
      await expect(attempt(() => journal.create(sampleHeader(runId)))).rejects.toMatchObject({ runId });
      expect((await journal.events(runId)).map((event) => event.seq)).toEqual([1]);
      expect((await summaryOf(runId))?.status).toBe('interrupted');
    });

    it('refuses to resume, read or list a run it does not hold (RunNotResumableError "unknown")', async () => {
      const runId = freshRunId('unknown');
      await expect(attempt(() => journal.resume(runId))).rejects.toMatchObject({
        name: 'RunNotResumableError',
        runId,
        reason: 'unknown',
      });
      await expect(journal.events(runId)).rejects.toMatchObject({ reason: 'unknown' });
      await expect(journal.header(runId)).rejects.toBeInstanceOf(RunNotResumableError);
      expect(await summaryOf(runId)).toBeUndefined();
    });

    it('refuses to resume an ended run (last event dag.completed) with its outcome, and changes nothing', async () => {
      const runId = freshRunId('ended');
      const e = eventsOf(runId);
      const all = [e.created(2), e.started('a'), e.failed('a', false), e.skipped('b', 'a'), e.completedRun('failed', 2, 0, 1)];
      const writer = await create(sampleHeader(runId));
      await writer.append(all);
      await close(writer);
      const before = await summaryOf(runId);
      for (let round = 0; round < 2; round += 1) {
        await expect(attempt(() => journal.resume(runId))).rejects.toMatchObject({
          name: 'RunNotResumableError',
          reason: 'ended',
          outcome: 'failed',
        });
      }
      expect(await journal.events(runId)).toEqual(all);
      expect(await summaryOf(runId)).toEqual(before);
      expect(before?.status).toBe('failed');
    });

    it('gives one owner at a time: RunLockedError naming the owner, then the run after its close, continuing its seq', async () => {
      const runId = freshRunId('owned');
      const header = sampleHeader(runId);
      const e = eventsOf(runId);
      const writer = await create(header);
      await writer.append([e.created(2), e.ready('a')]);

      const refused = attempt(() => journal.resume(runId));
      await expect(refused).rejects.toBeInstanceOf(RunLockedError);
      const error = await refused.catch((caught: unknown) => caught);
      expect(error).toMatchObject({ runId });
      // this process owns it: the owner names its pid
      expect((error as RunLockedError).owner).toContain(String(process.pid));
      expect((error as Error).message).toContain((error as RunLockedError).owner);

      // the refusal took nothing from the owner
      await writer.append([e.started('a')]);
      expect((await summaryOf(runId))?.status).toBe('running');
      await close(writer);
      expect((await summaryOf(runId))?.status).toBe('interrupted');

      const resumed = await attempt(() => journal.resume(runId));
      open.add(resumed.writer);
      expect(resumed.header).toEqual(header);
      expect(resumed.events.map((event) => event.seq)).toEqual([1, 2, 3]);
      expect(resumed.events).toEqual(await journal.events(runId));
      expect((await summaryOf(runId))?.status).toBe('running');
      await expect(attempt(() => journal.resume(runId))).rejects.toBeInstanceOf(RunLockedError);

      const more = eventsOf(runId, 4);
      const next = [more.resumed(['a']), more.started('a'), more.completed('a', 'done')];
      await resumed.writer.append(next);
      await close(resumed.writer);
      expect((await journal.events(runId)).map((event) => event.seq)).toEqual([1, 2, 3, 4, 5, 6]);
      expect((await journal.events(runId)).slice(3)).toEqual(next);
    });

    it('removes a run whole, ended or interrupted: no longer listed, read or resumed, and its id free again', async () => {
      const [ended, interrupted, other] = ['removed-ended', 'removed-interrupted', 'kept'].map(freshRunId);
      const e = eventsOf(ended);
      const i = eventsOf(interrupted);
      const o = eventsOf(other);
      const endedWriter = await create(sampleHeader(ended));
      await endedWriter.append([e.created(1), e.started('a'), e.completed('a'), e.completedRun('succeeded', 1, 1)]);
      await close(endedWriter);
      const interruptedWriter = await create(sampleHeader(interrupted));
      await interruptedWriter.append([i.created(3), i.started('a')]);
      await close(interruptedWriter);
      const otherWriter = await create(sampleHeader(other));
      const otherEvents = [o.created(3), o.started('a'), o.completed('a', 'kept output')];
      await otherWriter.append(otherEvents);
      await close(otherWriter);
      const otherBefore = await summaryOf(other);

      await remove(ended);
      await remove(interrupted);

      const listed = (await journal.runs()).map((run) => run.runId);
      expect(listed).not.toContain(ended);
      expect(listed).not.toContain(interrupted);
      for (const runId of [ended, interrupted]) {
        await expect(journal.events(runId)).rejects.toMatchObject({ name: 'RunNotResumableError', runId, reason: 'unknown' });
        await expect(journal.header(runId)).rejects.toMatchObject({ name: 'RunNotResumableError', runId, reason: 'unknown' });
        await expect(attempt(() => journal.resume(runId))).rejects.toMatchObject({ name: 'RunNotResumableError', reason: 'unknown' });
      }
      // the other run is as it was
      expect(await summaryOf(other)).toEqual(otherBefore);
      expect(await journal.events(other)).toEqual(otherEvents);
      // a new run may take a removed run's id: it starts from nothing
      const again = await create(sampleHeader(ended));
      await again.append([eventsOf(ended).created(3)]);
      await close(again);
      expect((await journal.events(ended)).map((event) => event.seq)).toEqual([1]);
      expect((await summaryOf(ended))?.status).toBe('interrupted');
    });

    it('refuses to remove a run it does not hold (RunNotResumableError "unknown" naming the journal), also once removed', async () => {
      const runId = freshRunId('remove-unknown');
      const refused = await remove(runId).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(RunNotResumableError);
      expect(refused).toMatchObject({ runId, reason: 'unknown', message: `run "${runId}" is not in the journal at ${journal.location}` });

      const writer = await create(sampleHeader(runId));
      await close(writer);
      await remove(runId);
      await expect(remove(runId)).rejects.toMatchObject({ name: 'RunNotResumableError', runId, reason: 'unknown' });
    });

    it('refuses to remove a run a live process owns (RunLockedError naming the owner), removing nothing, until it lets go', async () => {
      const runId = freshRunId('remove-owned');
      const e = eventsOf(runId);
      const writer = await create(sampleHeader(runId));
      const stored = [e.created(3), e.started('a')];
      await writer.append(stored);

      const refused = await remove(runId).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(RunLockedError);
      expect(refused).toMatchObject({ runId });
      expect((refused as RunLockedError).owner).toContain(String(process.pid));

      // the refusal took nothing from the run nor from its owner
      expect(await journal.events(runId)).toEqual(stored);
      expect((await summaryOf(runId))?.status).toBe('running');
      const more = eventsOf(runId, 3);
      await writer.append([more.completed('a')]);
      expect((await journal.events(runId)).map((event) => event.seq)).toEqual([1, 2, 3]);

      await close(writer);
      await remove(runId);
      expect(await summaryOf(runId)).toBeUndefined();
    });

    it('lists runs newest first with status, startedAt/endedAt, lastSeq and counts (spawned tasks in total)', async () => {
      const t0 = Date.now();
      const [running, interrupted, succeeded] = ['running', 'interrupted', 'succeeded'].map(freshRunId);
      const r = eventsOf(running);
      const i = eventsOf(interrupted);
      const s = eventsOf(succeeded);

      const owner = await create(sampleHeader(running, t0));
      const runningCreated = r.created(3);
      await owner.append([runningCreated, r.ready('a'), r.started('a')]);

      const stopped = await create(sampleHeader(interrupted, t0 + 1000));
      const created = i.created(2);
      await stopped.append([created, i.started('a'), i.spawned('a', ['a.1', 'a.2']), i.completed('a')]);
      await stopped.append([i.failed('a.1', true), i.failed('a.1', false, 2), i.skipped('b', 'a.1')]);
      await close(stopped);

      const ended = await create(sampleHeader(succeeded, t0 + 2000));
      // built in seq order: a writer appends events in seq order (the contract)
      const endedCreated = s.created(1);
      const endedStarted = s.started('a');
      const endedCompleted = s.completed('a');
      const done = s.completedRun('succeeded', 1, 1);
      await ended.append([endedCreated, endedStarted, endedCompleted, done]);
      await close(ended);

      const mine = (await journal.runs()).filter((run) => [running, interrupted, succeeded].includes(run.runId));
      expect(mine).toEqual([
        {
          runId: succeeded,
          dagId: 'contract-dag',
          status: 'succeeded',
          startedAt: endedCreated.at,
          endedAt: done.at,
          lastSeq: 4,
          counts: { total: 1, completed: 1, failed: 0, skipped: 0, cancelled: 0 },
        },
        {
          runId: interrupted,
          dagId: 'contract-dag',
          status: 'interrupted',
          startedAt: created.at,
          lastSeq: 7,
          counts: { total: 4, completed: 1, failed: 1, skipped: 1, cancelled: 0 },
        },
        {
          runId: running,
          dagId: 'contract-dag',
          status: 'running',
          startedAt: runningCreated.at,
          lastSeq: 3,
          counts: { total: 3, completed: 0, failed: 0, skipped: 0, cancelled: 0 },
          // this process, as a RunLockedError names it
          owner: expect.stringContaining(`${hostname()}:${process.pid} (`),
        },
      ]);
      expect(mine[1]).not.toHaveProperty('endedAt');
      // asked for ended runs, or another DAG's: a backend may list more (a hint), never fewer of those asked for
      const mineOf = async (options: RunsOptions) =>
        (await journal.runs(options)).filter((run) => [running, interrupted, succeeded].includes(run.runId)).map((run) => run.runId);
      expect(await mineOf({ endedOnly: true })).toEqual([succeeded]);
      expect(await mineOf({ dagId: 'contract-dag' })).toEqual([succeeded, interrupted, running]);
      expect(await mineOf({ dagId: 'another-dag' })).toEqual([]);

      // a run without events yet: lastSeq 0, no startedAt, its total from the header's spec
      const empty = freshRunId('empty');
      await close(await create(sampleHeader(empty, t0 + 3000)));
      expect(await summaryOf(empty)).toEqual({
        runId: empty,
        dagId: 'contract-dag',
        status: 'interrupted',
        lastSeq: 0,
        counts: { total: 3, completed: 0, failed: 0, skipped: 0, cancelled: 0 },
      });
    });
  });
}
