import type { ChildProcess } from 'node:child_process';
import { inspect } from 'node:util';
import { hostname, userInfo } from 'node:os';
import { Pool } from 'pg';
import type { DagEvent } from '../../src/events';
import { lastValueFrom } from 'rxjs';
import { defineDag, resumeRun, runDag } from '../../src/index';
import { JournalCorruptError, JournalWriteError, type JournalWriter, RunLockedError } from '../../src/journal/journal';
import { type PostgresJournal, PostgresJournalError, type PostgresJournalOptions, postgresJournal } from '../../src/postgres';
import { Connection, withUserOfProcess } from '../../src/postgres/connection';
import { describePostgres } from '../support/postgres';
import { describeJournalContract, eventsOf, freshRunId, sampleHeader } from './contract';
import { ownerChild } from './support/ownerChild';

/**
 * `postgresJournal` against a real server: the journal contract (through a connection string and
 * through an application's pool), then what only PostgreSQL has: one transaction per append,
 * corrupt records, ownership across processes (a `kill -9`ed owner), throughput, redaction.
 */

describe('postgresJournal options and location (no server needed)', () => {
  it('takes exactly one of connectionString and pool', () => {
    expect(() => postgresJournal({})).toThrow(TypeError);
    const pool = new Pool();
    expect(() => postgresJournal({ connectionString: 'postgres://x@h/db', pool })).toThrow(/exactly one/);
    return pool.end();
  });

  it('refuses a maxSessions that is not a positive integer', () => {
    for (const maxSessions of [0, 1.5, '3']) {
      expect(() => postgresJournal({ connectionString: 'postgres://x@h/db', maxSessions: maxSessions as number })).toThrow(
        new TypeError(
          `postgresJournal: \`maxSessions\` must be a positive integer (got ${typeof maxSessions === 'string' ? '"3"' : maxSessions})`,
        ),
      );
    }
  });

  it('names its location with the password replaced by ***', async () => {
    const cases: Array<[string, string]> = [
      ['postgres://alice:s3cr%40t-pw@db.example:5433/app', 'postgres://alice:***@db.example:5433/app'],
      ['postgresql://alice@db.example/app?sslmode=require', 'postgresql://alice@db.example/app?sslmode=require'],
      ['postgres://db.example/app?password=hunter22&sslmode=require', 'postgres://db.example/app?password=***&sslmode=require'],
    ];
    for (const [connectionString, location] of cases) {
      const journal = postgresJournal({ connectionString });
      expect(journal.location).toBe(location);
      await journal.end();
    }
    const pool = new Pool({ host: 'db.example', user: 'alice', password: 'hunter22', database: 'app', port: 5433 });
    const pooled = postgresJournal({ pool });
    expect(pooled.location).toBe('postgres://alice@db.example:5433/app (pool)');
    await pool.end();
  });

  it("takes the schema of a pool's connection string, and leaves its other parameters to the application", async () => {
    const pool = new Pool({ connectionString: 'postgres://alice@db.example/app?schema=rxdag_pooled' });
    const pooled = postgresJournal({ pool });
    expect(pooled.schema).toBe('rxdag_pooled');
    expect(() => postgresJournal({ pool, schema: 'other' })).toThrow(/two schemas given/);
    const twice = new Pool({ connectionString: 'postgres://alice@db.example/app?schema=a&schema=b' });
    expect(() => postgresJournal({ pool: twice })).toThrow(
      /^postgresJournal: the connection string of `pool` "postgres:\/\/alice@db\.example\/app\?schema=a&schema=b" gives schema= 2 times/,
    );
    // the application's own search_path and sslmode: its pool, its choice (the journal names its schema in every query)
    const own = new Pool({ connectionString: 'postgres://alice@db.example/app?options=-c%20search_path%3Dapp&sslmode=allow' });
    expect(postgresJournal({ pool: own, schema: 'rxdag_pooled' }).schema).toBe('rxdag_pooled');
    await Promise.all([pool.end(), twice.end(), own.end()]);
  });

  it('connects as the user this process runs as when the URL, PGUSER and USER name none, as libpq does', () => {
    const me = userInfo().username;
    const none = {};
    expect(withUserOfProcess('postgres://127.0.0.1:5432/test?schema=s', none)).toBe(
      `postgres://${encodeURIComponent(me)}@127.0.0.1:5432/test?schema=s`,
    );
    // no host in the URL (a socket folder in `host=`): no user name can go before one, a `user` parameter does
    expect(withUserOfProcess('postgres:///test?host=/var/run/postgresql', none)).toBe(
      `postgres:///test?host=%2Fvar%2Frun%2Fpostgresql&user=${encodeURIComponent(me)}`,
    );
    expect(withUserOfProcess('postgresql://h/db', none)).toBe(`postgresql://${encodeURIComponent(me)}@h/db`);
    // a user given anywhere is kept, and other forms are left as they are
    for (const [given, env] of [
      ['postgres://alice@h/db', none],
      ['postgres://h/db?user=bob', none],
      ['postgres://h/db', { PGUSER: 'carol' }],
      ['postgres://h/db', { USER: 'dave' }],
      ['host=h dbname=db', none],
    ] as const) {
      expect(withUserOfProcess(given, env)).toBe(given);
    }
  });

  it('refuses a connection string pg cannot connect with, naming it without its password', () => {
    const expected = 'expected postgres://user:password@host:port/database (or postgresql://…, or socket:/run/postgresql?db=NAME)';
    const refusals: Array<[string, string]> = [
      ['', `"" is empty; ${expected}`],
      ['not a url at all', `"not a url at all" is not a connection string; ${expected}`],
      ['mysql://alice:hunter22@db/app', `"mysql://alice:***@db/app" names another scheme (mysql:); ${expected}`],
      // pg reads the keyword form as a database name on a host called "base"
      ['host=db.example password=hunter22 dbname=app', `"host=db.example password=*** dbname=app" is not a connection string; ${expected}`],
    ];
    for (const [connectionString, problem] of refusals) {
      expect(() => postgresJournal({ connectionString })).toThrow(new TypeError(`postgresJournal: \`connectionString\` ${problem}`));
    }
    expect(() => postgresJournal({ connectionString: 42 as unknown as string })).toThrow(
      new TypeError('postgresJournal: `connectionString` must be a string (got 42)'),
    );
    // the forms pg connects with
    for (const connectionString of ['postgresql://h/db', 'socket:/run/postgresql?db=app', '/run/postgresql app']) {
      expect(postgresJournal({ connectionString }).location).toBe(connectionString);
    }
  });

  it('takes its schema from a schema= parameter of the connection string, as the CLI does, and refuses two schemas', async () => {
    expect(postgresJournal({ connectionString: 'postgres://x@h/db?schema=nightly' })).toMatchObject({
      schema: 'nightly',
      location: 'postgres://x@h/db?schema=nightly',
    });
    expect(postgresJournal({ connectionString: 'postgres://x@h/db?schema=nightly', schema: 'nightly' }).schema).toBe('nightly');
    expect(() => postgresJournal({ connectionString: 'postgres://x@h/db?schema=nightly', schema: 'daily' })).toThrow(
      new TypeError('postgresJournal: two schemas given, `schema` "daily" and schema=nightly in the connection string; give one'),
    );
    expect(() => postgresJournal({ connectionString: `postgres://x@h/db?schema=${'x'.repeat(64)}` })).toThrow(/63 bytes/);
    expect(() => postgresJournal({ connectionString: 'postgres://x@h/db?schema=pg_runs' })).toThrow(/must not start with "pg_"/);
    // a connection string given for the schema: refused, never made a schema, its password hidden
    expect(() => postgresJournal({ connectionString: 'postgres://x@h/db', schema: 'postgres://u:S3CRET@db/app' })).toThrow(
      new TypeError(
        'postgresJournal: schema must be a schema\'s name, got a connection string ("postgres://u:***@db/app"): give that as the connection string',
      ),
    );
    for (const schema of [
      ' postgres://u:S3CRET@db/app',
      'DATABASE_URL=postgres://u:S3CRET@db/app',
      'jdbc:postgresql://u:S3CRET@db/app',
      'postgres:/u:S3CRET@db',
      'u:S3CRET@db/app',

      'host=db password=S3CRET',
      'PGPASSWORD=S3CRET',
      'pg_x password=S3CRET',
      'a\0 password=S3CRET',
      'postgres://u:S3CRET@db.example.com:5432/app?sslmode=require&application_name=nightly',
    ]) {
      expect(() => postgresJournal({ connectionString: 'postgres://x@h/db?schema=other', schema })).toThrow(/password=\*\*\*|u:\*\*\*@/i);
      const refusal = (() => {
        try {
          postgresJournal({ connectionString: 'postgres://x@h/db', schema });
          return 'taken as a schema';
        } catch (error) {
          return (error as Error).message;
        }
      })();
      expect(refusal).toMatch(/got a connection string|must not start with "pg_"/);
      expect(refusal).not.toMatch(/S3CRET/);
    }
    // PostgreSQL keeps only lower-case pg_ names (schema names are case-sensitive here)
    await postgresJournal({ connectionString: 'postgres://x@h/db?schema=PG_runs' }).end();
    expect(() => postgresJournal({ connectionString: 'postgres://x@h/db?schema=a&schema=b' })).toThrow(
      new TypeError('postgresJournal: `connectionString` "postgres://x@h/db?schema=a&schema=b" gives schema= 2 times ("a", "b"); give one'),
    );
    expect(() => postgresJournal({ connectionString: 'postgres://x@h:99999/db' })).toThrow(
      new TypeError(
        'postgresJournal: `connectionString` "postgres://x@h:99999/db" has a port outside 1 to 65535 (or a password holding / ? or #, to be written %2F %3F %23)',
      ),
    );
    expect(() => postgresJournal({ connectionString: 'postgres://x@h/db?connect_timeout=5s' })).toThrow(
      new TypeError(
        'postgresJournal: `connectionString` "postgres://x@h/db?connect_timeout=5s" gives connect_timeout="5s"; expected a whole number',
      ),
    );
  });

  it("refuses maxSessions beside an application's pool, whose own max bounds its runs", async () => {
    const pool = new Pool();
    expect(() => postgresJournal({ pool, maxSessions: 3 })).toThrow(
      new TypeError(
        "postgresJournal: `maxSessions` is for the journal's own connections (`connectionString`); with `pool`, the pool's `max` bounds the runs open at once",
      ),
    );
    await pool.end();
  });

  it('fails a run whose record the server cannot take with JournalWriteError (beforeStart), as the file journal does, calling no agent', async () => {
    const journal = postgresJournal({ connectionString: 'postgres://alice:hunter2-do-not-print@127.0.0.1:1/test' });
    const agent = jest.fn(() => 1);
    const failed = await lastValueFrom(
      runDag(defineDag({ id: 'd', tasks: [{ id: 'a', agent: 'f' }] }), { agents: { f: agent }, journal }),
    ).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failed).toBeInstanceOf(JournalWriteError);
    expect(failed).toMatchObject({ beforeStart: true, location: 'postgres://alice:***@127.0.0.1:1/test' });
    expect((failed as JournalWriteError).cause).toBeInstanceOf(PostgresJournalError);
    expect((failed as Error).message).toMatch(/ECONNREFUSED.*; nothing ran$/);
    expect(agent).not.toHaveBeenCalled();
    await journal.end();
  });

  it('refuses options of the wrong type before connecting, naming each option, its value and what was expected', () => {
    const url = 'postgres://x@h/db';
    const pool = '`pool` must be a pg Pool (an object with connect(), query() and options;';
    const refusals: Array<[Record<string, unknown>, string]> = [
      [{ connectionString: url, schema: 42 }, '`schema` must be a string (got 42)'],
      [{ connectionString: url, schema: null }, '`schema` must be a string (got null)'],
      [{ connectionString: 5 }, '`connectionString` must be a string (got 5)'],
      [{ connectionString: url, maxSessions: 'x' }, '`maxSessions` must be a positive integer (got "x")'],
      [{ pool: 'y' }, `${pool} got "y")`],
      [{ pool: {} }, `${pool} got an object)`],
      [
        { connectionString: url, pool: { max: 5 } },
        `${pool} got an object) (settings for the pool rxdag makes go elsewhere: \`maxSessions\` bounds the runs open at once, and \`pg\` reads the rest from the connection string)`,
      ],
      [{ pool: 'y', schema: ['a'] }, `${pool} got "y"); \`schema\` must be a string (got an array)`],
    ];
    for (const [options, problem] of refusals) {
      expect(() => postgresJournal(options as PostgresJournalOptions)).toThrow(new TypeError(`postgresJournal: ${problem}`));
    }
    expect(() => postgresJournal(null as unknown as PostgresJournalOptions)).toThrow(
      new TypeError('postgresJournal: the options must be an object with `connectionString` or `pool` (got null)'),
    );
    expect(() => postgresJournal(undefined as unknown as PostgresJournalOptions)).toThrow(
      new TypeError('postgresJournal: the options must be an object with `connectionString` or `pool` (got undefined)'),
    );
    // a connection string given where the options go: its password hidden
    expect(() => postgresJournal('postgres://u:S3cret@h/db' as unknown as PostgresJournalOptions)).toThrow(
      new TypeError('postgresJournal: the options must be an object with `connectionString` or `pool` (got "postgres://u:***@h/db")'),
    );
    // a misspelt schema would journal into the default one, which the CLI shares
    expect(() => postgresJournal({ connectionString: 'postgres://x@h/db', shcema: 'mine' } as PostgresJournalOptions)).toThrow(
      new TypeError('postgresJournal: unknown option `shcema` (did you mean `schema`?)'),
    );
  });

  it('refuses a schema name PostgreSQL cannot hold', () => {
    expect(() => postgresJournal({ connectionString: 'postgres://x@h/db', schema: '' })).toThrow(TypeError);
    expect(() => postgresJournal({ connectionString: 'postgres://x@h/db', schema: 'x'.repeat(64) })).toThrow(/63 bytes/);
  });

  it('reports an unreachable server as one error naming the redacted location, never the password', async () => {
    const password = 'hunter2-do-not-print';
    const journal = postgresJournal({ connectionString: `postgres://alice:${password}@127.0.0.1:1/test` });
    for (const step of [() => journal.runs(), () => journal.create(sampleHeader('r1')), () => journal.resume('r1')]) {
      const error = await step().then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(PostgresJournalError);
      expect(error).toMatchObject({ location: 'postgres://alice:***@127.0.0.1:1/test', code: 'ECONNREFUSED' });
      expect(String(error)).toMatch(
        /^PostgresJournalError: PostgreSQL journal at postgres:\/\/alice:\*\*\*@127\.0\.0\.1:1\/test: cannot .*ECONNREFUSED/,
      );
      expect(inspect(error, { depth: 10 })).not.toContain(password);
    }
    await journal.end();
  });
});

