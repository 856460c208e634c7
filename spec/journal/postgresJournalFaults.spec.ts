import { Client, Pool } from 'pg';
import type { DagEvent } from '../../src/events';
import { type Agent, runDag } from '../../src/index';
import { JournalWriteError, RunLockedError } from '../../src/journal/journal';
import { PostgresJournalError, postgresJournal, type PostgresJournal } from '../../src/postgres';
import { QUERY_TIMEOUT_MS } from '../../src/postgres/connection';
import { describePostgres, runLockHolder } from '../support/postgres';
import { startMutePostgres, startTcpProxy, type TcpProxy } from '../support/tcpProxy';
import { eventsOf, freshRunId, sampleHeader } from './contract';

/**
 * `postgresJournal` when the server or the network fails it: a run whose lock's session is ended
 * stops at once (another process may own it now); every query waits at most `query_timeout` (a
 * frozen network, a table lock, a server that never answers) and names it when it fails; an
 * append whose answer never came breaks its writer, so what the server committed anyway is in
 * the record once; giving a run up and ending the journal do not hang on a frozen network.
 * The network faults come from a TCP proxy (`spec/support/tcpProxy.ts`); short timeouts through
 * pg's `query_timeout` parameter keep each test short. The tests wait rather than work, so they run
 * at once (a test that locks a table has a schema of its own), but for the one with a fake clock.
 */

/** The `query_timeout` (ms) of the journals that go through a faulty network here. */
const SHORT_QUERY_TIMEOUT_MS = 600;
/** What a loaded machine may add to a wait measured in real time: the bounds stay far below the defaults (30 s). */
const SLACK_MS = 5000;

/** A connection string with pg's `query_timeout` parameter. */
function withQueryTimeout(connectionString: string, ms = SHORT_QUERY_TIMEOUT_MS): string {
  const url = new URL(connectionString);
  url.searchParams.set('query_timeout', String(ms));
  return url.toString();
}

/** How a promise settled and when (ms after `since`). */
async function settled<T>(promise: Promise<T>, since: number): Promise<{ value?: T; error?: unknown; afterMs: number }> {
  try {
    const value = await promise;
    return { value, afterMs: Date.now() - since };
  } catch (error) {
    return { error, afterMs: Date.now() - since };
  }
}

