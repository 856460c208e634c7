import { postgresConnection } from '../../../src/postgres/connectionString';
import { storeLocation } from '../../../src/cli/store/storeLocation';
import { rxdagInProcess as rxdag } from '../support/inProcessCli';

/**
 * What the CLI and the journal change in a `postgres://` URL before `pg` sees it: its own `schema=` taken
 * out, and the SSL modes `pg` 8 checks as `verify-full` written so, which keeps the checks and
 * spares the user `pg`'s multi-line SECURITY WARNING about them before rxdag's one line.
 */
/** The message of what `act` throws. */
function captured(act: () => unknown): string {
  try {
    act();
    return '';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

describe('a postgres:// store URL as pg gets it', () => {
  it('should take out schema= and write prefer, require and verify-ca as the verify-full pg applies', () => {
    expect(postgresConnection('postgres://ci@db/runs?schema=nightly&sslmode=require')).toEqual({
      connectionString: 'postgres://ci@db/runs?sslmode=verify-full',
      schema: 'nightly',
    });
    for (const mode of ['prefer', 'verify-ca'])
      expect(postgresConnection(`postgres://ci@db/runs?sslmode=${mode}`).connectionString).toBe(
        'postgres://ci@db/runs?sslmode=verify-full',
      );
    // the other modes, libpq's meanings asked for, or no parameter at all: passed on as written
    for (const url of [
      'postgres://ci@db/runs?sslmode=verify-full',
      'postgres://ci@db/runs?sslmode=disable',
      'postgres://ci@db/runs?sslmode=no-verify',
      'postgres://ci@db/runs?uselibpqcompat=true&sslmode=require',
      'postgresql://ci:pa%40ss@db:5432/runs',
      'postgres://not a url',
    ])
      expect(postgresConnection(url)).toEqual({ connectionString: url, schema: undefined });
  });

  it('should take a URL whose password or sslpassword is a query parameter, hidden where it is shown (not as libpq key=value words)', () => {
    for (const [given, label] of [
      ['postgres://ci@db/runs?schema=nightly&password=s3cret', 'postgres://ci@db/runs?schema=nightly&password=***'],
      ['postgresql://ci@db/runs?sslpassword=s3cret&sslmode=verify-full', 'postgresql://ci@db/runs?sslpassword=***&sslmode=verify-full'],
    ]) {
      expect(storeLocation(given, {}, '/tmp')).toMatchObject({ kind: 'postgres', label, written: label });
    }
    // one with a carriage return after it is refused for that, its password hidden
    expect(() => storeLocation('postgres://ci@db/runs?password=s3cret\r', {}, '/tmp')).toThrow(
      '--store postgres://ci@db/runs?password=*** ends with a carriage return',
    );
    expect(() => storeLocation('postgres://ci:s3cret@db/runs\r', {}, '/tmp')).toThrow(
      '--store postgres://ci:***@db/runs ends with a carriage return',
    );
    // libpq's words after a URL: refused, the password hidden with all after it
    for (const given of ['postgres://u@h/test password=KVleak1', 'postgres://u@h/test?schema=s sslpassword=KVleak9']) {
      const message = captured(() => storeLocation(given, {}, '/tmp'));
      expect(message).toContain('key=value form');
      expect(message).not.toContain('KVleak');
    }
    // one the URL parser would not take once spaces lead it (a no-break space too), or with a control character
    for (const given of [
      ' postgres://u:SE#CRET@h/db',
      '\u00a0postgres://u:SECRET@h/db',
      ' postgres://h/db?password=SEC RET',
      'postgres://u:SE/CRET@h/db\r',
    ]) {
      const message = captured(() => storeLocation(given, {}, '/tmp'));
      expect(message).toMatch(/white space|carriage return/);
      expect(message).not.toMatch(/CRET|\r/);
    }
  });

  it("should print one line for a store with sslmode=require that cannot be reached, without pg's warning", async () => {
    const warnings = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const store = 'postgres://rxdag:s3cret-pw@127.0.0.1:1/runs?sslmode=require';
      const listed = await rxdag('runs', '--store', store);
      expect(listed).toMatchObject({ code: 2, stdout: '' });
      // named as written, its password hidden
      expect(listed.stderr).toMatch(
        /^rxdag: cannot reach the store: PostgreSQL journal at postgres:\/\/rxdag:\*\*\*@127\.0\.0\.1:1\/runs\?sslmode=require: cannot .*ECONNREFUSED.*\n$/,
      );
      expect(warnings).not.toHaveBeenCalled();
    } finally {
      warnings.mockRestore();
    }
  });
});
