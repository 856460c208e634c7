import { defineAgent, runDag } from '../../src/index';
import { remoteAgent, startWorker } from '../../src/bullmq/index';
import { describeRedis, prefixPerTest } from '../support/redis';
import { byTask, Closer, collect, ending } from './helpers';

jest.setTimeout(30_000);

/**
 * A worker's instances of agents with `create`: made by the first job (awaited when `create`
 * returns a promise), made again after a `create` that failed its job, disposed when the worker
 * closes, with what `dispose` throws ignored.
 */
describeRedis("a worker's instances of agents with create", (env) => {
  const closer = new Closer();
  let prefix = '';
  prefixPerTest(env, (fresh) => (prefix = fresh));
  afterEach(() => closer.closeAll());

  it('should await an async create, make it again after one that failed, and ignore a dispose that throws', async () => {
    const made: number[] = [];
    const disposed: number[] = [];
    const client = defineAgent({
      create: async () => {
        made.push(made.length + 1);
        if (made.length === 1) throw new Error('cannot connect yet');
        return { id: made.length };
      },
      run: ({ input }, instance: { id: number }) => ({ instance: instance.id, input }),
      dispose: (instance) => {
        disposed.push(instance.id);
        throw new Error('dispose failed');
      },
    });
    const worker = startWorker({ connection: env.url, prefix, agents: { client }, concurrency: 1, leaseMs: 1000, onLog: () => undefined });
    const agent = closer.add(remoteAgent({ connection: env.url, prefix, queue: 'client', leaseMs: 1000 }));
    const dag = {
      id: 'inst',
      tasks: [
        { id: 'a', agent: 'client', input: 1, retry: { attempts: 2, backoffMs: 10 } },
        { id: 'b', agent: 'client', input: 2, deps: ['a'] },
      ],
    };
    const events = await collect(runDag(dag, { agents: { client: agent } }));
    expect(ending(events).outcome).toBe('succeeded');
    expect(byTask(events, 'task.failed').get('a')?.error.message).toContain('cannot connect yet');
    expect(byTask(events, 'task.completed').get('a')?.output).toEqual({ instance: 2, input: 1 });
    expect(byTask(events, 'task.completed').get('b')?.output).toEqual({ instance: 2, input: 2 });
    await expect(worker.close()).resolves.toBeUndefined();
    expect([made, disposed]).toEqual([[1, 2], [2]]);
  });
});