describePostgres('postgresJournal', (db) => {
  it('reaches the server from a process without USER or PGUSER, with a URL that names no user', async () => {
    const saved = { USER: process.env.USER, PGUSER: process.env.PGUSER };
    delete process.env.USER;
    delete process.env.PGUSER;
    const url = new URL(db.connectionString);
    url.username = '';
    url.password = '';
    const journal = postgresJournal({ connectionString: url.toString(), schema: db.schema });
    try {
      const listed = await journal.runs().then(
        () => 'listed',
        (error: unknown) => String(error),
      );
      // the server heard a user name: ours (it may have no role of that name here)
      expect(listed).toMatch(new RegExp(`^listed$|role "${userInfo().username}" does not exist`));
    } finally {
      await journal.end();
      for (const [name, value] of Object.entries(saved)) if (value !== undefined) process.env[name] = value;
    }
  });

  describeJournalContract('PostgreSQL (connection string)', async () => {
    const journal = postgresJournal({ connectionString: db.connectionString, schema: db.schema });
    return { journal, cleanup: () => journal.end() };
  });

  describeJournalContract("PostgreSQL (an application's pool)", async () => {
    const pool = new Pool({ connectionString: db.connectionString, max: 3 });
    const journal = postgresJournal({ pool, schema: db.schema });
    return { journal, cleanup: () => pool.end() };
  });

  const journalOf = (schema = db.schema) => {
    const journal = postgresJournal({ connectionString: db.connectionString, schema });
    db.onCleanup(() => journal.end());
    return journal;
  };
  const seqs = (events: readonly DagEvent[]) => events.map((event) => event.seq);
  const events = `"${db.schema}".events`;

  it('commits each append as one transaction: a failing append leaves no row of it', async () => {
    const journal = journalOf();
    const runId = freshRunId('tx');
    const e = eventsOf(runId);
    const writer = await journal.create(sampleHeader(runId));
    await writer.append([e.created(5), e.ready('a')]);
    const batch = [e.started('a'), e.completed('a'), e.ready('b'), e.started('b'), e.completed('b')];
    // a row planted behind the writer's back makes the 3rd event of the next append a duplicate
    await db.query(`INSERT INTO ${events} (run_id, seq, type, event) VALUES ($1, 5, 'planted', '{"seq":5}')`, [runId]);
    const failed = await Promise.resolve(writer.append(batch)).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(PostgresJournalError);
    expect(failed).toMatchObject({ code: '23505' });
    const storedSeqs = async () =>
      (await db.query<{ seq: number }>(`SELECT seq FROM ${events} WHERE run_id = $1 ORDER BY seq`, [runId])).map((row) => row.seq);
    expect(await storedSeqs()).toEqual([1, 2, 5]);
    expect((await journal.runs()).find((run) => run.runId === runId)?.lastSeq).toBe(2);

    await db.query(`DELETE FROM ${events} WHERE run_id = $1 AND type = 'planted'`, [runId]);
    await writer.append(batch);
    expect(seqs(await journal.events(runId))).toEqual([1, 2, 3, 4, 5, 6, 7]);
    await writer.close();
    await expect(Promise.resolve(writer.append([]))).rejects.toThrow(/closed/);
  });

  it('stores a group too big for one statement in pieces of one transaction: all of it, or none when a piece is refused', async () => {
    const journal = journalOf();
    const runId = freshRunId('pieces');
    const e = eventsOf(runId);
    const writer = await journal.create(sampleHeader(runId));
    await writer.append([e.created(4_000)]);
    const wide: DagEvent[] = [];
    for (let task = 0; task < 4_000; task++) wide.push(e.ready(`t${task}`), e.started(`t${task}`), e.completed(`t${task}`, task));
    // a row planted behind the writer's back makes an event of the group's third piece a duplicate
    await db.query(`INSERT INTO ${events} (run_id, seq, type, event) VALUES ($1, 11000, 'planted', '{"seq":11000}')`, [runId]);
    const failed = await Promise.resolve(writer.append(wide)).catch((error: unknown) => error);
    expect(failed).toMatchObject({ code: '23505' });
    const stored = async () => (await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${events} WHERE run_id = $1`, [runId]))[0]!.n;
    expect(await stored()).toBe('2'); // dag.created and the planted row: none of the 12,000
    await db.query(`DELETE FROM ${events} WHERE run_id = $1 AND type = 'planted'`, [runId]);
    await writer.append(wide);
    // and outputs whose JSON texts are too long together for one statement
    const big = 'x'.repeat(7 * 1024 * 1024);
    await writer.append([e.completed('t0', big), e.completed('t1', big), e.completed('t2', big)]);
    await writer.close();
    const read = await journal.events(runId);
    expect([read.length, seqs(read).every((seq, i) => seq === i + 1), read.at(-1)]).toEqual([
      12_004,
      true,
      expect.objectContaining({ output: big }),
    ]);
    expect((await journal.runs()).find((run) => run.runId === runId)).toMatchObject({ lastSeq: 12_004, counts: { completed: 4_003 } });
  }, 60_000);

  it('refuses an append that does not continue the seq, before writing anything', async () => {
    const journal = journalOf();
    const runId = freshRunId('order');
    const writer = await journal.create(sampleHeader(runId));
    const e = eventsOf(runId, 2);
    await expect(Promise.resolve(writer.append([e.created(1)]))).rejects.toThrow(/expected seq 1, got 2/);
    expect(await journal.events(runId)).toEqual([]);
    await writer.close();
  });

  it('refuses to resume a record with a gap or a lost tail (JournalCorruptError), and changes nothing', async () => {
    const journal = journalOf();
    const runId = freshRunId('corrupt');
    const e = eventsOf(runId);
    const writer = await journal.create(sampleHeader(runId));
    await writer.append([e.created(2), e.ready('a'), e.started('a'), e.completed('a')]);
    await writer.close();
    await db.query(`DELETE FROM ${events} WHERE run_id = $1 AND seq = 3`, [runId]);
    for (let round = 0; round < 2; round += 1) {
      // the second round proves the first released the run's lock
      const error = await Promise.resolve(journal.resume(runId)).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(JournalCorruptError);
      expect(error).toMatchObject({ runId, where: 'seq 3' });
    }
    await expect(journal.events(runId)).rejects.toMatchObject({ name: 'JournalCorruptError', runId, where: 'seq 3' });
    expect((await journal.runs()).find((run) => run.runId === runId)?.status).toBe('interrupted');

    await db.query(`DELETE FROM ${events} WHERE run_id = $1 AND seq = 4`, [runId]);
    await expect(Promise.resolve(journal.resume(runId))).rejects.toMatchObject({
      name: 'JournalCorruptError',
      problem: expect.stringMatching(/last seq is 4/),
    });
  });

  describe('reading a record changed behind its back', () => {
    /** A closed run of seq 1..6 whose stored rows `damage` changes; its rows (seq, event as text) after. */
    const damaged = async (label: string, damage: (runId: string) => Promise<unknown>) => {
      const journal = journalOf();
      const runId = freshRunId(label);
      const e = eventsOf(runId);
      const writer = await journal.create(sampleHeader(runId));
      await writer.append([e.created(2), e.ready('a'), e.started('a'), e.completed('a'), e.ready('b'), e.started('b')]);
      await writer.close();
      await damage(runId);
      const rows = () => db.query(`SELECT seq, event::text FROM ${events} WHERE run_id = $1 ORDER BY seq`, [runId]);
      const runRow = () => db.query(`SELECT header::text, last_seq, counts FROM "${db.schema}".runs WHERE run_id = $1`, [runId]);
      return {
        journal,
        runId,
        stored: { events: await rows(), run: await runRow() },
        now: async () => ({ events: await rows(), run: await runRow() }),
      };
    };

    it.each<[string, (runId: string) => string, string, RegExp]>([
      [
        'a deleted event',
        () => `DELETE FROM ${events} WHERE run_id = $1 AND seq = 3`,
        'seq 3',
        /^missing: the next stored event is seq 4$/,
      ],
      [
        'an event whose seq was changed',
        () => `UPDATE ${events} SET seq = 60 WHERE run_id = $1 AND seq = 5`,
        'seq 5',
        /^missing: the next stored event is seq 6$/,
      ],
      [
        'a lost last event',
        () => `DELETE FROM ${events} WHERE run_id = $1 AND seq = 6`,
        'seq 6',
        /last seq is 6 but its last stored event is seq 5/,
      ],
      [
        'an event of another run',
        () => `UPDATE ${events} SET event = replace(event::text, $1, 'other')::json WHERE run_id = $1 AND seq = 2`,
        'seq 2',
        /^task\.ready of run "other" in the journal of run "events-[0-9a-f]+"$/,
      ],
      [
        'a type column changed',
        () => `UPDATE ${events} SET type = 'task.failed' WHERE run_id = $1 AND seq = 4`,
        'seq 4',
        /^the row's type is task\.failed, its event's task\.completed$/,
      ],
      [
        'an outcome written into its row',
        () => `UPDATE "${db.schema}".runs SET outcome = 'succeeded' WHERE run_id = $1`,
        'its row',
        /^its outcome reads succeeded but its events do not end it$/,
      ],
    ])(
      'refuses to give the events of a record with %s (JournalCorruptError, as resume does), changing nothing',
      async (label, damage, where, problem) => {
        const { journal, runId, stored, now } = await damaged('events', (id) => db.query(damage(id), [id]));
        const read = await journal.events(runId).catch((error: unknown) => error);
        expect([label, read]).toEqual([label, expect.any(JournalCorruptError)]);
        expect(read).toMatchObject({ runId, where, problem: expect.stringMatching(problem) });
        expect((read as Error).message).toBe(`journal of run "${runId}" is corrupt at ${where}: ${(read as JournalCorruptError).problem}`);
        await expect(Promise.resolve(journal.resume(runId))).rejects.toMatchObject({ name: 'JournalCorruptError', where });
        expect(await now()).toEqual(stored);
      },
    );

    it('gives the events of a whole record, and none of a run without events', async () => {
      const { journal, runId } = await damaged('whole', async () => undefined);
      expect(seqs(await journal.events(runId))).toEqual([1, 2, 3, 4, 5, 6]);
      const empty = freshRunId('empty');
      await (await journal.create(sampleHeader(empty))).close();
      expect(await journal.events(empty)).toEqual([]);
      await db.query(`UPDATE "${db.schema}".runs SET last_seq = 3 WHERE run_id = $1`, [empty]);
      await expect(journal.events(empty)).rejects.toMatchObject({ name: 'JournalCorruptError', where: 'seq 1' });
    });

    it('refuses the header of a run whose dagId was renamed, naming the run, the field and what was expected, and lists it from its row', async () => {
      const { journal, runId, stored, now } = await damaged('header', (id) =>
        db.query(`UPDATE "${db.schema}".runs SET header = replace(header::text, '"dagId"', '"dagid"')::json WHERE run_id = $1`, [id]),
      );
      const message = `journal of run "${runId}" is corrupt at its header: the header is not an rxdag run header: dagId is missing (expected a string)`;
      await expect(journal.header(runId)).rejects.toThrow(message);
      await expect(journal.header(runId)).rejects.toBeInstanceOf(JournalCorruptError);
      await expect(Promise.resolve(journal.resume(runId))).rejects.toThrow(message);
      // the listing reads the run's row, not its header: the dag id it was created with
      expect((await journal.runs()).find((run) => run.runId === runId)).toMatchObject({ dagId: 'contract-dag', status: 'interrupted' });
      expect(await now()).toEqual(stored);
    });
  });

  it('creates its tables once when several journals start runs on a new schema at once', async () => {
    const schema = db.newSchema();
    const journals = [1, 2, 3, 4].map(() => journalOf(schema));
    const runIds = journals.map(() => freshRunId('first'));
    const writers = await Promise.all(journals.map((journal, i) => journal.create(sampleHeader(runIds[i]!))));
    await Promise.all(writers.map((writer) => writer.close()));
    expect((await journals[0]!.runs()).map((run) => run.runId).sort()).toEqual([...runIds].sort());
  });

  it('creates nothing when it lists or reads a schema that has no tables: no runs, every run id unknown', async () => {
    const schema = db.newSchema();
    const journal = journalOf(schema);
    expect(await journal.runs()).toEqual([]);
    const reads: readonly (() => Promise<unknown>)[] = [
      () => journal.events('nope'),
      () => journal.header('nope'),
      () => journal.resume('nope'),
    ];
    for (const read of reads) {
      await expect(Promise.resolve().then(read)).rejects.toMatchObject({ name: 'RunNotResumableError', runId: 'nope' });
    }
    const [found] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = $1', [schema]);
    expect(found?.n).toBe(0);
  });

  it('records a run whose subscriber left before the run was created as cancelled, calling no agent', async () => {
    const journal = journalOf();
    const runId = freshRunId('left');
    const called: string[] = [];
    const dag = { id: 'left', tasks: [{ id: 'a', agent: 'w' }] };
    runDag(dag, { agents: { w: ({ id }) => called.push(id) }, journal, runId })
      .subscribe()
      .unsubscribe();
    const deadline = Date.now() + 10_000;
    let status: string | undefined;
    while (Date.now() < deadline && status !== 'cancelled') {
      await new Promise((resolve) => setTimeout(resolve, 20));
      status = (await journal.runs()).find((run) => run.runId === runId)?.status;
    }
    expect([status, called]).toEqual(['cancelled', []]);
  });

  /**
   * Two runs of `journal` open, and the create of a third under way (it waits for a session);
   * every writer closed after the test (closing twice is harmless: a failed expectation must not
   * leave sessions open).
   */
  async function twoOpenAndOneWaiting(journal: PostgresJournal, label: string) {
    const [first, second] = await Promise.all([
      journal.create(sampleHeader(freshRunId(label))),
      journal.create(sampleHeader(freshRunId(label))),
    ]);
    let third: JournalWriter | undefined;
    const creating = journal.create(sampleHeader(freshRunId(label))).then((writer) => (third = writer));
    db.onCleanup(async () => {
      await first.close();
      await Promise.all([second.close(), creating.then((writer) => writer.close())]);
    });
    return { first, second, third: () => third, creating };
  }

  it('holds at most maxSessions connections for open runs: the next run waits for one, and starts when a run ends', async () => {
    const journal = postgresJournal({ connectionString: db.connectionString, schema: db.schema, maxSessions: 2 });
    db.onCleanup(() => journal.end());
    const { first, second, third, creating } = await twoOpenAndOneWaiting(journal, 'cap');
    const owners = async () =>
      Number(
        (
          await db.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1`, [
            `rxdag ${hostname()}:${process.pid}`,
          ])
        )[0]!.n,
      );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(third()).toBeUndefined();
    expect(await owners()).toBe(2);
    await first.close();
    await creating;
    expect(third()).toBeDefined();
    await Promise.all([second.close(), third()!.close()]);
  });

  it("keeps a client of an application's pool for its reads: a listing answers while runs hold the others, and the next run waits", async () => {
    const pool = new Pool({ connectionString: db.connectionString, max: 3 });
    db.onCleanup(() => pool.end());
    const journal = postgresJournal({ pool, schema: db.schema });
    const { first, second, third, creating } = await twoOpenAndOneWaiting(journal, 'pooled');
    // two runs hold two of the pool's three clients: the third is the journal's reads'
    const listed = await Promise.race([
      journal.runs(),
      new Promise<'waited'>((resolve) => setTimeout(() => resolve('waited'), 5_000).unref()),
    ]);
    expect(listed).not.toBe('waited');
    expect((listed as readonly unknown[]).length).toBeGreaterThanOrEqual(2);
    expect(third()).toBeUndefined();
    await first.close();
    await creating;
    expect(third()).toBeDefined();
    await Promise.all([second.close(), third()!.close()]);
  });

  /**
   * A journal reading through an application's pool that runs the hook set in `between`, once,
   * right after the listing's read of the runs and their locks.
   */
  const journalPausingListing = () => {
    const base = new Pool({ connectionString: db.connectionString, max: 4 });
    db.onCleanup(() => base.end());
    const hooks: { between?: (() => Promise<void>) | undefined } = {};
    const pool = new Proxy(base, {
      get(target, property) {
        if (property !== 'query') {
          const value: unknown = Reflect.get(target, property, target);
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        }
        return async (config: { readonly text: string }) => {
          const result: unknown = await target.query(config);
          const hook = hooks.between;
          if (hook !== undefined && config.text.includes('WITH held AS')) {
            hooks.between = undefined;
            await hook();
          }
          return result;
        };
      },
    });
    return { journal: postgresJournal({ pool, schema: db.schema }), hooks };
  };

  it('lists a run that ended while the listing ran with its end, not as interrupted', async () => {
    const { journal, hooks } = journalPausingListing();
    const runId = freshRunId('ending');
    const e = eventsOf(runId);
    const writer = await journal.create(sampleHeader(runId));
    await writer.append([e.created(1), e.ready('a'), e.started('a')]);
    await writer.close(); // its process stopped: interrupted, until a resume ends it
    hooks.between = async () => {
      const { writer: resumed } = await journal.resume(runId);
      await resumed.append([e.resumed(['a']), e.started('a'), e.completed('a'), e.completedRun('succeeded', 1, 1)]);
      await resumed.close();
    };
    const listed = (await journal.runs()).find((run) => run.runId === runId);
    expect(hooks.between).toBeUndefined(); // the run ended while the listing ran
    expect(listed).toMatchObject({ status: 'succeeded', lastSeq: 7, counts: { completed: 1 } });
    // and the filters are the server's: another DAG's runs, or ended runs only
    expect(await journal.runs({ dagId: 'another-dag' })).toEqual([]);
    expect((await journal.runs({ endedOnly: true })).map((run) => run.runId)).toContain(runId);
  });

  it('lists a run whose owner let go before the listing asked who it is as ended or interrupted, never running without an owner', async () => {
    const { journal, hooks } = journalPausingListing();
    const [ending, stopping] = [freshRunId('owned-ending'), freshRunId('owned-stopping')];
    const writers = await Promise.all([journal.create(sampleHeader(ending)), journal.create(sampleHeader(stopping))]);
    const [e, f] = [eventsOf(ending), eventsOf(stopping)];
    await writers[0].append([e.created(1), e.ready('a'), e.started('a')]);
    await writers[1].append([f.created(1), f.ready('a'), f.started('a')]);
    // both owned when the listing reads them; then one ends and both owners let go
    hooks.between = async () => {
      await writers[0].append([e.completed('a'), e.completedRun('succeeded', 1, 1)]);
      await Promise.all(writers.map((writer) => writer.close()));
    };
    const listed = await journal.runs();
    expect(hooks.between).toBeUndefined();
    expect(listed.find((run) => run.runId === ending)).toMatchObject({ status: 'succeeded', lastSeq: 5 });
    expect(listed.find((run) => run.runId === stopping)).toMatchObject({ status: 'interrupted', lastSeq: 3 });
    // and a run still owned is listed with its owner
    const owned = freshRunId('owned');
    const writer = await journal.create(sampleHeader(owned));
    expect((await journal.runs()).find((run) => run.runId === owned)).toMatchObject({ status: 'running', owner: expect.any(String) });
    await writer.close();
  });

  it('gives runs of schemas "S:x" and "S" locks of their own: run "y" of one is not run "x:y" of the other', async () => {
    const plain = db.newSchema();
    const colon = `${plain}:x`; // dropped below: the suite drops the schemas it named
    const [inColon, inPlain] = [colon, plain].map((schema) => postgresJournal({ connectionString: db.connectionString, schema }));
    try {
      const y = freshRunId('y');
      const colonWriter = await inColon!.create(sampleHeader(y));
      const plainWriter = await inPlain!.create(sampleHeader(`x:${y}`)); // the same text, schema and run id joined by a colon
      expect((await inPlain!.runs()).map(({ runId, status }) => [runId, status])).toEqual([[`x:${y}`, 'running']]);
      await plainWriter.close();
      // no longer owned, though the other schema's run "y" is
      expect((await inPlain!.runs()).map(({ runId, status }) => [runId, status])).toEqual([[`x:${y}`, 'interrupted']]);
      expect((await inColon!.runs()).map(({ runId, status }) => [runId, status])).toEqual([[y, 'running']]);
      const { writer } = await inPlain!.resume(`x:${y}`);
      await Promise.all([writer.close(), colonWriter.close()]);
    } finally {
      await Promise.all([inColon!.end(), inPlain!.end()]);
      await db.query(`DROP SCHEMA IF EXISTS "${colon}" CASCADE`);
    }
  });

  it("gives a run's client back to an application's pool without its lock or its name", async () => {
    const pool = new Pool({ connectionString: db.connectionString, max: 1 });
    db.onCleanup(() => pool.end());
    const journal = postgresJournal({ pool, schema: db.schema });
    const runId = freshRunId('pool');
    const writer = await journal.create(sampleHeader(runId));
    await writer.close();
    const [row] = (
      await pool.query<{ name: string; locks: string; idle: string }>(
        `SELECT current_setting('application_name') AS name,
        (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()) AS locks,
        current_setting('tcp_keepalives_idle') AS idle`,
      )
    ).rows;
    expect(row).toMatchObject({ name: '', locks: '0' });
    expect(row?.idle).not.toBe('30'); // the server's own keepalive again, whatever it is here
    await journal.end();
    expect(pool.ended).toBe(false);
  });

  it("waits for an answer as long as the query_timeout of its pool's connection string says, as pg does for that pool", async () => {
    const url = new URL(db.connectionString);
    url.searchParams.set('query_timeout', '1234');
    const pool = new Pool({ connectionString: url.href, max: 2 });
    db.onCleanup(() => pool.end());
    const connection = new Connection({ pool });
    try {
      expect(connection.queryTimeoutMs).toBe(1234);
      // its own option wins, as in pg
      expect(new Connection({ pool: new Pool({ connectionString: url.href, query_timeout: 999 }) }).queryTimeoutMs).toBe(999);
    } finally {
      await connection.end();
    }
  });

  it("names its pool's connections beside the sessions that own runs, so that `rxdag%` finds them", async () => {
    const connection = new Connection({ connectionString: db.connectionString });
    try {
      const [row] = await connection.query<{ name: string }>('read its name', `SELECT current_setting('application_name') AS name`);
      expect(row?.name).toBe(`rxdag-pool ${hostname()}:${process.pid}`);
    } finally {
      await connection.end();
    }
  });

  it('sets TCP keepalives on the sessions that own runs, so that the server drops a vanished client in about a minute', async () => {
    const connection = new Connection({ connectionString: db.connectionString });
    const session = await connection.session('read its settings');
    try {
      const [row] = await session.query(
        `SELECT current_setting('tcp_keepalives_idle') AS idle, current_setting('tcp_keepalives_interval') AS interval,
        current_setting('tcp_keepalives_count') AS count, current_setting('application_name') AS name`,
      );
      expect(row).toEqual({ idle: '30', interval: '10', count: '3', name: connection.ownerTag });
    } finally {
      await session.release();
      await connection.end();
    }
  });

  it('works in the schema a schema= parameter of its connection string names', async () => {
    const url = new URL(db.connectionString);
    url.searchParams.set('schema', db.schema);
    const byUrl = postgresJournal({ connectionString: url.toString() });
    db.onCleanup(() => byUrl.end());
    const runId = freshRunId('url-schema');
    await (await byUrl.create(sampleHeader(runId))).close();
    expect((await journalOf().runs()).map((run) => run.runId)).toContain(runId);
  });

  it('refuses every use after end(), while a run it opened before goes on to its end', async () => {
    const journal = postgresJournal({ connectionString: db.connectionString, schema: db.schema });
    const runId = freshRunId('ended');
    const writer = await journal.create(sampleHeader(runId));
    await journal.end();
    await writer.append([eventsOf(runId).created(1)]);
    await writer.close();
    const ended = /^PostgreSQL journal at .*: cannot .*: the journal was ended \(its end\(\) was called\); make a new one$/;
    for (const step of [
      () => journal.runs(),
      () => journal.create(sampleHeader(freshRunId('late'))),
      () => journal.resume(runId),
      () => journal.events(runId),
      () => journal.remove(runId),
    ]) {
      const error = await step().then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(PostgresJournalError);
      expect((error as Error).message).toMatch(ended);
    }
    expect(await journalOf().events(runId)).toHaveLength(1);
  });

  it("counts a run another remover takes at the same moment as gone, not as a live owner's (two prunes at once)", async () => {
    const runId = freshRunId('raced');
    await (await journalOf().create(sampleHeader(runId))).close();
    // another remover's transaction: the run's lock taken, its rows deleted, committed a moment later
    // this remover under a stricter isolation by default: a snapshot of its own would never see the run go
    const strict = new URL(db.connectionString);
    strict.searchParams.set('options', '-c default_transaction_isolation=serializable');
    const journal = postgresJournal({ connectionString: strict.toString(), schema: db.schema });
    db.onCleanup(() => journal.end());
    const other = new Pool({ connectionString: db.connectionString, max: 1, application_name: 'rxdag-pool elsewhere:1' });
    const client = await other.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`rxdag:${db.schema}:${runId}`]);
      await client.query(`DELETE FROM "${db.schema}".events WHERE run_id = $1`, [runId]);
      await client.query(`DELETE FROM "${db.schema}".runs WHERE run_id = $1`, [runId]);
      const removal = journal.remove(runId).catch((error: unknown) => error);
      setTimeout(() => void client.query('COMMIT'), 1500); // a run of a million events takes about a second
      const error = (await removal) as Error;
      // (its message in a failure: a RunLockedError names the holder)
      expect(`${error.name}: ${error.message}`).toMatch(/^RunNotResumableError: /);
      expect(error).toMatchObject({ runId, reason: 'unknown' });
    } finally {
      client.release();
      await other.end();
    }
  });

  it('names a run this process owns as this process, without pg_terminate_backend, which would end its own session', async () => {
    const runId = freshRunId('own');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let taskStarted!: () => void;
    const started = new Promise<void>((resolve) => (taskStarted = resolve));
    const agents = {
      wait: async () => {
        taskStarted();
        await gate;
        return 'done';
      },
    };
    const dag = defineDag({ id: 'own', tasks: [{ id: 'a', agent: 'wait' }] });
    const running = lastValueFrom(runDag(dag, { agents, journal: journalOf(), runId }));
    try {
      await started;
      const refused = await lastValueFrom(resumeRun(journalOf(), runId, { agents })).catch((caught: unknown) => caught);
      expect(refused).toBeInstanceOf(RunLockedError);
      expect(refused).toMatchObject({ runId, owner: `${hostname()}:${process.pid} (this process)`, backendPid: undefined });
      expect((refused as Error).message).toContain('(this process)');
      expect((refused as Error).message).not.toContain('pg_terminate_backend');
    } finally {
      release();
      await running.catch(() => undefined);
    }
    expect((await journalOf().runs()).find((run) => run.runId === runId)?.status).toBe('succeeded');
  });

  describe('ownership across processes', () => {
    let child: ChildProcess | undefined;
    afterEach(async () => {
      if (child !== undefined && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((done) => child?.once('exit', done));
        child.kill('SIGKILL');
        await exited;
      }
      child = undefined;
    });

    it('refuses a run a live process owns, and takes it over once that process is killed -9', async () => {
      const journal = journalOf();
      const runId = freshRunId('crash');
      const e = eventsOf(runId);
      const writer = await journal.create(sampleHeader(runId));
      await writer.append([e.created(1), e.ready('a')]);
      await writer.close();

      const started = await ownerChild('holdRun.ts', [db.connectionString, db.schema, runId], (spawned) => (child = spawned));

      const refused = await Promise.resolve(journal.resume(runId)).catch((caught: unknown) => caught);
      expect(refused).toBeInstanceOf(RunLockedError);
      expect((refused as RunLockedError).owner).toContain(`:${started.pid} `);
      // the session's server process, which an operator can end when the owner's machine is gone
      const { backendPid } = refused as RunLockedError;
      const [holder] = await db.query<{ name: string }>('SELECT application_name AS name FROM pg_stat_activity WHERE pid = $1', [
        backendPid,
      ]);
      expect(holder?.name).toBe(`rxdag ${hostname()}:${started.pid}`);
      expect((refused as Error).message).toBe(
        `run "${runId}" is owned by ${(refused as RunLockedError).owner}, whose session is still open; wait for it to end or stop it first ` +
          `(if that process is gone, SELECT pg_terminate_backend(${backendPid}) ends its session)`,
      );
      expect((await journal.runs()).find((run) => run.runId === runId)?.status).toBe('running');

      const exited = new Promise((done) => started.once('exit', done));
      started.kill('SIGKILL');
      await exited;
      const killedAt = Date.now();
      // the server notices the dead connection and releases the lock; bounded wait
      let run: Awaited<ReturnType<typeof journal.resume>> | undefined;
      while (run === undefined) {
        try {
          run = await journal.resume(runId);
        } catch (error) {
          if (!(error instanceof RunLockedError) || Date.now() - killedAt > 10_000) throw error;
          await new Promise((done) => setTimeout(done, 100));
        }
      }
      expect(seqs(run.events)).toEqual([1, 2, 3]);
      expect(run.events[2]?.type).toBe('run.resumed');
      await run.writer.append([eventsOf(runId, 4).resumed([])]);
      await run.writer.close();
      expect(seqs(await journal.events(runId))).toEqual([1, 2, 3, 4]);
    }, 40_000);
  });

  it('appends 20,000 events in groups of 200 (throughput, printed, not asserted)', async () => {
    const journal = journalOf();
    const runId = freshRunId('throughput');
    const e = eventsOf(runId);
    const all: DagEvent[] = [e.created(10_000)];
    for (let task = 0; all.length < 20_000; task += 1) {
      const id = `t${task}`;
      const steps = [() => e.ready(id), () => e.started(id), () => e.completed(id, { n: task, text: 'out' })];
      for (const step of steps) if (all.length < 20_000) all.push(step());
    }
    const writer = await journal.create(sampleHeader(runId));
    const started = process.hrtime.bigint();
    for (let at = 0; at < all.length; at += 200) await writer.append(all.slice(at, at + 200));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await writer.close();
    const readStarted = process.hrtime.bigint();
    const resumed = await journal.resume(runId);
    const readSeconds = Number(process.hrtime.bigint() - readStarted) / 1e9;
    await resumed.writer.close();
    console.log(
      `postgresJournal throughput: ${all.length} events in ${all.length / 200} appends, ${seconds.toFixed(2)} s, ` +
        `${Math.round(all.length / seconds)} events/s; resume read them in ${readSeconds.toFixed(2)} s`,
    );
    expect(resumed.events).toHaveLength(20_000);
    expect((await journal.runs()).find((run) => run.runId === runId)?.lastSeq).toBe(20_000);
  }, 120_000);
});
