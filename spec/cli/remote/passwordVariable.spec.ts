import path from 'node:path';
import { startWorker } from '../../../src/bullmq/index';
import { redisTarget } from '../../../src/bullmq/redisConnection';
import type { Problem } from '../../../src/cli/problems';
import { remoteFlags, resolveRemoteOptions } from '../../../src/cli/remote/remoteOptions';
import { describeRedis, type PasswordRedis, startPasswordRedis } from '../../support/redis';
import { tempDir, writeText } from '../support/files';
import { rxdagWith } from '../support/liveInProcessCli';

jest.setTimeout(30_000);

const PASSWORD = 'env p@ss/with:odd&chars%41 100%';

/**
 * `RXDAG_REDIS_PASSWORD` keeps Redis's password off the command line, where `ps` shows it: the
 * `--redis` URL goes without one, and the commands use the variable's.
 */
describeRedis('RXDAG_REDIS_PASSWORD', (env) => {
  const tmp = tempDir();
  let server: PasswordRedis;
  beforeAll(async () => {
    server = await startPasswordRedis(PASSWORD);
  });
  afterAll(async () => {
    await server.stop();
    tmp.remove();
  });
  const dag = () => writeText(tmp.file('nap.json'), JSON.stringify({ id: 'nap', tasks: [{ id: 'a', sleep: 1 }] }));
  /** `rxdag run` of the DAG through the test's Redis at `url`, the password in the environment. */
  const runWith = (url: string, ...more: string[]) =>
    rxdagWith({ env: { RXDAG_REDIS_PASSWORD: PASSWORD, RXDAG_WORKER_KEY: '' } }, 'run', dag(), '--no-journal', '--redis', url, ...more);

  it('should give rxdag run the password its --redis URL leaves out, and never print it', async () => {
    const worker = startWorker({
      connection: `redis://:${encodeURIComponent(PASSWORD)}@127.0.0.1:${server.port}`,
      prefix: env.prefix,
      agents: { sleep: () => undefined },
      concurrency: 1,
      leaseMs: 1000,
      onLog: () => undefined,
    });
    try {
      await worker.ready();
      const result = await runWith(`redis://127.0.0.1:${server.port}`, '--redis-prefix', env.prefix);
      expect([result.code, result.stderr]).toEqual([0, expect.any(String)]);
      expect(result.stdout).toContain('dag.completed succeeded');
      for (const text of [result.stdout, result.stderr]) expect(text).not.toContain('p@ss');
    } finally {
      await worker.close();
    }
  });

  it('should say that the password of RXDAG_REDIS_PASSWORD was refused, not one of the URL, and not show it', async () => {
    const result = await rxdagWith(
      { env: { RXDAG_REDIS_PASSWORD: 'wrong p@ss', RXDAG_WORKER_KEY: '' } },
      'run',
      dag(),
      '--no-journal',
      '--redis',
      `redis://127.0.0.1:${server.port}`,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      new RegExp(
        `^rxdag: Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${server.port}/0: this Redis refused the password of RXDAG_REDIS_PASSWORD \\(WRONGPASS[^\\n]*\\)\\n$`,
      ),
    );
    expect(result.stderr).not.toContain('p@ss');
  });

  it('should refuse a --redis URL that has a password of its own as well', async () => {
    const result = await runWith(`redis://:other@127.0.0.1:${server.port}`);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('rxdag: --redis has a password and RXDAG_REDIS_PASSWORD is set too: give the password in one of them\n');
  });
});

describe('RXDAG_REDIS_PASSWORD in the resume hint', () => {
  const hintFor = (url: string, env: NodeJS.ProcessEnv) => {
    const problems: Problem[] = [];
    const settings = resolveRemoteOptions({ redis: url }, env, problems)!;
    expect(problems).toEqual([]);
    return remoteFlags(settings, redisTarget(settings.url, '--redis').location);
  };

  it('should leave out of the --redis of a resume hint the password the variable gave, which gives it again', () => {
    expect(hintFor('redis://10.0.0.5:6379', { RXDAG_REDIS_PASSWORD: 'secret' })).toBe(' --redis redis://10.0.0.5:6379/0');
    expect(hintFor('redis://ops@10.0.0.5:6379', { RXDAG_REDIS_PASSWORD: 'secret' })).toBe(' --redis redis://ops@10.0.0.5:6379/0');
  });

  it('should keep the *** of a password given in the URL, for the user to put back', () => {
    expect(hintFor('redis://:secret@10.0.0.5:6379', {})).toBe(" --redis 'redis://:***@10.0.0.5:6379/0'");
  });
});

describe('the key file in the resume hint', () => {
  it('should name the key file by its absolute path, for a resume in another folder', () => {
    const tmp = tempDir();
    try {
      const file = writeText(tmp.file('worker.key'), `${'ab'.repeat(32)}\n`);
      const problems: Problem[] = [];
      const relative = path.relative(process.cwd(), file);
      const settings = resolveRemoteOptions({ redis: 'redis://127.0.0.1:6379', keyFile: relative }, {}, problems)!;
      expect(problems).toEqual([]);
      expect(remoteFlags(settings, 'redis://127.0.0.1:6379/0')).toBe(` --redis redis://127.0.0.1:6379/0 --key-file ${file}`);
    } finally {
      tmp.remove();
    }
  });
});
