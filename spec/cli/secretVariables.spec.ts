import { storeSecretVariables, withoutSecrets } from '../../src/cli/secretVariables';
import { redactConnectionString } from '../../src/postgres/connectionString';

/** What of the CLI's environment a shell task is not handed, and how a store's password is hidden. */
describe("the CLI's secrets in a task's environment", () => {
  it("should keep the workers' key and Redis's password from a task, and the rest as it is", () => {
    expect(withoutSecrets({ RXDAG_WORKER_KEY: 'k', RXDAG_REDIS_PASSWORD: 'p', CI: '1' })).toEqual({ CI: '1' });
  });

  it('should keep a store that carries a password from a task, however the password is written', () => {
    for (const store of [
      'postgres://ci:secret@db/runs',
      'postgres://ci@db/runs?password=secret',
      'postgres://ci@db/runs?schema=a&pass%77ord=secret', // the same parameter to pg
      'postgres://ci@db/runs?%70assword=secret',
      'postgres://ci@db/runs?sslpassword=phrase',
      'host=db password=secret',
    ]) {
      expect({ store, env: withoutSecrets({ RXDAG_STORE: store }) }).toEqual({ store, env: {} });
    }
    expect(withoutSecrets({ RXDAG_STORE: 'postgres://ci@db/runs?schema=a' })).toEqual({ RXDAG_STORE: 'postgres://ci@db/runs?schema=a' });
    expect(withoutSecrets({ RXDAG_STORE: '/var/lib/rxdag' })).toEqual({ RXDAG_STORE: '/var/lib/rxdag' });
  });

  it("should keep PGPASSWORD from a task only when it is named as the store's secret, which it is when the store's address holds no password", () => {
    expect(storeSecretVariables('postgres://ci@db/runs')).toEqual(['PGPASSWORD']);
    expect(storeSecretVariables('postgres://ci:secret@db/runs')).toEqual([]);
    expect(storeSecretVariables('host=db password=secret')).toEqual([]);
    const env = { PGPASSWORD: 'pw', CI: '1' };
    expect(withoutSecrets(env, storeSecretVariables('postgres://ci@db/runs'))).toEqual({ CI: '1' });
    expect(withoutSecrets(env)).toEqual(env);
  });

  it("should keep PGPASSWORD from a task when it holds the password the store's address holds too, however written, and only then", () => {
    const env = { PGPASSWORD: 's3 cr@t' };
    for (const address of [
      'postgres://ci:s3%20cr%40t@db/runs',
      'postgres://ci@db/runs?password=s3%20cr%40t',
      "host=db password='s3 cr@t'",
    ]) {
      expect({ address, hidden: storeSecretVariables(address, env) }).toEqual({ address, hidden: ['PGPASSWORD'] });
    }
    expect(storeSecretVariables('postgres://ci:other@db/runs', env)).toEqual([]);
    expect(storeSecretVariables('host=db password=other', env)).toEqual([]);
    expect(storeSecretVariables('postgres://ci:other@db/runs', {})).toEqual([]);
  });

  it('should show a password parameter named with %-escapes as ***, and leave other escaped names', () => {
    expect(redactConnectionString('postgres://ci@db/runs?schema=a&pass%77ord=secret')).toBe(
      'postgres://ci@db/runs?schema=a&pass%77ord=***',
    );
    expect(redactConnectionString('postgres://ci@db/runs?ssl%70assword=x&b=%zz')).toBe('postgres://ci@db/runs?ssl%70assword=***&b=%zz');
    expect(redactConnectionString('postgres://ci@db/runs?a%20b=1')).toBe('postgres://ci@db/runs?a%20b=1');
    // a space in a URL's parameter is the parameter's: hidden to its end
    expect(redactConnectionString('postgres://ci@db/runs?pass%77ord=se cret&x=1')).toBe('postgres://ci@db/runs?pass%77ord=***&x=1');
    expect(redactConnectionString('postgres://ci@db/runs?password=se cret')).toBe('postgres://ci@db/runs?password=***');
  });
});