describePostgres('postgresJournal on a failing server or network', (db) => {
  const server = new URL(db.connectionString);
  const target = { host: server.hostname, port: Number(server.port || 5432) };
  const proxies: TcpProxy[] = [];
  const ends: Array<() => Promise<void>> = [];
  // proxies first: a frozen session may hold locks that would keep the schema from being dropped
  db.onCleanup(async () => {
    for (const proxy of proxies.splice(0)) await proxy.close();
    for (const end of ends.splice(0)) await end();
  });
  const proxy = async () => {
    const started = await startTcpProxy(target);
    proxies.push(started);
    return started;
  };
  const journalAt = (connectionString: string, schema = db.schema): PostgresJournal => {
    const journal = postgresJournal({ connectionString, schema });
    ends.push(() => journal.end());
    return journal;
  };
  const direct = () => journalAt(db.connectionString);
  const seqs = (events: readonly DagEvent[]) => events.map((event) => event.seq);

  /** Resumes `runId` directly once the server dropped its old owner's session, within `withinMs`. */
  const resumeOnceFree = async (journal: PostgresJournal, runId: string, withinMs = 10_000) => {
    const deadline = Date.now() + withinMs;
    for (;;) {
      try {
        return await journal.resume(runId);
      } catch (error) {
        if (!(error instanceof RunLockedError) || Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  };

  it.concurrent.each([
    ['a connection string', (connectionString: string) => postgresJournal({ connectionString, schema: db.schema })],
    [
      "an application's pool",
      (connectionString: string) => {
        const pool = new Pool({ connectionString, max: 2 });
        ends.push(() => pool.end());
        return postgresJournal({ pool, schema: db.schema });
      },
    ],
  ])(
    'should stop a run at once when the session holding its lock is ended, before its attempt ends, naming the server reason, through %s',
    async (_, make) => {
      const journal = make(db.connectionString);
      ends.push(() => journal.end());
      const runId = freshRunId('lost');
      let started: () => void = () => {};
      const running = new Promise<void>((resolve) => (started = resolve));
      let aborted = false;
      const slow: Agent = ({ signal }) =>
        new Promise((resolve, reject) => {
          started();
          const timer = setTimeout(() => resolve('done'), 10_000);
          signal.addEventListener('abort', () => {
            clearTimeout(timer);
            aborted = true;
            reject(new Error('aborted'));
          });
        });
      const seen: DagEvent[] = [];
      const dag = { id: 'lost', tasks: [{ id: 'slow', agent: 'slow' }] };
      const ended = new Promise<unknown>((resolve) =>
        // health checks off: no append would come before the attempt's end
        runDag(dag, { agents: { slow }, journal, runId, healthCheckIntervalMs: 0 }).subscribe({
          next: (event) => seen.push(event),
          error: resolve,
          complete: () => resolve('completed'),
        }),
      );
      await running;
      // the attempt's start is stored: from here no append is out, only the lost session can tell
      const stored = direct();
      const deadline = Date.now() + 5000;
      while (!(await stored.events(runId).catch(() => [])).some((event) => event.type === 'task.started') && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const holder = await runLockHolder(db, db.schema, runId);
      expect(holder?.applicationName).toMatch(new RegExp(`^rxdag .*:${process.pid}$`));
      const terminatedAt = Date.now();
      await db.query('SELECT pg_terminate_backend($1)', [holder?.pid]);
      const { value: error, afterMs } = await settled(ended, terminatedAt);
      expect(error).toBeInstanceOf(JournalWriteError);
      expect((error as Error).message).toMatch(
        new RegExp(`cannot keep the lock of run "${runId}" \\(its session ended\\): terminating connection due to administrator command`),
      );
      expect(afterMs).toBeLessThan(SLACK_MS); // long before the attempt's 10 s
      expect(aborted).toBe(true);
      expect(seen.map((event) => event.type)).not.toContain('task.completed');
      // the server released the lock with the session: another process takes the run over
      const resumed = await direct().resume(runId);
      expect(resumed.events.at(-1)).toMatchObject({ type: 'task.started', taskId: 'slow' });
      await resumed.writer.close();
    },
    20_000,
  );

  it.concurrent(
    'should fail an append whose answer does not come within query_timeout, append nothing more, and keep what the server committed once',
    async () => {
      const network = await proxy();
      const journal = journalAt(withQueryTimeout(network.url(db.connectionString)));
      const runId = freshRunId('unanswered');
      const e = eventsOf(runId);
      const writer = await journal.create(sampleHeader(runId));
      await writer.append([e.created(2), e.ready('a')]);
      // the server gets the next append and commits it; its answer never comes back
      network.freeze('answers');
      const sentAt = Date.now();
      const { error, afterMs } = await settled(Promise.resolve(writer.append([e.started('a'), e.completed('a')])), sentAt);
      expect(error).toBeInstanceOf(PostgresJournalError);
      expect(String(error)).toMatch(
        new RegExp(
          `cannot append seq 3\\.\\.4 to run "${runId}": no answer from the server within ${SHORT_QUERY_TIMEOUT_MS} ms \\(query_timeout\\)`,
        ),
      );
      expect(afterMs).toBeLessThan(SHORT_QUERY_TIMEOUT_MS + SLACK_MS);
      // the writer cannot tell whether seq 3..4 committed: it appends nothing more on that session
      await expect(Promise.resolve(writer.append([e.ready('b')]))).rejects.toThrow(/no answer from the server/);
      await writer.close();
      network.cut(); // the server drops the session (and its lock) as the connection goes
      const resumed = await resumeOnceFree(direct(), runId);
      expect(seqs(resumed.events)).toEqual([1, 2, 3, 4]);
      await resumed.writer.close();
    },
    20_000,
  );

  it.concurrent(
    'should stop a run whose store freezes with a JournalWriteError naming the timeout, its attempts aborted',
    async () => {
      const network = await proxy();
      const journal = journalAt(withQueryTimeout(network.url(db.connectionString)));
      const runId = freshRunId('frozen');
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => (release = resolve));
      let started: () => void = () => {};
      const running = new Promise<void>((resolve) => (started = resolve));
      let aborted = false;
      const agents: Record<string, Agent> = {
        gated: async () => {
          started();
          await gate;
          return 'out';
        },
        slow: ({ signal }) =>
          new Promise((resolve) => {
            const timer = setTimeout(() => resolve('done'), 10_000);
            signal.addEventListener('abort', () => ((aborted = true), clearTimeout(timer), resolve('aborted')));
          }),
      };
      const dag = {
        id: 'frozen',
        tasks: [
          { id: 'gated', agent: 'gated' },
          { id: 'slow', agent: 'slow' },
          { id: 'after', agent: 'gated', deps: ['gated'] },
        ],
      };
      const ended = new Promise<unknown>((resolve) =>
        runDag(dag, { agents, journal, runId, healthCheckIntervalMs: 0 }).subscribe({
          error: resolve,
          complete: () => resolve('completed'),
        }),
      );
      await running;
      network.freeze();
      const frozenAt = Date.now();
      release(); // its completion is appended, and waits for the frozen store
      const { value: error, afterMs } = await settled(ended, frozenAt);
      expect(error).toBeInstanceOf(JournalWriteError);
      expect((error as Error).message).toMatch(
        /no answer from the server within 600 ms \(query_timeout\); the server may still write them \(a resume reads what it holds\); run stopped$/,
      );
      expect(aborted).toBe(true);
      expect(afterMs).toBeLessThan(SHORT_QUERY_TIMEOUT_MS + SLACK_MS);
    },
    20_000,
  );

  it.concurrent(
    'should stop a run whose store falls silent while it appends nothing, within a heartbeat and a query timeout',
    async () => {
      const network = await proxy();
      const journal = journalAt(withQueryTimeout(network.url(db.connectionString)));
      const runId = freshRunId('silent');
      let started: () => void = () => {};
      const running = new Promise<void>((resolve) => (started = resolve));
      let aborted = false;
      // runs until told to stop: nothing is appended while it runs
      const waiting: Agent = ({ signal }) =>
        new Promise((resolve) => {
          started();
          signal.addEventListener('abort', () => ((aborted = true), resolve('aborted')));
        });
      const dag = { id: 'silent', tasks: [{ id: 'waiting', agent: 'waiting' }] };
      let subscription: { unsubscribe(): void } | undefined;
      const ended = new Promise<unknown>((resolve) => {
        subscription = runDag(dag, { agents: { waiting }, journal, runId, healthCheckIntervalMs: 0 }).subscribe({
          error: resolve,
          complete: () => resolve('completed'),
        });
      });
      await running;
      // its start stored: the run is quiet, nothing left to append
      const stored = direct();
      const deadline = Date.now() + 10_000;
      const startStored = async () => (await stored.events(runId).catch(() => [])).some((event) => event.type === 'task.started');
      while (!(await startStored()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      // frozen before its start was stored, the run would fail on that append, not on its lock
      expect(await startStored()).toBe(true);
      network.freeze();
      const frozenAt = Date.now();
      let giveUp: NodeJS.Timeout | undefined;
      const gaveUp = new Promise((resolve) => (giveUp = setTimeout(resolve, 8000, 'still running')));
      const { value: error, afterMs } = await settled(Promise.race([ended, gaveUp]), frozenAt);
      clearTimeout(giveUp);
      subscription?.unsubscribe();
      expect(error).toBeInstanceOf(JournalWriteError);
      expect((error as Error).message).toContain(`keep the lock of run "${runId}"`);
      expect(aborted).toBe(true);
      // asked after the query timeout (its heartbeat period here), answered never: one more
      expect(afterMs).toBeLessThan(2 * SHORT_QUERY_TIMEOUT_MS + SLACK_MS);
    },
    20_000,
  );

  it.concurrent(
    'should give a run up and end the journal within bounds on a frozen network; the server drops the lock once the connection goes',
    async () => {
      const network = await proxy();
      const journal = postgresJournal({ connectionString: network.url(db.connectionString), schema: db.schema });
      const runId = freshRunId('halted');
      const e = eventsOf(runId);
      const writer = await journal.create(sampleHeader(runId));
      await writer.append([e.created(1)]);
      network.freeze();
      const outstanding = Promise.resolve(writer.append([e.ready('a')])).catch((error: unknown) => error);
      const reading = journal.runs().catch((error: unknown) => error); // a pooled connection, waiting too
      const closing = Date.now();
      const closed = await settled(Promise.resolve(writer.close()), closing);
      const ended = await settled(journal.end(), Date.now());
      expect(closed.error).toBeUndefined();
      expect(closed.afterMs).toBeLessThan(7000);
      expect(ended.error).toBeUndefined();
      expect(ended.afterMs).toBeLessThan(3500);
      expect(await outstanding).toBeInstanceOf(PostgresJournalError);
      expect(await reading).toBeInstanceOf(PostgresJournalError);
      network.cut();
      const resumed = await resumeOnceFree(direct(), runId);
      expect(seqs(resumed.events)).toEqual([1]);
      await resumed.writer.close();
    },
    20_000,
  );

  it.concurrent(
    'should fail reads and a new run naming the timeout while a table lock blocks them, and serve them once it is gone',
    async () => {
      // a schema of its own: the lock would hold up the other tests' journals
      const schema = db.newSchema();
      const journal = journalAt(withQueryTimeout(db.connectionString), schema);
      const runId = freshRunId('locked-table');
      await (await journal.create(sampleHeader(runId))).close();
      const locker = new Client({ connectionString: db.connectionString });
      await locker.connect();
      try {
        await locker.query('BEGIN');
        await locker.query(`LOCK TABLE "${schema}".runs IN ACCESS EXCLUSIVE MODE`);
        const blocked = freshRunId('blocked');
        const reads: ReadonlyArray<() => Promise<unknown>> = [
          () => journal.runs(),
          () => journal.header(runId),
          () => journal.create(sampleHeader(blocked)),
        ];
        for (const read of reads) {
          const { error, afterMs } = await settled(Promise.resolve().then(read), Date.now());
          expect(error).toBeInstanceOf(PostgresJournalError);
          expect(String(error)).toMatch(/: no answer from the server within 600 ms \(query_timeout\)$/);
          expect(afterMs).toBeLessThan(SHORT_QUERY_TIMEOUT_MS + SLACK_MS);
        }
        await locker.query('ROLLBACK');
        // the refused run's insert, still waiting on the server, runs once the lock is gone:
        // it must not leave a run the caller was told did not start (nothing ran, exit 2)
        const inserting = async () =>
          Number(
            (
              await db.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE query LIKE $1 AND state <> 'idle'`, [
                `INSERT INTO "${schema}".runs%`,
              ])
            )[0]!.n,
          );
        for (let waited = 0; waited < 5000 && (await inserting()) > 0; waited += 50) await new Promise((done) => setTimeout(done, 50));
        const listed = (await journal.runs()).map((run) => run.runId);
        expect(listed).toContain(runId);
        expect(listed).not.toContain(blocked);
      } finally {
        await locker.query('ROLLBACK');
        await locker.end();
      }
    },
    20_000,
  );

  it.concurrent(
    'should fail every request to a server that accepts connections but never answers, naming the timeout and what it was doing',
    async () => {
      const mute = await startMutePostgres();
      try {
        const journal = journalAt(withQueryTimeout(mute.url(db.connectionString)));
        const requests: Array<[() => Promise<unknown>, RegExp]> = [
          [() => journal.runs(), /cannot list runs: no answer/],
          [() => journal.events('r1'), /cannot read the events of run "r1": no answer/],
          // checking the tables is not creating them
          [() => journal.create(sampleHeader('r1')), /cannot check the journal's tables in schema "[^"]+": no answer/],
        ];
        for (const [request, message] of requests) {
          const { error, afterMs } = await settled(request(), Date.now());
          expect(error).toBeInstanceOf(PostgresJournalError);
          expect(String(error)).toMatch(message);
          expect(afterMs).toBeLessThan(SHORT_QUERY_TIMEOUT_MS + SLACK_MS);
        }
      } finally {
        await mute.close();
      }
    },
    20_000,
  );

  it.concurrent(
    'should store a group of a wide run in pieces, each within the query time limit that the whole group would pass',
    async () => {
      // a wide run's group (what it recorded while the last one was stored) of 100,000 events took
      // several seconds as one statement; a piece takes a fraction of a second
      const journal = journalAt(withQueryTimeout(db.connectionString, 3000));
      const runId = freshRunId('wide');
      const e = eventsOf(runId);
      const writer = await journal.create(sampleHeader(runId));
      const group: DagEvent[] = [e.created(34_000)];
      for (let task = 0; group.length < 100_000; task++)
        group.push(e.ready(`t${task}`), e.started(`t${task}`), e.completed(`t${task}`, task));
      await writer.append(group);
      await writer.close();
      expect((await journal.runs()).find((run) => run.runId === runId)?.lastSeq).toBe(group.length);
    },
    60_000,
  );

  // not at once with the others: the clock is faked for the whole file
  it('should wait for an answer 30 s by default (QUERY_TIMEOUT_MS), then fail naming the timeout', async () => {
    const mute = await startMutePostgres();
    const journal = postgresJournal({ connectionString: mute.url(db.connectionString), schema: db.schema });
    // the clock is faked for pg's timers; the sockets go on for real between its steps
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      let outcome: { error: unknown } | undefined;
      void journal.runs().then(
        () => (outcome = { error: undefined }),
        (error: unknown) => (outcome = { error }),
      );
      let waitedMs = 0;
      for (; outcome === undefined && waitedMs <= QUERY_TIMEOUT_MS + 5000; waitedMs += 500) {
        for (let turn = 0; turn < 10; turn += 1) await new Promise((resolve) => setImmediate(resolve));
        jest.advanceTimersByTime(500);
      }
      for (let turn = 0; turn < 10; turn += 1) await new Promise((resolve) => setImmediate(resolve));
      expect(QUERY_TIMEOUT_MS).toBe(30_000);
      expect(String(outcome?.error)).toMatch(/cannot list runs: no answer from the server within 30000 ms \(query_timeout\)$/);
      expect(waitedMs).toBeGreaterThanOrEqual(QUERY_TIMEOUT_MS);
      expect(waitedMs).toBeLessThan(QUERY_TIMEOUT_MS + 2000);
    } finally {
      jest.useRealTimers();
      await journal.end();
      await mute.close();
    }
  }, 20_000);
});
