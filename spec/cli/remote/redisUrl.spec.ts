import { redisUrlProblem } from '../../../src/cli/remote/remoteOptions';
import { tempDir } from '../support/files';
import { rxdagWith } from '../support/liveInProcessCli';

const NOT_REDIS = (scheme: string) =>
  `rxdag: --redis: the URL must be a redis:// or rediss:// URL, got ${scheme}//… (e.g. redis://127.0.0.1:6379 or rediss://:PASSWORD@HOST:6380)\n`;

describe('a --redis that is not a Redis URL', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  it('should be refused by rxdag worker before anything is loaded or reached', async () => {
    const result = await rxdagWith({ env: { RXDAG_WORKER_KEY: '' } }, 'worker', '--redis', 'http://x');
    expect([result.code, result.stderr]).toEqual([2, NOT_REDIS('http:')]);
  });

  it('should be refused by rxdag resume before the store is looked at', async () => {
    const result = await rxdagWith({ env: { RXDAG_STORE: tmp.file('empty-store') } }, 'resume', '--redis', 'foo://x');
    expect([result.code, result.stderr]).toEqual([2, NOT_REDIS('foo:')]);
  });

  it('should be refused by rxdag run with its other bad options, its password never shown', async () => {
    const result = await rxdagWith({}, 'run', tmp.file('missing.yaml'), '--redis', 'https://:hunter2@x', '-c', '0');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(NOT_REDIS('https:'));
    expect(result.stderr).toContain('--concurrency must be a positive integer');
    expect(result.stderr).not.toContain('hunter2');
  });

  it('should take redis:// and rediss:// URLs, and word what else is wrong with one', () => {
    expect(redisUrlProblem('redis://127.0.0.1:6379/2')).toBeUndefined();
    expect(redisUrlProblem('rediss://:pw@host:6380')).toBeUndefined();
    expect(redisUrlProblem('redis://:pw@host/db')).toMatch(/^--redis: the database in the URL must be a number, got "\/db"/);
    // mistyped: the password is never echoed
    for (const url of ['redis:/:secret@127.0.0.1:6313', 'redis:secret@host', 'redis::secret@host', 'rediss:/u:secret@host/0']) {
      expect(redisUrlProblem(url)).toMatch(/^--redis: the URL must start with rediss?:\/\/ and the host \(rediss?:\/\/HOST:PORT\)/);
      expect(redisUrlProblem(url)).not.toContain('secret');
    }
    expect(redisUrlProblem('redis:///:secret@host')).toMatch(/^--redis: the database in the URL must be a number \(e\.g\./);
    // a % in the password that decodes to nothing: said so, under the option's name
    expect(redisUrlProblem('redis://u:se%cret@127.0.0.1:6313')).toBe(
      '--redis: the password in the URL has a % escape that does not decode to text: write a % in it as %25 (e.g. redis://127.0.0.1:6379 or rediss://:PASSWORD@HOST:6380)',
    );
    expect(redisUrlProblem('not a url :pw@')).toMatch(/^--redis: the URL is not a valid redis:\/\/ or rediss:\/\/ URL \(e\.g\./);
  });
});
