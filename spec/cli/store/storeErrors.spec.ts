import { JournalWriteError } from '../../../src';
import { refusalLine } from '../../../src/cli/store/storeErrors';
import { PostgresJournalError } from '../../../src/postgres';
import { storeLocation } from '../../../src/cli/store/storeLocation';

describe("the store's refusals on the command line", () => {
  const store = storeLocation('/runs', {});

  it("should say a folder store's failure to make a run's record (nothing ran) as the system's error, a refusal", () => {
    const enoent = Object.assign(new Error("ENOENT: no such file or directory, open '/runs/r1.jsonl'"), {
      code: 'ENOENT',
      syscall: 'open',
      path: '/runs/r1.jsonl',
    });
    expect(refusalLine(new JournalWriteError('r1', '/runs', enoent, true), store)).toBe(
      'cannot use the store /runs/ (at /runs/r1.jsonl): ENOENT (no such file or directory)',
    );
  });

  it('should say a server that refused the connection was reached: a login refused, a database unknown, no connection free', () => {
    const database = storeLocation('postgres://u@db:5432/test', {});
    const refused = (code: string, reason: string) =>
      refusalLine(new PostgresJournalError('postgres://u@db:5432/test', 'connect', reason, code, new Error(reason), false), database);
    expect(refused('53300', 'sorry, too many clients already')).toBe(
      'PostgreSQL journal at postgres://u@db:5432/test: cannot connect: sorry, too many clients already',
    );
    expect(refused('3D000', 'database "nope" does not exist')).toMatch(/^PostgreSQL journal at /);
    expect(refused('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.1:5432')).toMatch(/^cannot reach the store: PostgreSQL journal at /);
  });

  it('should say a connection it could not get as such, whatever the command was doing then', () => {
    const database = storeLocation('postgres://u@db:5432/test', {});
    const failed = (code: string, reason: string, syscall?: string) =>
      refusalLine(
        new PostgresJournalError(
          'postgres://u@db:5432/test',
          'list the runs of DAG "d"',
          reason,
          code,
          Object.assign(new Error(reason), { code, syscall }),
          false,
        ),
        database,
        'read the earlier runs of DAG "d" for estimates',
      );
    expect(failed('28P01', 'password authentication failed for user "u"')).toBe(
      'PostgreSQL journal at postgres://u@db:5432/test: cannot connect: password authentication failed for user "u"',
    );
    expect(failed('ETIMEDOUT', 'connect ETIMEDOUT 10.0.0.1:5432', 'connect')).toMatch(/: cannot connect: connect ETIMEDOUT/);
    expect(failed('', 'Connection terminated due to connection timeout')).toMatch(
      /^cannot reach the store: .*: cannot connect: Connection terminated due to connection timeout$/,
    );
    expect(failed('', 'timeout expired')).toMatch(/: cannot connect: timeout expired$/); // a session's own client
    expect(failed('57P03', 'the database system is starting up')).toBe(
      'PostgreSQL journal at postgres://u@db:5432/test: cannot connect: the database system is starting up',
    );
    // a session made, whose peer went: what the command was doing
    expect(failed('ETIMEDOUT', 'read ETIMEDOUT', 'read')).toMatch(
      /: cannot read the earlier runs of DAG "d" for estimates: read ETIMEDOUT$/,
    );
    expect(failed('ENOTFOUND', 'getaddrinfo ENOTFOUND db', 'getaddrinfo')).toBe(
      'cannot reach the store: PostgreSQL journal at postgres://u@db:5432/test: cannot connect: getaddrinfo ENOTFOUND db',
    );
    // the server answered late, or not at all, once connected: what the command was doing is said
    expect(failed('57014', 'canceling statement due to statement timeout')).toMatch(
      /: cannot read the earlier runs of DAG "d" for estimates: /,
    );
  });

  it('should leave a journal that failed once the run went on to the run (not a refusal: tasks ran)', () => {
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
    expect(refusalLine(new JournalWriteError('r1', '/runs', full, false), store)).toBeUndefined();
  });
});
