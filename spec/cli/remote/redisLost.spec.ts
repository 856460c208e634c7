import { writeFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { outageLines } from '../../../src/cli/remote/remoteAgents';
import { credentialsAsGiven } from '../../../src/cli/remote/remoteOptions';
import { describeOwnRedis } from '../../support/redis';
import { tempDir } from '../support/files';
import { startInProcess, useProcessEnv } from '../support/liveInProcessCli';
import { waitFor } from '../../bullmq/helpers';

/**
 * `rxdag run --redis` says on stderr when it loses Redis and when it is back, one line each
 * however many queues and reconnect tries: in this process, on a throwaway `redis-server` killed
 * and started again while an attempt waits for a worker.
 */
jest.setTimeout(20_000);

describe('outageLines', () => {
  it('should say one line when the first queue loses Redis and one when the first is back (one closed meanwhile never is)', () => {
    const lines: string[] = [];
    const tell = outageLines('redis://127.0.0.1:6391/0', (line) => lines.push(line));
    const error = { reason: 'connect ECONNREFUSED 127.0.0.1:6391' } as never;
    tell({ queue: 'shell', connected: false, error });
    tell({ queue: 'sleep', connected: false, error });
    expect(lines).toHaveLength(1);
    // `sleep`'s agent was closed, idle, while Redis was away: only `shell` comes back
    tell({ queue: 'shell', connected: true });
    tell({ queue: 'shell', connected: true });
    expect(lines).toEqual([
      'rxdag: lost Redis at redis://127.0.0.1:6391/0 (connect ECONNREFUSED 127.0.0.1:6391): reconnecting; ' +
        'attempts on the workers go on, and their outcomes are read once it is back',
      'rxdag: connected to Redis at redis://127.0.0.1:6391/0 again',
    ]);
  });
});

describe('outageLines, when Redis stops answering and its connection stays up (frozen, or cut off)', () => {
  it('should say it stopped answering, not that it reconnects, and then that it answers again', () => {
    const lines: string[] = [];
    const tell = outageLines('redis://127.0.0.1:6391/0', (line) => lines.push(line));
    tell({ queue: 'shell', connected: false, error: { reason: 'it did not answer within 10000 ms' } as never });
    tell({ queue: 'shell', connected: true });
    // a later outage of another kind is said as what it is
    tell({ queue: 'shell', connected: false, error: { reason: 'connect ECONNREFUSED 127.0.0.1:6391' } as never });
    tell({ queue: 'shell', connected: true });
    expect(lines).toEqual([
      'rxdag: Redis at redis://127.0.0.1:6391/0 stopped answering (it did not answer within 10000 ms): ' +
        'attempts on the workers go on, and their outcomes are read once it answers; an attempt whose job it does not take fails',
      'rxdag: Redis at redis://127.0.0.1:6391/0 answers again',
      'rxdag: lost Redis at redis://127.0.0.1:6391/0 (connect ECONNREFUSED 127.0.0.1:6391): reconnecting; ' +
        'attempts on the workers go on, and their outcomes are read once it is back',
      'rxdag: connected to Redis at redis://127.0.0.1:6391/0 again',
    ]);
  });
});

describe('outageLines, when Redis refuses the credentials it took before (a password rotated)', () => {
  it('should say that trying again will not do, not that it reconnects', () => {
    const lines: string[] = [];
    const tell = outageLines('redis://team:***@127.0.0.1:6391/0', (line) => lines.push(line));
    tell({ queue: 'shell', connected: false, error: { reason: 'WRONGPASS invalid username-password pair or user is disabled.' } as never });
    expect(lines).toEqual([
      "rxdag: Redis at redis://team:***@127.0.0.1:6391/0 refuses this command's credentials now (WRONGPASS invalid username-password pair or user is disabled.): " +
        'attempts on the workers go on, but their outcomes cannot be read until it takes them again; stop the run and resume it (or run it again) with the new password',
    ]);
  });
});

describe('credentialsAsGiven', () => {
  const said =
    "Redis at redis://:***@127.0.0.1:6391/0 refuses this command's credentials now (this Redis refused the user name or password of the URL (WRONGPASS …))";
  it('should name RXDAG_REDIS_PASSWORD where the password came from it, and the URL for a user name it holds', () => {
    expect(credentialsAsGiven(true, undefined)(said)).toContain('this Redis refused the password of RXDAG_REDIS_PASSWORD (WRONGPASS …)');
    expect(credentialsAsGiven(true, 'team')(said)).toContain(
      'this Redis refused the user name of the URL or the password of RXDAG_REDIS_PASSWORD (WRONGPASS …)',
    );
    // a password in the URL itself: said as the library says it
    expect(credentialsAsGiven(false, 'team')(said)).toBe(said);
    expect(credentialsAsGiven(undefined, undefined)(said)).toBe(said);
  });
});

describeOwnRedis('rxdag run --redis when Redis goes away and comes back', (env) => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());
  useProcessEnv(() => ({ RXDAG_WORKER_KEY: '' }));

  it('should say once on stderr that it lost Redis, and once that it is back', async () => {
    const file = tmp.file('lost.json');
    // no worker: the attempt waits in Redis until its time runs out, which ends the run
    writeFileSync(file, JSON.stringify({ id: 'lost', tasks: [{ id: 'wait', run: 'true', timeoutMs: 3000 }] }));
    const { url } = env.redis();
    const run = startInProcess(['run', file, '--redis', url, '--no-journal']);
    const client = new Redis(url, { maxRetriesPerRequest: 1 });
    client.on('error', () => undefined);
    await waitFor(async () => (await client.keys('*|wait|1')).length > 0, 'the job to be in Redis');
    client.disconnect();
    await env.redis().stop();
    const location = `redis://127.0.0.1:${env.redis().port}/0`;
    await waitFor(() => run.stderrSoFar().includes('rxdag: lost Redis'), 'the outage to be said');
    await env.restart();
    const { code, stderr } = await run.done;
    expect(code).toBe(1);
    const said = stderr.split('\n').filter((line) => line.includes('Redis at'));
    expect(said).toEqual([
      expect.stringMatching(/^rxdag: attempts run on rxdag workers through Redis at /),
      expect.stringMatching(
        new RegExp(`^rxdag: lost Redis at ${location} \\((connect ECONNREFUSED|read ECONNRESET)[^)]*\\): reconnecting; `),
      ),
      `rxdag: connected to Redis at ${location} again`,
    ]);
  });
});
