import { redisTarget } from '../../../src/bullmq/redisConnection';
import { evictionNote } from '../../../src/cli/remote/redisAccess';
import { type OwnRedis, redisServerMissing, startRedisServer } from '../../support/redis';
import { servicesRequired } from '../../support/services';

/**
 * The note `rxdag run --redis` and `rxdag worker` give when Redis evicts any key once full
 * (`allkeys-…`): evicted jobs fail their attempts, and BullMQ requires `noeviction`. Against
 * redis-servers of their own, with each policy.
 */
const missing = redisServerMissing();
if (missing !== undefined) {
  console.warn(`\n!!! the eviction note: ${missing}: these tests did not run\n`);
  // where the services must be there (CI), a suite not run fails
  it(`the note on a Redis that evicts keys: ${missing}: these tests did not run`, () => expect(servicesRequired()).toBe(false));
} else describeNote();

function describeNote(): void {
  describe('the note on a Redis that evicts keys', () => {
    const servers: OwnRedis[] = [];
    afterAll(async () => {
      for (const server of servers) await server.stop();
    });
    const noteFor = async (policy: string) => {
      const server = await startRedisServer(['--maxmemory-policy', policy]);
      servers.push(server);
      return evictionNote(redisTarget(server.url, 'spec'));
    };

    it('should say that an allkeys policy evicts jobs, naming it and what to set', async () => {
      expect(await noteFor('allkeys-lru')).toMatch(
        /^note: Redis at redis:\/\/127\.0\.0\.1:\d+\/0 evicts keys when it is full \(maxmemory-policy allkeys-lru\): a job it evicts fails its attempt as gone from Redis; give it maxmemory-policy noeviction$/,
      );
    });

    it('should give no note, and not wait for ever, when Redis does not answer the check', async () => {
      const server = await startRedisServer(['--maxmemory-policy', 'allkeys-lru']);
      servers.push(server);
      server.freeze(); // it holds the connection and answers nothing
      try {
        const started = Date.now();
        expect(await evictionNote(redisTarget(server.url, 'spec'))).toBeUndefined();
        expect(Date.now() - started).toBeLessThan(8000);
      } finally {
        server.thaw();
      }
    });

    it('should say nothing for noeviction, nor for a volatile policy (jobs have no time limit to be evicted by)', async () => {
      expect(await noteFor('noeviction')).toBeUndefined();
      expect(await noteFor('volatile-lru')).toBeUndefined();
    });
  });
}
