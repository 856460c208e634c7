import path from 'node:path';
import { Client } from 'pg';
import { describePostgres } from '../support/postgres';
import { tempDir, writeText } from './support/files';
import { rxdagInProcess } from './support/inProcessCli';

/**
 * `rxdag runs`, `show` and `run` with a PostgreSQL store whose schema holds someone else's
 * `runs` and `events`: one line naming the schema and the tables (exit 2, nothing ran, nothing
 * written), never "cannot reach the store", since the server was reached; a server that
 * refused a statement is not worded so either.
 */
describePostgres("rxdag with a PostgreSQL store whose schema holds someone else's tables", (db) => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  it('should refuse runs, show and run in one line naming the schema and its tables, not as a server it cannot reach', async () => {
    const schema = db.newSchema();
    await db.query(`CREATE SCHEMA "${schema}"`);
    await db.query(`CREATE TABLE "${schema}".runs (id serial, note text)`);
    await db.query(`CREATE TABLE "${schema}".events (x int)`);
    const store = `${db.connectionString}?schema=${schema}`;
    const dag = writeText(path.join(tmp.dir, 'foreign.yaml'), ['id: foreign', 'tasks:', '  - id: only', '    run: "true"', ''].join('\n'));

    const runs = await rxdagInProcess('runs', '--store', store);
    const show = await rxdagInProcess('show', 'some-run', '--store', store);
    const run = await rxdagInProcess('run', dag, '--store', store, '--quiet');

    const reason =
      `schema "${schema}" has tables "runs" (no columns run_id, dag_id, header, created_at, outcome, started_at, ended_at, last_seq, counts) ` +
      `and "events" (no columns run_id, seq, type, event) that are not an rxdag journal's: use another schema (?schema=NAME)`;
    const line = (action: string) => `rxdag: PostgreSQL journal at ${store}: cannot ${action}: ${reason}\n`;
    expect(runs).toEqual({ code: 2, stdout: '', stderr: line('list runs') });
    expect(show).toEqual({ code: 2, stdout: '', stderr: line('read run "some-run"') });
    expect(run).toEqual({ code: 2, stdout: '', stderr: line(`check the journal's tables in schema "${schema}"`) });
    const tables = await db.query<{ name: string }>('SELECT tablename AS name FROM pg_tables WHERE schemaname = $1 ORDER BY 1', [schema]);
    expect(tables.map((table) => table.name)).toEqual(['events', 'runs']);
  });

  it('should say that a schema holds no journal when a run asked for is not in it (a misspelt schema=), for show, resume and prune', async () => {
    const store = `${db.connectionString}?schema=${db.newSchema()}`;
    const line = `rxdag: run "some-run" is not in the store ${store}, which has no journal (runs are journaled there by rxdag run)\n`;
    expect(await rxdagInProcess('show', 'some-run', '--store', store)).toEqual({ code: 2, stdout: '', stderr: line });
    expect(await rxdagInProcess('resume', 'some-run', '--store', store)).toEqual({ code: 2, stdout: '', stderr: line });
    expect(await rxdagInProcess('prune', 'some-run', '--store', store)).toEqual({ code: 2, stdout: '', stderr: line });
    // and with no run named
    const newest = await rxdagInProcess('resume', '--store', store);
    expect(newest).toMatchObject({ code: 2, stdout: '' });
    expect(newest.stderr).toContain(`in the store ${store} (it has no journal: runs are journaled there by rxdag run; `);
  });

  it('should not word a login the server refused (an unknown user or database) as a store it cannot reach', async () => {
    const url = new URL(db.connectionString);
    const asUser = new URL(url.href);
    asUser.username = 'rxdag_nobody_here';
    const inDatabase = new URL(url.href);
    inDatabase.pathname = '/rxdag_no_such_database';
    for (const [store, reason] of [
      [`${asUser.href}?schema=x`, 'role "rxdag_nobody_here" does not exist'],
      [`${inDatabase.href}?schema=x`, 'database "rxdag_no_such_database" does not exist'],
    ] as const) {
      const runs = await rxdagInProcess('runs', '--store', store);
      expect(runs).toMatchObject({
        code: 2,
        stdout: '',
        // a login refused is said as the connection it is, whatever the command asked first
        stderr: expect.stringMatching(new RegExp(`^rxdag: PostgreSQL journal at .*: cannot connect: ${reason}\\n$`)),
      });
    }
  });

  it('should not word a statement the server refused as a store it cannot reach', async () => {
    const schema = db.newSchema();
    const dag = writeText(path.join(tmp.dir, 'locked.yaml'), ['id: locked', 'tasks:', '  - id: only', '    run: "true"', ''].join('\n'));
    expect((await rxdagInProcess('run', dag, '--store', `${db.connectionString}?schema=${schema}`, '--quiet')).code).toBe(0);
    const locker = new Client({ connectionString: db.connectionString });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE "${schema}".runs IN ACCESS EXCLUSIVE MODE`);
      // the server gives up waiting for the lock and says so: it was reached
      const store = `${db.connectionString}?schema=${schema}&lock_timeout=200`;
      expect(await rxdagInProcess('runs', '--store', store)).toEqual({
        code: 2,
        stdout: '',
        stderr: `rxdag: PostgreSQL journal at ${store}: cannot list runs: canceling statement due to lock timeout\n`,
      });
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
  });
});
