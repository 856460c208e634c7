import { existsSync, readdirSync, rmSync } from 'node:fs';
import { tempDir, writeText } from '../support/files';
import { rxdagInProcess as rxdag } from '../support/inProcessCli';
import { shellWord } from '../../../src/cli/shellWord';

/**
 * What `--store` and `RXDAG_STORE` refuse before anything runs or is created: one line naming
 * the store (its password as `***`) and what is wrong, exit 2. An empty `--store`, a URL of
 * another scheme than `postgres://` (never a folder named `mysql:`), a `schema=` PostgreSQL
 * cannot hold (refused before `pg` is asked anything). An empty `RXDAG_STORE` counts as unset.
 */
describe('the --store option and RXDAG_STORE', () => {
  const tmp = tempDir();
  const cwd = process.cwd();
  const env = process.env['RXDAG_STORE'];
  // relative stores (the default, a `mysql://` taken as a folder) land in the spec's own folder
  beforeAll(() => process.chdir(tmp.dir));
  afterEach(() => (env === undefined ? delete process.env['RXDAG_STORE'] : (process.env['RXDAG_STORE'] = env)));
  afterAll(() => {
    process.chdir(cwd);
    tmp.remove();
  });

  const dagFile = () => writeText(tmp.file('quick.yaml'), 'id: quick\ntasks:\n  - id: a\n    sleep: 1\n');
  const FORMS = 'a folder path or a postgres:// (postgresql://) connection string';

  it('should refuse a schema= PostgreSQL cannot hold, or two of them, in one line, the password hidden, before connecting', async () => {
    const server = 'postgres://ci:secret@127.0.0.1:5432/test';
    const shown = 'postgres://ci:***@127.0.0.1:5432/test';
    const long = 'a'.repeat(73);
    expect(await rxdag('runs', '--store', `${server}?schema=`)).toEqual({
      code: 2,
      stdout: '',
      stderr: `rxdag: --store ${shown}?schema=: the schema (schema=) must be 1 to 63 bytes without NUL, got ""\n`,
    });
    expect(await rxdag('run', dagFile(), '--store', `${server}?schema=${long}`)).toEqual({
      code: 2,
      stdout: '',
      stderr: `rxdag: --store ${shown}?schema=${long}: the schema (schema=) must be 1 to 63 bytes without NUL, got 73 bytes\n`,
    });
    expect(await rxdag('runs', '--store', `${server}?schema=pg_runs`)).toEqual({
      code: 2,
      stdout: '',
      stderr: `rxdag: --store ${shown}?schema=pg_runs: the schema (schema=) must not start with "pg_", which PostgreSQL keeps for its own schemas, got "pg_runs"\n`,
    });
    // a port no server has: named, not "Invalid URL"
    expect(await rxdag('runs', '--store', 'postgres://u@127.0.0.1:99999/test')).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'rxdag: --store postgres://u@127.0.0.1:99999/test has a port outside 1 to 65535 (or a password holding / ? or #, to be written %2F %3F %23)\n',
    });
    // digits of a password holding a `/` read as a port: not echoed
    const slash = await rxdag('runs', '--store', 'postgres://app:834921/Zq@db.example/runs');
    expect(slash.code).toBe(2);
    expect(slash.stderr).not.toContain('834921');
    // two schemas: which one would be used is not for the URL's order to decide
    expect(await rxdag('runs', '--store', `${server}?schema=a&schema=b`)).toEqual({
      code: 2,
      stdout: '',
      stderr: `rxdag: --store ${shown}?schema=a&schema=b gives schema= 2 times ("a", "b"); give one\n`,
    });
    // values pg would misread: a demand for SSL, no time limit
    expect(await rxdag('runs', '--store', `${server}?sslmode=bogus`)).toEqual({
      code: 2,
      stdout: '',
      stderr: `rxdag: --store ${shown}?sslmode=bogus gives sslmode="bogus"; expected one of disable, prefer, require, verify-ca, verify-full, no-verify\n`,
    });
    expect(await rxdag('runs', '--store', `${server}?query_timeout=abc`)).toEqual({
      code: 2,
      stdout: '',
      stderr: `rxdag: --store ${shown}?query_timeout=abc gives query_timeout="abc"; expected a whole number\n`,
    });
    // a parameter that stands for the schema: pg would drop it, and the runs would go to the default schema
    for (const [name, value] of [
      ['schem', 'nightly'],
      ['search_path', 'nightly'],
      ['Schemas', 'nightly'],
      ['Schema', 'nightly'], // read as written: `schema` only
    ]) {
      expect(await rxdag('runs', '--store', `${server}?${name}=${value}`)).toEqual({
        code: 2,
        stdout: '',
        stderr: `rxdag: --store ${shown}?${name}=${value} gives ${name}="${value}", which rxdag does not read; did you mean schema=${value}?\n`,
      });
    }
    // with schema= as well, and a search_path given through options: one line, before anything is opened
    expect(await rxdag('runs', '--store', `${server}?schema=nightly&currentSchema=x`)).toEqual({
      code: 2,
      stdout: '',
      stderr: `rxdag: --store ${shown}?schema=nightly&currentSchema=x gives currentSchema="x": only schema= chooses the schema of the journal; leave currentSchema out\n`,
    });
    expect(await rxdag('runs', '--store', `${server}?options=-csearch_path%3Dnightly`)).toEqual({
      code: 2,
      stdout: '',
      stderr: `rxdag: --store ${shown}?options=-csearch_path%3Dnightly gives options="-csearch_path=nightly": a search_path does not choose the schema of the journal; give schema=NAME\n`,
    });
    // a connection string given for the schema, %-encoded: its password in no part of the line
    for (const [schema, shownSchema] of [
      ['postgres%3A%2F%2Fu%3ApwXSECRET%40h%2Fdb', 'postgres://u:***@h/db'],
      ['u%3ApwZSECRET%40h%2Fdb', 'u:***@h/db'],
      ['host%3Dh+password%3Dpw2SECRET', 'host=h password=***'],
      ['PGPASSWORD%3DpwBSECRET', 'PGPASSWORD=***'],
    ]) {
      expect(await rxdag('runs', '--store', `${server}?schema=${schema}`)).toEqual({
        code: 2,
        stdout: '',
        stderr: `rxdag: --store ${shown}?schema=***: the schema (schema=) must be a schema's name, got a connection string ("${shownSchema}"): give that as the connection string\n`,
      });
    }
    expect(await rxdag('runs', '--store', `${server}?schema=a&schema=u%3ApwQSECRET%40h`)).toEqual({
      code: 2,
      stdout: '',
      stderr: `rxdag: --store ${shown}?schema=a&schema=*** gives schema= 2 times ("a", "u:***@h"); give one\n`,
    });
    expect(await rxdag('runs', '--store', `${server}?schem=u%3ApwTSECRET%40h`)).toEqual({
      code: 2,
      stdout: '',
      stderr: `rxdag: --store ${shown}?schem=*** gives schem="u:***@h", which rxdag does not read; did you mean schema=NAME?\n`,
    });
    process.env['RXDAG_STORE'] = `${server}?schema=a%00b`;
    expect(await rxdag('show', 'x')).toEqual({
      code: 2,
      stdout: '',
      stderr: `rxdag: RXDAG_STORE=${shown}?schema=a%00b: the schema (schema=) must be 1 to 63 bytes without NUL, got "a\\u0000b"\n`,
    });
  });

  it("should refuse libpq's key=value form instead of making a folder of it, its password hidden", async () => {
    const given = "host=127.0.0.1 port=5432 password='s3 cret' dbname=test";
    expect(await rxdag('run', dagFile(), '--store', given)).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'rxdag: --store host=127.0.0.1 port=5432 password=*** is a PostgreSQL connection string in key=value form, ' + // all after a password hidden
        'which rxdag does not take: write it as a URL, postgres://USER:PASSWORD@HOST:PORT/DATABASE\n',
    });
    expect(existsSync(given)).toBe(false);
    // spaces around `=`, and a password alone
    for (const [written, shown] of [
      ['host = db dbname = runs password = s3cr3t', 'host = db dbname = runs password=***'],
      ['password=s3cr3t', 'password=***'],
      // a password with a space, and one before the carriage return of a CRLF .env file: hidden whole
      ['password=my secret', 'password=***'],
      ['host=db password=s3cr3t\r', 'host=db password=***'],
      // a keyword rxdag does not list after it, and sslpassword
      ['host=db password=s3cr3t sslrootcert=/x', 'host=db password=***'],
      ['host=db sslpassword=s3cr3t', 'host=db sslpassword=***'],
    ]) {
      expect(await rxdag('runs', '--store', written!)).toMatchObject({
        code: 2,
        stderr: expect.stringContaining(`rxdag: --store ${shown} is a PostgreSQL`),
      });
    }
    // a setting alone too; words that are no settings may name a folder
    expect(await rxdag('runs', '--store', 'dbname=runs')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(
        'key=value form, which rxdag does not take: write it as a URL, postgres://USER:PASSWORD@HOST:PORT/DATABASE (./dbname=runs names a folder of that name)',
      ),
    });
    // the socket form too; a path below a setting's name is a folder's (Hive-style partitions)
    expect(await rxdag('runs', '--store', 'host=/var/run/postgresql')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('key=value form'),
    });
    expect(await rxdag('runs', '--store', 'user=alice/runs')).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('user=alice/runs/'),
    });
    expect(await rxdag('run', dagFile(), '--store', 'runs=2', '--quiet')).toMatchObject({ code: 0 });
    rmSync('runs=2', { recursive: true });
  });

  it('should refuse a URL of another scheme instead of making folders of it', async () => {
    const mysql = await rxdag('run', dagFile(), '--store', 'mysql://x:secret@y/z');
    expect(mysql).toEqual({
      code: 2,
      stdout: '',
      stderr: `rxdag: --store mysql://x:***@y/z is not a store: --store takes ${FORMS}\n`,
    });
    expect(await rxdag('runs', '--store', 'http://127.0.0.1:5432/')).toMatchObject({
      code: 2,
      stderr: `rxdag: --store http://127.0.0.1:5432/ is not a store: --store takes ${FORMS}\n`,
    });
    // pg's socket form, and a PostgreSQL URL without its `//`: a store meant, not a folder named `socket:`
    for (const given of ['socket:/var/run/postgresql?db=test', 'postgres:test']) {
      expect(await rxdag('run', dagFile(), '--store', given)).toEqual({
        code: 2,
        stdout: '',
        stderr: `rxdag: --store ${given} is not a store: --store takes ${FORMS} (through a Unix socket: postgres:///DATABASE?host=/var/run/postgresql)\n`,
      });
    }
    expect(await rxdag('run', dagFile(), '--store', 'postgres:/u:secret@127.0.0.1:5432/test')).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^rxdag: --store postgres:\/u:\*\*\*@127\.0\.0\.1:5432\/test is not a store/),
    });
    process.env['RXDAG_STORE'] = 'mysql://x@y/z';
    expect(await rxdag('run', dagFile())).toEqual({
      code: 2,
      stdout: '',
      stderr: `rxdag: RXDAG_STORE=mysql://x@y/z is not a store: RXDAG_STORE takes ${FORMS}\n`,
    });
    // a mistyped URL: its password would become a folder's name, in a world-readable folder
    for (const [given, shown] of [
      ['postgres//u:secret@127.0.0.1:5432/test', 'postgres//u:***@127.0.0.1:5432/test'],
      ['postgresql//u:secret@db/test', 'postgresql//u:***@db/test'],
      ['redis//u:se/cret@h', 'redis//u:***@h'],
      ['mysql:/u:se/cret@h', 'mysql:/u:***@h'],
      ['postgres\\u:secret@h/db', 'postgres\\u:***@h/db'],
    ]) {
      expect(await rxdag('run', dagFile(), '--store', given!)).toEqual({
        code: 2,
        stdout: '',
        stderr:
          `rxdag: --store ${shown} is not a store: it reads as a mistyped URL; --store takes ${FORMS},` +
          // (not named: its name would be the password's)
          ' such as postgres://USER:PASSWORD@HOST:5432/DATABASE (a folder of that name: ./NAME)\n',
      });
    }
    // a PostgreSQL URL with its quotes, after a variable's name, or with its colon mistyped: hidden, and what is likely wrong said
    for (const [given, shown, hint] of [
      [
        '"postgres://u:secret@h/db"',
        '"postgres://u:***@h/db"',
        ' (its quotes are part of it, as an env file or a second layer of quoting passes them on: give it without)',
      ],
      [
        '<postgres://u:secret@h/db>',
        '<postgres://u:***@h/db>',
        ' (its quotes are part of it, as an env file or a second layer of quoting passes them on: give it without)',
      ],
      [
        'export DATABASE_URL=postgres://u:secret@h/db',
        'export DATABASE_URL=postgres://u:***@h/db',
        " (it holds a variable's name and `=`: give the value alone)",
      ],
      [
        '“postgres://u:secret@h/db”',
        '“postgres://u:***@h/db”',
        ' (the marks around it are part of it, as a document or a chat pasted it: give it without)',
      ],
      [
        'postgres：／／u:secret@h/db',
        'postgres://u:***@h/db',
        ' (it holds full-width characters (＠：／) where ASCII ones (@:/) go, as an input method types them)',
      ],
      [
        'ｐｏｓｔｇｒｅｓ：／／ｕ：ｓｅｃｒｅｔ＠h/db',
        'postgres://u:***@h/db',
        ' (it holds full-width characters (＠：／) where ASCII ones (@:/) go, as an input method types them)',
      ],
      ...['»…«', '「…」', '‹…›', '〈…〉', '(…)'].map((quotes) => [
        `${quotes[0]}postgres://u:secret@h/db${quotes[2]}`,
        `${quotes[0]}postgres://u:***@h/db${quotes[2]}`,
        ' (the marks around it are part of it, as a document or a chat pasted it: give it without)',
      ]),
      // an `@` or `:` typed full-width in a URL otherwise right: pg took the password for the host, and quoted it
      ...['postgres://u:secret＠h/db', 'postgres://u：secret＠h/db', 'postgres://u:secret﹫h/db'].map((given) => [
        given,
        'postgres://u:***@h/db',
        ' (it holds full-width characters (＠：／) where ASCII ones (@:/) go, as an input method types them)',
      ]),
      // a URL after a list's number, a variable's name and a colon, a command, or another scheme
      [
        'jdbc:postgresql://db/test?user=u&password=secret',
        'jdbc:postgresql://db/test?user=u&password=***',
        ' (it holds text before the URL: give the URL alone)',
      ],
      ...['1. ', '2) ', 'DATABASE_URL: ', 'prod ', 'pg_dump '].map((before) => [
        `${before}postgres://u:secret@h/db`,
        `${before === 'DATABASE_URL: ' ? 'DATABASE_URL:***@h/db' : `${before}postgres://u:***@h/db`}`,
        ' (it holds text before the URL: give the URL alone)',
      ]),
      // a password alone, holding `//` (base64)
      ['redis:pa//ss@h', 'redis:***@h', ''],
      // other databases' URLs kept in their quotes, or behind a list's bullet
      [
        '"mysql://u:secret@h"',
        '"mysql://u:***@h"',
        ' (its quotes are part of it, as an env file or a second layer of quoting passes them on: give it without)',
      ],
      [
        '- postgres://u:secret@h',
        '- postgres://u:***@h',
        ' (the marks around it are part of it, as a document or a chat pasted it: give it without)',
      ],
      ['postgres;//u:secret@h', 'postgres;//u:***@h', ''],
      ['postgres_//u:secret@h', 'postgres_//u:***@h', ''],
      ['~/postgres//u:secret@h', '~/postgres//u:***@h', ''],
      [
        "'postgres://h/db'",
        "'postgres://h/db'",
        ' (its quotes are part of it, as an env file or a second layer of quoting passes them on: give it without)',
      ],
    ]) {
      expect(await rxdag('run', dagFile(), '--store', given!)).toEqual({
        code: 2,
        stdout: '',
        stderr:
          `rxdag: --store ${shown} is not a store: it reads as a mistyped URL${hint}; --store takes ${FORMS},` +
          // (named only where the name hides no password and is typed as read: in shell quotes)
          ` such as postgres://USER:PASSWORD@HOST:5432/DATABASE (a folder of that name: ${given === shown ? shellWord(`./${given}`) : './NAME'})\n`,
      });
    }
    // also with a space or a carriage return at an end (a CRLF .env file), and under a third slash
    for (const given of [
      'postgres//u:secret@db/test\r',
      'jdbc:postgresql://db/test?user=u&password=secret ',
      'mysql://u:secret@h\r',
      'http:/u:secret@h ',
    ]) {
      const refused = await rxdag('run', dagFile(), '--store', given);
      expect(refused).toMatchObject({ code: 2, stderr: expect.stringMatching(/(begins|ends) with/) });
      expect(refused.stderr).not.toContain('secret');
    }
    // a password with # (to be %-escaped): what is wrong said, the password hidden
    expect(await rxdag('run', dagFile(), '--store', 'postgres://u:se#cret@127.0.0.1/test')).toEqual({
      code: 2,
      stdout: '',
      stderr: 'rxdag: --store postgres://u:***@127.0.0.1/test is not a URL (a password holding / ? # or \\ is written %2F %3F %23 %5C)\n',
    });
    // pg's own reading of a URL without a host is left to it, but for a schema= it would not use
    expect(await rxdag('run', dagFile(), '--store', 'postgres://postgres@/test?host=127.0.0.1&schema=s')).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'rxdag: --store postgres://postgres@/test?host=127.0.0.1&schema=s gives schema= in a URL without a host (postgres://USER@/DB?host=…): write the host after the @\n',
    });
    const third = await rxdag('run', dagFile(), '--store', 'postgres:///u:secret@db/test');
    expect(third).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'rxdag: --store postgres:///u:***@db/test: its credentials come after a third /: write postgres://USER:PASSWORD@HOST/DATABASE\n',
    });
    expect(readdirSync(tmp.dir)).toEqual(['quick.yaml']);
    // a folder whose name has a colon is still a folder when it does not read as a URL
    // (`//` where a variable ending in `/` meets `/runs`)
    for (const folder of [
      'team:ops@2024',
      'backups/2024-01-01T10:00:00@host',
      'srv/postgres//x',
      'docker-postgres//runs',
      'my postgres//state',
      'backups/postgres//02:00@db1',
    ]) {
      expect(await rxdag('run', dagFile(), '--store', folder, '--quiet')).toMatchObject({ code: 0 });
      rmSync(folder.split('/')[0]!, { recursive: true });
    }
    expect(await rxdag('run', dagFile(), '--store', './mysql://z', '--quiet')).toMatchObject({ code: 0 });
    expect(readdirSync(tmp.dir).sort()).toEqual(['mysql:', 'quick.yaml']);
    expect(readdirSync(tmp.file('mysql:'))).toEqual(['z']);
  });

  it('should refuse an empty --store like an empty --report, and take an empty RXDAG_STORE as unset', async () => {
    const refused = { code: 2, stdout: '', stderr: `rxdag: --store needs ${FORMS}\n` };
    expect(await rxdag('run', dagFile(), '--store', '')).toEqual(refused);
    expect(await rxdag('runs', '--store', '')).toEqual(refused);
    expect(await rxdag('show', 'x', '--store', '')).toEqual(refused);
    expect(await rxdag('resume', '--store', '')).toEqual(refused);
    expect(existsSync(tmp.file('.rxdag'))).toBe(false);

    process.env['RXDAG_STORE'] = '';
    expect(await rxdag('runs')).toEqual({
      code: 0,
      stdout: 'no runs: .rxdag/ has no journal (runs are journaled there by rxdag run)\n',
      stderr: '',
    });
  });
});
