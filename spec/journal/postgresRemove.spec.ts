import { hostname } from 'node:os';
import { Client } from 'pg';
import { RunLockedError, RunNotResumableError } from '../../src/journal/journal';
import { PostgresJournalError, postgresJournal } from '../../src/postgres';
import { describePostgres } from '../support/postgres';
import { eventsOf, freshRunId, sampleHeader } from './contract';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * How the PostgreSQL journal forgets a run (`journal.remove`), beyond the contract every journal
 * keeps (`contract.ts`): a session holding the run's lock (its owner) refuses it, naming that
 * session, until the server lets the lock go; the run's rows go in one transaction, all or none;
 * a schema without the journal's tables holds no run and gets none.
 */
describePostgres('postgresJournal remove', (db) => {
  const journalOf = (schema = db.schema) => {
    const journal = postgresJournal({ connectionString: db.connectionString, schema });
    db.onCleanup(() => journal.end());
    return journal;
  };
  /** How many rows of the run each table holds. */
  const rowsOf = async (schema: string, runId: string) => {
    const count = async (table: string) =>
      Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}".${table} WHERE run_id = $1`, [runId]))[0]!.n);
    return { runs: await count('runs'), events: await count('events') };
  };
  /** A closed run with `events` events (its `dag.created` and started tasks). */
  const storedRun = async (journal: ReturnType<typeof journalOf>, label: string, events = 3) => {
    const runId = freshRunId(label);
    const e = eventsOf(runId);
    const writer = await journal.create(sampleHeader(runId));
    await writer.append([e.created(3), ...Array.from({ length: events - 1 }, (_, i) => e.started('a', i + 1))]);
    await writer.close();
    return runId;
  };

  it('refuses a run whose lock another session holds, naming it and deleting nothing, then removes it once that session is gone', async () => {
    const journal = journalOf();
    const runId = await storedRun(journal, 'held');
    const holder = new Client({ connectionString: db.connectionString, application_name: 'prune-spec-holder' });
    await holder.connect();
    let holderPid: number;
    try {
      holderPid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      await holder.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [`rxdag:${db.schema}:${runId}`]);

      const refused = await journal.remove(runId).catch((error: unknown) => error);

      expect(refused).toBeInstanceOf(RunLockedError);
      expect(refused).toMatchObject({ runId });
      expect((refused as RunLockedError).owner).toMatch(new RegExp(`^"prune-spec-holder" .*\\(PostgreSQL backend pid ${holderPid}\\)$`));
      expect(await rowsOf(db.schema, runId)).toEqual({ runs: 1, events: 3 });
      expect((await journal.runs()).find((run) => run.runId === runId)?.status).toBe('running');
    } finally {
      await holder.end();
    }
    // the server releases the lock as the session's backend ends: a moment after the client closed
    const endedAt = Date.now();
    for (;;) {
      const error = await journal.remove(runId).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      if (error === undefined) break;
      if (!(error instanceof RunLockedError) || Date.now() - endedAt > 10_000) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await rowsOf(db.schema, runId)).toEqual({ runs: 0, events: 0 });
    await expect(journal.events(runId)).rejects.toBeInstanceOf(RunNotResumableError);
  });

  it('refuses a run a writer of this process holds, and leaves the writer able to append', async () => {
    const journal = journalOf();
    const runId = freshRunId('writing');
    const e = eventsOf(runId);
    const writer = await journal.create(sampleHeader(runId));
    try {
      await writer.append([e.created(3)]);
      await expect(journal.remove(runId)).rejects.toBeInstanceOf(RunLockedError);
      await writer.append([e.started('a')]);
      expect(await rowsOf(db.schema, runId)).toEqual({ runs: 1, events: 2 });
    } finally {
      await writer.close();
    }
  });

  it('waits for a remover that took the run’s lock after it first looked, naming it afresh rather than as an unknown session (three prunes at once)', async () => {
    const journal = journalOf();
    const runId = await storedRun(journal, 'relay');
    const lockName = `rxdag:${db.schema}:${runId}`;
    const remover = (name: string) => new Client({ connectionString: db.connectionString, application_name: `rxdag-pool ${name}:1` });
    const first = remover('first');
    await first.connect();
    const second = remover('second');
    try {
      await first.query('BEGIN');
      await first.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [lockName]);
      const removal = journal.remove(runId).catch((error: unknown) => error);
      // this remover looked once (its transaction began): the second connects only after that look
      const ownPool = `rxdag-pool ${hostname()}:${process.pid}`.slice(0, 63);
      const inTransaction = 'SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND xact_start IS NOT NULL';
      while ((await db.query(inTransaction, [ownPool])).length === 0) await sleep(10);
      await sleep(200);
      await second.connect();
      await second.query('BEGIN');
      const taken = second.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [lockName]);
      const waiting = 'SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE NOT l.granted AND a.application_name = $1';
      while ((await db.query(waiting, ['rxdag-pool second:1'])).length === 0) await sleep(10);
      // the first gives up; the second takes the lock and removes the run a moment later
      await first.query('ROLLBACK');
      await taken;
      await second.query('DELETE FROM "' + db.schema + '".events WHERE run_id = $1', [runId]);
      await second.query('DELETE FROM "' + db.schema + '".runs WHERE run_id = $1', [runId]);
      setTimeout(() => void second.query('COMMIT'), 1000);
      const error = (await removal) as Error;
      expect(`${error.name}: ${error.message}`).toMatch(/^RunNotResumableError: /);
      expect(error).toMatchObject({ runId, reason: 'unknown' });
    } finally {
      await first.end();
      await second.end();
    }
  });

  it('removes every event of a long run and only that run’s rows', async () => {
    const journal = journalOf();
    const long = await storedRun(journal, 'long', 500);
    const other = await storedRun(journal, 'other');

    await journal.remove(long);

    expect(await rowsOf(db.schema, long)).toEqual({ runs: 0, events: 0 });
    expect(await rowsOf(db.schema, other)).toEqual({ runs: 1, events: 3 });
  });

  it('removes a run in one transaction: when deleting its row fails, its events are all still there', async () => {
    const schema = db.newSchema();
    const journal = journalOf(schema);
    const runId = await storedRun(journal, 'refused', 5);
    await db.query(
      `CREATE FUNCTION "${schema}".refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by the spec'; END $$`,
    );
    await db.query(`CREATE TRIGGER refuse BEFORE DELETE ON "${schema}".runs FOR EACH ROW EXECUTE FUNCTION "${schema}".refuse()`);

    const failed = await journal.remove(runId).catch((error: unknown) => error);

    expect(failed).toBeInstanceOf(PostgresJournalError);
    expect(failed).toMatchObject({ action: `remove run "${runId}"`, reason: 'refused by the spec' });
    expect(await rowsOf(schema, runId)).toEqual({ runs: 1, events: 5 });
    expect((await journal.events(runId)).map((event) => event.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('calls a run unknown in a schema without the journal’s tables, and creates nothing there', async () => {
    const schema = db.newSchema();
    const refused = await journalOf(schema)
      .remove('nope')
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RunNotResumableError);
    expect(refused).toMatchObject({ runId: 'nope', reason: 'unknown' });
    expect(await db.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).toEqual([]);
  });
});
