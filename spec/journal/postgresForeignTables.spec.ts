import { lastValueFrom } from 'rxjs';
import { defineDag, runDag } from '../../src/index';
import { JournalWriteError } from '../../src/journal/journal';
import { PostgresJournalError, postgresJournal } from '../../src/postgres';
import { describePostgres } from '../support/postgres';
import { freshRunId, sampleHeader } from './contract';

/**
 * The PostgreSQL journal in a schema that holds someone else's tables named `runs` or `events`
 * (without the journal's columns): every use, `hasJournal()` included, is refused with one
 * `PostgresJournalError` naming the schema and the tables, not a raw SQL error, and nothing is
 * written into the schema (no table created beside them, no row, no index).
 */
describePostgres("postgresJournal in a schema with someone else's tables", (db) => {
  const journalOf = (schema: string) => {
    const journal = postgresJournal({ connectionString: db.connectionString, schema });
    db.onCleanup(() => journal.end());
    return journal;
  };
  /** A new schema holding `tables` (`CREATE TABLE` bodies by name) and one row in each. */
  const foreignSchema = async (tables: Record<string, string>) => {
    const schema = db.newSchema();
    await db.query(`CREATE SCHEMA "${schema}"`);
    for (const [name, columns] of Object.entries(tables)) {
      await db.query(`CREATE TABLE "${schema}".${name} (${columns})`);
      await db.query(`INSERT INTO "${schema}".${name} DEFAULT VALUES`);
    }
    return schema;
  };
  /** Everything in `schema`: its relations (tables, indexes, sequences) with their columns, and each table's rows. */
  const contentsOf = async (schema: string) => {
    const relations = await db.query<{ relname: string; relkind: string; columns: string[] }>(
      `SELECT c.relname, c.relkind, array_remove(array_agg(a.attname::text ORDER BY a.attnum), NULL) AS columns
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
       WHERE n.nspname = $1 GROUP BY c.relname, c.relkind ORDER BY c.relname`,
      [schema],
    );
    const rows: Record<string, unknown[]> = {};
    for (const { relname, relkind } of relations) {
      if (relkind === 'r') rows[relname] = await db.query(`SELECT * FROM "${schema}"."${relname}"`);
    }
    return { relations, rows };
  };
  const RUNS_COLUMNS = 'run_id, dag_id, header, created_at, outcome, started_at, ended_at, last_seq, counts';
  const refusal = (action: string, reason: string) =>
    expect.objectContaining({ name: 'PostgresJournalError', action, reason, code: undefined, serverAnswered: true });

  it('tells its own tables from none: hasJournal() is false before a run and true after', async () => {
    const journal = journalOf(db.newSchema());
    expect(await journal.hasJournal()).toBe(false);
    await (await journal.create(sampleHeader(freshRunId('own')))).close();
    expect(await journal.hasJournal()).toBe(true);
  });

  it("refuses every use of a schema whose runs and events are someone else's, naming both tables, and changes nothing", async () => {
    const schema = await foreignSchema({ runs: 'id serial, note text', events: 'x int' });
    const before = await contentsOf(schema);
    const journal = journalOf(schema);
    const reason =
      `schema "${schema}" has tables "runs" (no columns ${RUNS_COLUMNS}) and "events" (no columns run_id, seq, type, event) ` +
      "that are not an rxdag journal's: use another schema (?schema=NAME)";
    const check = `check the journal's tables in schema "${schema}"`;
    const uses: Array<[string, () => Promise<unknown>]> = [
      [check, () => journal.hasJournal()],
      ['list runs', () => journal.runs()],
      ['read the header of run "r1"', () => journal.header('r1')],
      ['read the events of run "r1"', () => journal.events('r1')],
      ['resume run "r1"', () => journal.resume('r1')],
      ['remove run "r1"', () => journal.remove('r1')],
      [check, () => journal.create(sampleHeader('r1'))],
    ];
    for (const [action, use] of uses) {
      const error = await use().then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(PostgresJournalError);
      expect(error).toEqual(refusal(action, reason));
      expect((error as Error).message).toBe(`PostgreSQL journal at ${journal.location}: cannot ${action}: ${reason}`);
    }
    expect(await contentsOf(schema)).toEqual(before);
  });

  it("fails a run beside someone else's runs table with JournalWriteError (beforeStart), calling no agent and creating no events table", async () => {
    const schema = await foreignSchema({ runs: 'id serial, run_id text' });
    const before = await contentsOf(schema);
    const journal = journalOf(schema);
    const agent = jest.fn(() => 1);
    const dag = defineDag({ id: 'd', tasks: [{ id: 'a', agent: 'f' }] });
    const failed = await lastValueFrom(runDag(dag, { agents: { f: agent }, journal })).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failed).toBeInstanceOf(JournalWriteError);
    expect(failed).toMatchObject({ beforeStart: true });
    expect((failed as JournalWriteError).cause).toEqual(
      refusal(
        `check the journal's tables in schema "${schema}"`,
        `schema "${schema}" has a table "runs" that is not an rxdag journal's (no columns ${RUNS_COLUMNS.replace('run_id, ', '')}): ` +
          'use another schema (?schema=NAME)',
      ),
    );
    expect(agent).not.toHaveBeenCalled();
    expect(await contentsOf(schema)).toEqual(before);
  });

  it("refuses to create a run beside someone else's events table alone, creating no runs table", async () => {
    const schema = await foreignSchema({ events: 'run_id text, seq int, type text' });
    const before = await contentsOf(schema);
    const journal = journalOf(schema);
    await expect(journal.create(sampleHeader(freshRunId('beside')))).rejects.toEqual(
      refusal(
        `check the journal's tables in schema "${schema}"`,
        `schema "${schema}" has a table "events" that is not an rxdag journal's (no column event): use another schema (?schema=NAME)`,
      ),
    );
    expect(await journal.runs().catch((error: Error) => error.message)).toMatch(/has a table "events" that is not an rxdag journal's/);
    expect(await contentsOf(schema)).toEqual(before);
  });
});
