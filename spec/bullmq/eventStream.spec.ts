import { EventStream, type StreamListener } from '../../src/bullmq/eventStream';
import { redisTarget } from '../../src/bullmq/redisConnection';
import { describeRedis } from '../support/redis';
import { Closer, sleep, waitFor } from './helpers';

describeRedis('the reading of a queue event stream', (env) => {
  const closer = new Closer();
  let streams = 0;
  afterEach(() => closer.closeAll());

  /** A stream key of its own, and a listener that writes down what it hears. */
  function setUp() {
    const key = `${env.prefix}:q${++streams}:events`;
    const heard: string[] = [];
    const listener: StreamListener = {
      completed: (jobId, returnvalue) => heard.push(`completed ${jobId} ${returnvalue}`),
      failed: (jobId, failedReason) => heard.push(`failed ${jobId} ${failedReason}`),
      changed: (jobId) => heard.push(`changed ${jobId}`),
    };
    const add = (...fields: string[]) => env.client.xadd(key, '*', ...fields) as Promise<string>;
    const read = (from: string, name = `spec-events-${streams}`, onHeard: StreamListener = listener) =>
      closer.add(new EventStream(redisTarget(env.url, 'spec'), name, key, from, onHeard));
    return { key, heard, add, read };
  }

  it('should hand on what a job did after the given position, in order, and skip the other entries', async () => {
    const { heard, add, read } = setUp();
    await add('event', 'completed', 'jobId', 'r|before|1', 'returnvalue', '{}', 'prev', 'active');
    const from = await add('event', 'waiting', 'jobId', 'r|a|1', 'prev', 'waiting');
    read(from);
    await add('event', 'active', 'jobId', 'r|a|1', 'prev', 'waiting');
    await add('event', 'completed', 'jobId', 'r|a|1', 'returnvalue', '{"v":1,"ok":true}', 'prev', 'active');
    await add('event', 'drained');
    await add('event', 'failed', 'jobId', 'r|b|1', 'failedReason', 'job stalled more than allowable limit', 'prev', 'active');
    await add('event', 'duplicated', 'jobId', 'r|c|1');
    await add('event', 'stalled', 'jobId', 'r|d|1');
    await add('jobId', 'r|e|1', 'event', 'completed', 'returnvalue', 'null');
    await waitFor(() => heard.length === 5, 'five entries heard');
    expect(heard).toEqual([
      'completed r|a|1 {"v":1,"ok":true}',
      'failed r|b|1 job stalled more than allowable limit',
      'changed r|c|1',
      'changed r|d|1',
      'completed r|e|1 null',
    ]);
  });

  it('should go on from where it was after its connection is cut, losing and repeating nothing', async () => {
    const { heard, add, read } = setUp();
    read('0-0', `spec-events-cut-${streams}`);
    await add('event', 'completed', 'jobId', 'r|a|1', 'returnvalue', '1');
    await waitFor(() => heard.length === 1, 'the first outcome');
    const clients = (await env.client.client('LIST')) as string;
    const id = new RegExp(`id=(\\d+) [^\\n]*name=spec-events-cut-${streams} `).exec(clients)?.[1];
    expect(id).toBeDefined();
    await env.client.client('KILL', 'ID', id!);
    await add('event', 'completed', 'jobId', 'r|b|1', 'returnvalue', '2');
    await add('event', 'completed', 'jobId', 'r|c|1', 'returnvalue', '3');
    await waitFor(() => heard.length >= 3, 'the outcomes added while it was cut off');
    await sleep(200);
    expect(heard).toEqual(['completed r|a|1 1', 'completed r|b|1 2', 'completed r|c|1 3']);
  });

  it('should keep reading when a listener throws', async () => {
    const { heard, add, read } = setUp();
    read('0-0', undefined, {
      completed: (jobId) => {
        if (jobId === 'r|bad|1') throw new Error('listener bug');
        heard.push(jobId);
      },
      failed: () => undefined,
      changed: () => undefined,
    });
    await add('event', 'completed', 'jobId', 'r|bad|1', 'returnvalue', '1');
    await add('event', 'completed', 'jobId', 'r|good|1', 'returnvalue', '2');
    await waitFor(() => heard.length === 1, 'the outcome after the failing one');
    expect(heard).toEqual(['r|good|1']);
  });

  it('should wait for Redis without queueing reads, and close at once while it waits', async () => {
    const heard: string[] = [];
    const listener: StreamListener = { completed: (jobId) => heard.push(jobId), failed: () => undefined, changed: () => undefined };
    const nowhere = new EventStream(redisTarget('redis://127.0.0.1:1', 'spec'), 'spec-events-nowhere', `${env.prefix}:nowhere:events`, '0-0', listener);
    await sleep(300); // a few refused connects
    const started = Date.now();
    await nowhere.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(heard).toEqual([]);
  });

  it('should close at once while a read blocks', async () => {
    const { read } = setUp();
    const stream = read('0-0');
    await sleep(100); // the read now blocks on the server
    const started = Date.now();
    await stream.close();
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
