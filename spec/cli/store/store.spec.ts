import { mkdirSync, readdirSync, symlinkSync, watch, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore, type PostgresModule, storeExists } from '../../../src/cli/store/openStore';
import { newRunId } from '../../../src/cli/store/runId';
import { redactConnectionString } from '../../../src/postgres/connectionString';
import { storeFlag, storeLocation } from '../../../src/cli/store/storeLocation';
import { InvalidInputError } from '../../../src/cli/problems';
import { tempDir } from '../support/files';

describe('the store of journaled runs', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  it('should take --store, else RXDAG_STORE, else .rxdag/ of the working directory', () => {
    expect(storeLocation(undefined, {}, '/work')).toEqual({
      kind: 'folder',
      dir: '/work/.rxdag',
      label: '.rxdag/',
      written: '.rxdag',
      source: 'default',
    });
    expect(storeLocation(undefined, { RXDAG_STORE: '' }, '/work')).toMatchObject({ dir: '/work/.rxdag', source: 'default' });
    expect(storeLocation(undefined, { RXDAG_STORE: '/runs' }, '/work')).toEqual({
      kind: 'folder',
      dir: '/runs',
      label: '/runs/',
      written: '/runs',
      source: 'env',
    });
    expect(storeLocation('runs/', { RXDAG_STORE: '/runs' }, '/work')).toEqual({
      kind: 'folder',
      dir: '/work/runs',
      label: 'runs/',
      written: 'runs/',
      source: 'flag',
    });
  });

  it('should refuse a store of only spaces, from --store or RXDAG_STORE, showing it quoted', () => {
    const forms = 'a folder path or a postgres:// (postgresql://) connection string';
    expect(() => storeLocation(undefined, { RXDAG_STORE: '  ' }, '/work')).toThrow(`RXDAG_STORE="  " names no store: give ${forms}`);
    expect(() => storeLocation(' \t', {}, '/work')).toThrow(`--store " \\t" names no store: give ${forms}`);
  });

  it('should refuse a store with white space at an end, naming a carriage return as such', () => {
    expect(() => storeLocation(undefined, { RXDAG_STORE: 'runs\r' }, '/work')).toThrow(
      'RXDAG_STORE="runs\\r" ends with a carriage return (from a file with CRLF line ends?): remove it',
    );
    expect(() => storeLocation('runs ', {}, '/work')).toThrow(
      '--store "runs " begins or ends with white space, which no message would show: remove it',
    );
    expect(() => storeLocation(' runs', {}, '/work')).toThrow('--store " runs" begins or ends with white space');
    expect(storeLocation('my runs', {}, '/work')).toMatchObject({ dir: '/work/my runs' });
  });

  it('should refuse a store that starts with ~, which no shell expanded, saying the whole path', () => {
    const home = os.homedir();
    expect(() => storeLocation('~/runs', {}, '/work')).toThrow(
      `--store ~/runs: rxdag does not expand ~ (write the whole path, ${home}/runs; ./~/runs for a folder named ~ here)`,
    );
    expect(() => storeLocation(undefined, { RXDAG_STORE: '~' }, '/work')).toThrow(
      `RXDAG_STORE=~: rxdag does not expand ~ (write the whole path, ${home};`,
    );
    expect(() => storeLocation('~ci/runs', {}, '/work')).toThrow(
      '--store ~ci/runs: rxdag does not expand ~ (write the whole path; ./~ci/runs for a folder named ~ci here)',
    );
    // a folder named ~ written so, and ~ inside a path, are folders like any other
    expect(storeLocation('./~/runs', {}, '/work')).toMatchObject({ dir: '/work/~/runs' });
    expect(storeLocation('a/~', {}, '/work')).toMatchObject({ dir: '/work/a/~' });
  });

  it('should take a path holding a URL as a folder where it is given as one: after ./ or from /', () => {
    expect(storeLocation('./mysql://x', {}, '/work')).toMatchObject({ kind: 'folder', dir: '/work/mysql:/x' });
    expect(storeLocation('/srv/data/postgres://x', {}, '/work')).toMatchObject({ kind: 'folder', dir: '/srv/data/postgres:/x' });
    // a connection string without its scheme is no folder either; a name of that shape without a host's look is
    expect(() => storeLocation('user:secret@localhost:5432/db', {}, '/work')).toThrow(
      /^--store user:\*\*\*@localhost:5432\/db is not a store: it reads as a mistyped URL \(its scheme is missing/,
    );
    expect(storeLocation('team:ops@2024', {}, '/work')).toMatchObject({ kind: 'folder', dir: '/work/team:ops@2024' });
    expect(() => storeLocation('data/postgres://u:secret@h/db', {}, '/work')).toThrow(
      /^--store data\/postgres:\*\*\*@h\/db is not a store/,
    );
  });

  it('should refuse every form of a connection string without its scheme, its password hidden, and take names with a version after @', () => {
    for (const given of [
      ':S3cretPW@localhost:5432/db', // no user, as Redis writes it
      'user:S3cretPW@localhost:5432/db/',
      'user:S3cretPW@[::1]:5432/db',
      'user:S3cretPW@[2001:db8::1]/db',
      'user:S3cretPW@localhost:5432/db?sslrootcert=/etc/ca.pem',
      'user:S3cretPW@host1:5432,host2:5432/db', // libpq's list of hosts
      'user:S3cret@PW@localhost:5432/db', // an @ left unencoded in the password
      'u:S3cretPW@tcp(localhost:3306)/db', // Go's MySQL driver
      'a:S3cretPW@10.0.0.1',
      'app:S3cretPW@postgres_db:5432/rxdag', // a Docker service's name
      'u:S3cretPW@my_db.internal/runs',
      'user:S3cretPW@postgres_db/app',
      'u:S3cretPW@postgres_db',
      'user:S3cretPW@db/app',
      'u:S3cretPW@db?sslmode=require',
      'u:S3cretPW@db,db2/app',
      'u@server:S3cretPW@server.postgres.database.azure.com:5432/app', // Azure's user@server
      'u:S3cretPW@[fe80::1%eth0]:5432/app',
      'u:S3cretPW@/var/run/postgresql/app', // a socket's folder
      'u:S3cretPW@%2Fvar%2Frun%2Fpostgresql/app',
      'user:S3cretPW@ db.example.com:5432/app',
      'Server=host;Database=db;User Id=u;Password=S3cretPW;', // ADO.NET
      'Data Source=x;Pwd=S3cretPW',
    ]) {
      let message = '';
      try {
        storeLocation(given, {}, '/work');
      } catch (error) {
        message = (error as Error).message;
      }
      expect({ given, refused: message !== '', shown: /S3cret|PW@/.test(message) }).toEqual({ given, refused: true, shown: false });
    }
    for (const given of [
      'app:v2@1.4.0',
      'ci:main@build.42',
      'release@1.2.3',
      'localhost:5432',
      'team:ops@2024',
      'node@18:lts',
      'release:1.2@rc.1',
      'C:/Users/john@corp/runs', // a drive's path
    ]) {
      expect(storeLocation(given, {}, '/work')).toMatchObject({ kind: 'folder', dir: `/work/${given}` });
    }
  });

  it('should write a store with control characters in a command to paste as a shell reads it back', () => {
    const store = storeLocation('nl\nstore', {}, '/work');
    expect(store).toMatchObject({ label: 'nl\\nstore/', written: 'nl\nstore' });
    expect(storeFlag(store)).toBe(" --store $'nl\\nstore'");
  });

  it('should take a postgres:// store apart: its schema parameter, and its password never shown', () => {
    const store = storeLocation('postgresql://ci:pa%40ss@db:5432/runs?schema=nightly&sslmode=require', {});
    expect(store).toEqual({
      kind: 'postgres',
      // the SSL mode as pg 8 applies it, without its warning (see postgresUrl.spec.ts)
      connectionString: 'postgresql://ci:pa%40ss@db:5432/runs?sslmode=verify-full',
      schema: 'nightly',
      label: 'postgresql://ci:***@db:5432/runs?schema=nightly&sslmode=require',
      written: 'postgresql://ci:***@db:5432/runs?schema=nightly&sslmode=require',
      source: 'flag',
    });
    expect(redactConnectionString('host=db password=secret user=ci')).toBe('host=db password=*** user=ci');
    // the passphrase of the client's key too
    expect(redactConnectionString('postgres://ci@db/runs?schema=a&sslpassword=S3cret&sslmode=require')).toBe(
      'postgres://ci@db/runs?schema=a&sslpassword=***&sslmode=require',
    );
    expect(redactConnectionString('host=db sslpassword=S3cret password=secret')).toBe('host=db sslpassword=*** password=***');
    // where the URL parser finds no password but the text has one: a third slash, a backslash read as a slash
    expect(redactConnectionString('postgres:///u:S3cret@db/x')).toBe('postgres:///u:***@db/x');
    expect(redactConnectionString('https://ci\\@deploy:S3cret@db.example/x')).toBe('https://ci\\@deploy:***@db.example/x');
    // a password the URL parser refuses (`#`, `/`), or a bad port: hidden all the same
    expect(redactConnectionString('postgres://root:p#ss9@127.0.0.1:5432/nodb?schema=a')).toBe(
      'postgres://root:***@127.0.0.1:5432/nodb?schema=a',
    );
    expect(redactConnectionString('postgres://root:ab/cd@db:notaport/x')).toBe('postgres://root:***@db:notaport/x');
    // a parameter's value that is itself a connection string, %-encoded: hidden whole
    expect(redactConnectionString('postgres://ci@db/runs?schema=postgres%3A%2F%2Fu%3AS3cret%40h%2Fdb&sslmode=require')).toBe(
      'postgres://ci@db/runs?schema=***&sslmode=require',
    );
    expect(redactConnectionString('postgres://ci@db/runs?schema=host%3Dh+password%3DS3cret')).toBe('postgres://ci@db/runs?schema=***');
    expect(redactConnectionString('PGPASSWORD=S3cret')).toBe('PGPASSWORD=***');
    expect(redactConnectionString('DB_PASSWORD=S3cret')).toBe('DB_PASSWORD=***');
    // … read as the URL parser reads it (a + is a space, a malformed escape kept), and a # after the parameters hidden too
    for (const value of ['password+%3DS3cret', 'host%3Dh+password+%3DS3cret', 'a%ZZ%3AS3cret%40h', 'DB_PASSWORD%3DS3cret']) {
      expect(redactConnectionString(`postgres://ci@db/runs?schema=${value}`)).toBe('postgres://ci@db/runs?schema=***');
    }
    expect(redactConnectionString('postgres://ci@db/runs?schema=postgres://u:S3#cret@h')).toBe('postgres://ci@db/runs?schema=***#***');
    // … but not where the ? and # are a password's, whose every part stays hidden
    expect(redactConnectionString('postgres://root:p?ss#9@h/db')).toBe('postgres://root:***@h/db');
    expect(redactConnectionString('postgres://root:1?ss#9@h/db')).toBe('postgres://root:***@h/db');
    expect(redactConnectionString('postgres:///u:P?W#x@h')).toBe('postgres:///u:***@h');
    // what only looks like one is left as it is
    expect(redactConnectionString('postgres://ci@db/runs?schema=my_password_store&options=-c%20search_path%3Dx')).toBe(
      'postgres://ci@db/runs?schema=my_password_store&options=-c%20search_path%3Dx',
    );
    expect(storeFlag(store)).toBe(" --store 'postgresql://ci:***@db:5432/runs?schema=nightly&sslmode=require'");
    expect(storeFlag(storeLocation(undefined, { RXDAG_STORE: 'x' }))).toBe('');
  });

  it('should name a run after its DAG and when it started, shortened to the longest run id', () => {
    const at = new Date(2026, 11, 2, 7, 12, 30);
    expect(newRunId('release', at, () => 0.5)).toBe('release-20261202-0712-iiii');
    expect(newRunId('x'.repeat(300), at)).toHaveLength(256);
    // cut between two emoji, never inside one (a lone half could not name the journal's file)
    const emoji = newRunId('🚀'.repeat(128), at);
    expect(emoji).toMatch(/^(🚀)+-20261202-0712-[0-9a-z]{4}$/u);
    expect(() => encodeURIComponent(emoji)).not.toThrow();
  });

  it('should refuse a folder that cannot take a journal before anything runs, creating nothing', () => {
    const file = path.join(tmp.dir, 'a-file');
    writeFileSync(file, '');
    const refused = (dir: string) => () => openStore(storeLocation(dir, {}), 'write');
    expect(refused('/proc/rxdag-store')).toThrow(
      /^--store: cannot journal into "\/proc\/rxdag-store" \(cannot create "\/proc\/rxdag-store"\): ENOENT/,
    );
    expect(refused(file)).toThrow(`--store: cannot journal into "${file}": "${file}" is not a directory`);
    expect(refused(path.join(file, 'below'))).toThrow(
      `--store: cannot journal into "${path.join(file, 'below')}": "${file}" is not a directory`,
    );
    // a link to a folder that is not there (not mounted): named, rather than followed into a failed run
    const link = path.join(tmp.dir, 'unmounted');
    symlinkSync(path.join(tmp.dir, 'mnt', 'runs'), link);
    const dangling = `"${link}" is a symbolic link to "${path.join(tmp.dir, 'mnt', 'runs')}", which does not exist (a folder not mounted?)`;
    expect(refused(link)).toThrow(`--store: cannot journal into "${link}": ${dangling}`);
    expect(refused(path.join(link, 'below'))).toThrow(`--store: cannot journal into "${path.join(link, 'below')}": ${dangling}`);
    // a folder to be made by the journal is fine, and not made yet
    const later = path.join(tmp.dir, 'later', 'store');
    openStore(storeLocation(later, {}), 'write');
    expect(storeExists(storeLocation(later, {}))).toBe(false);
  });

  it('should check a new store folder without making or removing the folder itself (runs started side by side into it)', async () => {
    // one run's check used to make and remove the store folder, so a run started beside it
    // could find it made (and refuse) or have it removed under its journal
    const parent = path.join(tmp.dir, 'watched');
    mkdirSync(parent);
    const touched: string[] = [];
    const watcher = watch(parent, (_event, name) => touched.push(String(name)));
    try {
      openStore(storeLocation(path.join(parent, 'store'), {}), 'write');
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      watcher.close();
    }
    expect(touched.length).toBeGreaterThan(0);
    expect(touched.filter((name) => name === 'store')).toEqual([]);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('should say that a store it cannot look at cannot be reached, not that it has no runs', () => {
    const loop = path.join(tmp.dir, 'loop');
    symlinkSync(loop, loop);
    const store = storeLocation(loop, {});
    expect(storeExists(store)).toBe(true);
    expect(() => openStore(store, 'read')).toThrow(
      `cannot reach the store ${loop}/ ("${loop}"): ELOOP (too many symbolic links encountered)`,
    );
  });

  it('should refuse to read a store that does not exist', () => {
    const missing = path.join(tmp.dir, 'missing');
    expect(() => openStore(storeLocation(missing, {}), 'read')).toThrow(
      new InvalidInputError([{ message: `no store at ${missing}/: the folder does not exist (runs are journaled there by rxdag run)` }]),
    );
    mkdirSync(missing);
    expect(openStore(storeLocation(missing, {}), 'read').journal.location).toBe(missing);
  });

  it('should say in one line that a PostgreSQL store needs the pg package when it is not installed', () => {
    const noPg = (): PostgresModule => {
      throw Object.assign(new Error("Cannot find module 'pg'\nRequire stack:\n- /app/node_modules/rxdag/dist/postgres/connection.js"), {
        code: 'MODULE_NOT_FOUND',
      });
    };
    expect(() => openStore(storeLocation('postgres://ci:secret@db/runs', {}), 'read', { loadPostgres: noPg })).toThrow(
      new InvalidInputError([
        { message: 'the store postgres://ci:***@db/runs is a PostgreSQL database, which needs the "pg" package: npm install pg' },
      ]),
    );
  });
});
