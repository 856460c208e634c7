import { startWorker } from '../../src/bullmq/index';
import { redisTarget, stopsStart } from '../../src/bullmq/redisConnection';

// every connection refused for want of file descriptors, as under a `ulimit -n` too low for the worker's connections
jest.mock('net', () => {
  const actual = jest.requireActual<typeof import('net')>('net');
  return {
    ...actual,
    createConnection: () => {
      const socket = new actual.Socket();
      const error = Object.assign(new Error('connect EMFILE 127.0.0.1:6379 - Local (undefined:undefined)'), { code: 'EMFILE' });
      process.nextTick(() => socket.destroy(error));
      return socket;
    },
  };
});

/**
 * A worker whose process has no file descriptors left to connect with (none of its tasks runs to
 * give one back) stops starting, saying what to raise, rather than wait for ever half-started.
 */
describe('a worker with no file descriptors left to connect with', () => {
  it('should reject ready() naming the limit, and close', async () => {
    const worker = startWorker({
      connection: 'redis://127.0.0.1:6379',
      agents: { q: () => 1 },
      concurrency: 1,
      leaseMs: 1000,
      onLog: () => undefined,
    });
    try {
      await expect(worker.ready()).rejects.toThrow(/: no file descriptors left to connect with \(EMFILE\): raise the limit, `ulimit -n`$/);
    } finally {
      await worker.close({ force: true });
    }
  });

  it('should word the refusal without what Node says of a socket that never was', () => {
    const target = redisTarget('redis://127.0.0.1:6379', 'test');
    const said = target.reasonOf(
      Object.assign(new Error('connect ENFILE 127.0.0.1:6379 - Local (undefined:undefined)'), { code: 'ENFILE' }),
    );
    expect(said).toBe('no file descriptors left to connect with (ENFILE): raise the limit, `ulimit -n`');
    expect(stopsStart(said)).toBe(true);
    expect(stopsStart('connect ECONNREFUSED 127.0.0.1:6379')).toBe(false);
  });
});
