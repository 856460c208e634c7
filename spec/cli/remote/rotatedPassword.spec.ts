import { Redis } from 'ioredis';
import { describeOwnRedis } from '../../support/redis';
import { remoteCliSuite, waitFor } from './workerProcesses';

jest.setTimeout(60_000);

/**
 * A worker whose Redis changes its password while it serves (a rotation): the line that says
 * Redis refuses it names where the password came from, `RXDAG_REDIS_PASSWORD`, not the URL
 * (which holds none). On a throwaway `redis-server` of the test's own.
 */
describeOwnRedis('rxdag worker when Redis changes its password under it', (env) => {
  const { fleet } = remoteCliSuite();

  it('names RXDAG_REDIS_PASSWORD as what Redis refuses, not the password of the URL', async () => {
    const { url } = env.redis();
    const admin = new Redis(url, { maxRetriesPerRequest: 1 });
    admin.on('error', () => undefined);
    try {
      await admin.config('SET', 'requirepass', 'first-S3cret');
      const worker = await fleet.start(url, 'rxdag-rotated', [], { RXDAG_WORKER_KEY: '', RXDAG_REDIS_PASSWORD: 'first-S3cret' });
      await admin.config('SET', 'requirepass', 'second-S3cret');
      // its connections made again: with the password it was given, which Redis refuses now
      await admin.call('CLIENT', 'KILL', 'TYPE', 'normal');
      await waitFor(() => /WRONGPASS/.test(worker.stderrSoFar()), 'the worker to say Redis refused its password');
      const refused = worker
        .stderrSoFar()
        .split('\n')
        .filter((line) => line.includes('WRONGPASS'));
      expect(refused.length).toBeGreaterThan(0);
      for (const line of refused) {
        expect(line).toMatch(/this Redis refused the password of RXDAG_REDIS_PASSWORD \(WRONGPASS/);
        expect(line).not.toMatch(/of the URL|S3cret/);
      }
    } finally {
      admin.disconnect();
    }
  });
});
