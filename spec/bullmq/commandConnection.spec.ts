import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { CommandConnection } from '../../src/bullmq/commandConnection';
import { type RedisConnectionError, RedisTarget } from '../../src/bullmq/redisConnection';

/**
 * What a command connection says of a connection that is down: the cause it last met, not the
 * errors of ioredis giving commands up. The connection never connects (`lazyConnect`); the
 * test emits its errors as ioredis would.
 */
describe('CommandConnection', () => {
  const HUNG_UP = 'read ECONNRESET (the server hung up: if it expects TLS, use rediss://)';

  function givenUp(): Error {
    const error = new Error('Reached the max retries per request limit (which is 3). Refer to "maxRetriesPerRequest" option for details.');
    error.name = 'MaxRetriesPerRequestError';
    return error;
  }

  function downConnection(): { connection: CommandConnection; reported: RedisConnectionError[] } {
    const reported: RedisConnectionError[] = [];
    // made directly: the options a user gives refuse `lazyConnect` (rxdag connects its connections itself)
    const target = new RedisTarget({ host: '127.0.0.1', port: 6390, lazyConnect: true }, false);
    const connection = new CommandConnection(target, { name: 'spec', commandTimeoutMs: 1000, onError: (error) => reported.push(error) });
    return { connection, reported };
  }

  it('should keep the cause of an outage when ioredis then emits a command it gave up (ioredis 5 does, for its AUTH)', () => {
    const { connection, reported } = downConnection();
    try {
      connection.redis.emit('error', new Error('read ECONNRESET'));
      connection.redis.emit('error', givenUp());
      connection.redis.emit('error', new Error('Connection is closed.'));
      expect(reported.map((error) => error.reason)).toEqual([HUNG_UP, HUNG_UP, HUNG_UP]);
      expect(connection.fail('reach queue "q"', givenUp()).message).toBe(
        `Redis at redis://127.0.0.1:6390/0: cannot reach queue "q": ${HUNG_UP}`,
      );
    } finally {
      connection.redis.disconnect();
    }
  });

  it('should take a later cause over the one before', () => {
    const { connection } = downConnection();
    try {
      connection.redis.emit('error', new Error('read ECONNRESET'));
      connection.redis.emit('error', new Error('connect ECONNREFUSED 127.0.0.1:6390'));
      expect(connection.fail('reach queue "q"', givenUp()).reason).toBe('connect ECONNREFUSED 127.0.0.1:6390');
    } finally {
      connection.redis.disconnect();
    }
  });

  it('should say that Redis did not answer, not a connection lost, when what it lost it to is an unanswered command (a server that says nothing)', () => {
    const { connection } = downConnection();
    try {
      connection.redis.emit('error', new Error('Command timed out'));
      expect(connection.unanswered('reach queue "q"', 10_000).reason).toBe('it did not answer within 10000 ms');
      connection.redis.emit('error', new Error('connect ECONNREFUSED 127.0.0.1:6390'));
      expect(connection.unanswered('reach queue "q"', 10_000).reason).toBe(
        'connect ECONNREFUSED 127.0.0.1:6390 (no connection for 10000 ms)',
      );
    } finally {
      connection.redis.disconnect();
    }
  });

  describe('waiting for it to come up', () => {
    /** A server on a free port that does `onConnection` with each connection, closed (with them) after the test. */
    async function fakeServer(onConnection: (socket: Socket) => void): Promise<{ server: Server; port: number; close(): void }> {
      const sockets = new Set<Socket>();
      const server = createServer((socket) => {
        sockets.add(socket);
        socket.on('error', () => undefined);
        onConnection(socket);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const close = () => {
        for (const socket of sockets) socket.destroy();
        server.close();
      };
      return { server, port: (server.address() as AddressInfo).port, close };
    }

    const connectionTo = (port: number) =>
      new CommandConnection(new RedisTarget({ host: '127.0.0.1', port }, false), {
        name: 'spec',
        commandTimeoutMs: 5000,
        onError: () => undefined,
      });

    it('should end when the server takes the connection and hangs up, as a full Redis does, saying no error', async () => {
      const fake = await fakeServer((socket) => socket.end('-ERR max number of clients reached\r\n'));
      const connection = connectionTo(fake.port);
      try {
        const began = Date.now();
        await connection.whenUp();
        expect(Date.now() - began).toBeLessThan(3000);
      } finally {
        await connection.close(100);
        fake.close();
      }
    });

    it('should end when the connection is closed while the server says nothing', async () => {
      const fake = await fakeServer(() => undefined);
      const connection = connectionTo(fake.port);
      try {
        const up = connection.whenUp();
        await new Promise((resolve) => setTimeout(resolve, 100));
        const closing = Date.now();
        await Promise.all([connection.close(100), up]);
        expect(Date.now() - closing).toBeLessThan(1000);
      } finally {
        fake.close();
      }
    });
  });
});
