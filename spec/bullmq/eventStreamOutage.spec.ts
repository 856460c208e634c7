import { Redis } from 'ioredis';
import { EventStream, type StreamListener } from '../../src/bullmq/eventStream';
import { redisTarget } from '../../src/bullmq/redisConnection';
import { describeRedis } from '../support/redis';
import { Closer, sleep, waitFor } from './helpers';
import { PausableProxy } from './pausableProxy';

/**
 * The reading of a queue's event stream when Redis stops answering without closing the
 * connection (a hung Redis, a stalled network), through a proxy that holds every byte while
 * paused: once Redis answers again, the reader reads again within a few seconds, from where it
 * was. Reads block for a short time here, so the reader gives up a hung read within a second.
 */
jest.setTimeout(60_000);

/** A read blocks 500 ms on the server and is given up 500 ms after that. */
const timing = { blockMs: 500, hangMs: 500, retryMs: 100 };
/**
 * How long the reader may take to give up a read that hangs and connect again: its block time
 * and hang, ioredis's wait for the hung socket to close (2 s), with room for a busy machine.
 */
const GIVES_UP_WITHIN_MS = 25_000;
/** How soon what is in the stream is heard once Redis answers again. */
const HEARD_WITHIN_MS = 3_000;

describeRedis('the reading of a queue event stream when Redis stops answering', (env) => {
  const closer = new Closer();
  let streams = 0;
  afterEach(() => closer.closeAll());

  /** A stream key of its own, read through a proxy of its own, and what was heard. */
  async function setUp() {
    const proxy = closer.add(await PausableProxy.start(env.url));
    const key = `${env.prefix}:q${++streams}:events`;
    const name = `spec-events-outage-${streams}`;
    const heard: string[] = [];
    const listener: StreamListener = {
      completed: (jobId) => heard.push(jobId),
      failed: (jobId) => heard.push(`failed ${jobId}`),
      changed: (jobId) => heard.push(`changed ${jobId}`),
    };
    // written straight to Redis, as a worker that still reaches it does
    const complete = (jobId: string) => env.client.xadd(key, '*', 'event', 'completed', 'jobId', jobId, 'returnvalue', '1');
    closer.add(new EventStream(redisTarget(proxy.url, 'spec'), name, key, '0-0', listener, timing));
    return { proxy, name, heard, complete };
  }

  /** Pauses the proxy while a read blocks, until the reader has given it up and connected again. */
  async function outage(proxy: PausableProxy): Promise<void> {
    await sleep(100); // a read blocks on the server
    proxy.pause();
    // at least: on a busy machine the new connection may also be given up before a look sees it
    await waitFor(() => proxy.connections >= 2, 'the reader to give up the hung read and connect again', GIVES_UP_WITHIN_MS);
  }

  it('should hear what was written while Redis did not answer, within a few seconds of its answering again', async () => {
    const { proxy, heard, complete } = await setUp();
    await complete('r|a|1');
    await waitFor(() => heard.length === 1, 'the outcome before the outage');
    await outage(proxy);
    await complete('r|b|1');
    await complete('r|c|1');
    await sleep(200);
    expect(heard).toEqual(['r|a|1']);
    proxy.resume();
    await waitFor(() => heard.length >= 3, 'the outcomes written during the outage', HEARD_WITHIN_MS);
    await complete('r|d|1');
    await waitFor(() => heard.length >= 4, 'an outcome written after the outage', HEARD_WITHIN_MS);
    await sleep(200);
    expect(heard).toEqual(['r|a|1', 'r|b|1', 'r|c|1', 'r|d|1']);
  });

  it('should go on reading when its connection drops after an outage', async () => {
    const { proxy, name, heard, complete } = await setUp();
    const emptyReads = countEmptyReads(name);
    // reading, not still connecting: a handshake the outage holds waits for Redis to answer, with no read to give up
    await waitFor(() => emptyReads() >= 1, 'a first read to come back empty', GIVES_UP_WITHIN_MS);
    await outage(proxy);
    proxy.resume();
    // the drop comes once Redis has answered a read after the outage: a read given up during the
    // outage and settled only then must not have taken the place of the read in progress
    const before = emptyReads();
    await waitFor(() => emptyReads() > before, 'a read to come back empty after the outage', GIVES_UP_WITHIN_MS);
    proxy.drop();
    await complete('r|a|1');
    await waitFor(() => heard.length >= 1, 'an outcome written after the drop', HEARD_WITHIN_MS);
    await sleep(200);
    expect(heard).toEqual(['r|a|1']);
  });

  /** Counts the `XREAD`s of the connection named `name` that Redis answered with nothing, until the test ends. */
  function countEmptyReads(name: string): () => number {
    let empty = 0;
    const countIfEmpty = (streams: unknown) => {
      if (streams === null) empty++;
    };
    const xreadBuffer = Redis.prototype.xreadBuffer as (this: Redis, ...args: unknown[]) => Promise<unknown>;
    const spy = jest.spyOn(Redis.prototype, 'xreadBuffer').mockImplementation(function (this: Redis, ...args: unknown[]) {
      const reply = xreadBuffer.apply(this, args);
      if (this.options.connectionName === name) reply.then(countIfEmpty, () => undefined);
      return reply as ReturnType<Redis['xreadBuffer']>;
    });
    closer.onClose(() => spy.mockRestore());
    return () => empty;
  }
});
