import { postgresJournal } from '../../src/postgres';
import { startMutePostgres } from '../support/tcpProxy';

/**
 * A server that asks for a password the connection string does not give: pg's own words are a
 * SASL message about a string; the journal says what is missing, as a login the server refused.
 * A fake server answers the startup: no PostgreSQL needed.
 */
describe('postgresJournal when the server asks for a password none was given', () => {
  it('should say that a password is needed and where to give it, as a refused login', async () => {
    const server = await startMutePostgres({ askPassword: true });
    const given = { PGPASSWORD: process.env['PGPASSWORD'], PGPASSFILE: process.env['PGPASSFILE'] };
    delete process.env['PGPASSWORD']; // pg would take it, or one of ~/.pgpass
    process.env['PGPASSFILE'] = '/dev/null';
    const journal = postgresJournal({ connectionString: `postgres://nopw@127.0.0.1:${server.port}/test`, schema: 'rxdag_nopw' });
    try {
      const error = await journal.runs().then(
        () => undefined,
        (failure: unknown) => failure,
      );
      expect(error).toMatchObject({
        name: 'PostgresJournalError',
        code: '28000',
        serverAnswered: false,
        reason:
          'the server asks for a password and none was given (put it in the connection string, postgres://USER:PASSWORD@HOST/…, or in PGPASSWORD)',
      });
    } finally {
      for (const [name, value] of Object.entries(given)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      await journal.end();
      await server.close();
    }
  });
});
