import { EMPTY } from 'rxjs';
import { type Agent, type AgentDefinition, AgentError, type DagSpec, runDag } from '../../src/index';
import { remoteAgent, startWorker } from '../../src/bullmq/index';
import { describeRedis, prefixPerTest } from '../support/redis';
import { byTask, Closer, collect, ending } from './helpers';

jest.setTimeout(30_000);

/**
 * A remote attempt ends with the same events as the same agent run locally: cases the remote
 * property suite (`spec/reliability/remoteProperties.spec.ts`) found to differ.
 */
describeRedis('remote attempts end as local ones do', (env) => {
  const closer = new Closer();
  let prefix = '';
  prefixPerTest(env, (fresh) => (prefix = fresh));
  afterEach(() => closer.closeAll());

  /** The run's events with `agent` local, then on a worker. */
  async function bothWays(dag: DagSpec, agent: Agent) {
    const local = await collect(runDag(dag, { agents: { job: agent } }));
    closer.add(startWorker({ connection: env.url, prefix, agents: { job: agent }, concurrency: 2, leaseMs: 1000, onLog: () => undefined }));
    const remote: AgentDefinition = closer.add(remoteAgent({ connection: env.url, prefix, queue: 'job', leaseMs: 1000 }));
    return { local, remote: await collect(runDag(dag, { agents: { job: remote } })) };
  }

  it('should complete an agent that ends without a value with the EmptyResult warning', async () => {
    const { local, remote } = await bothWays({ id: 'empty', tasks: [{ id: 'quiet', agent: 'job' }] }, () => EMPTY);
    const expected = { name: 'EmptyResult', message: 'agent completed without a value' };
    expect(byTask(local, 'task.completed').get('quiet')!.warning).toEqual(expected);
    expect(byTask(remote, 'task.completed').get('quiet')!.warning).toEqual(expected);
    expect(ending(remote).outcome).toBe('succeeded');
  });

  it('should keep to what a failed attempt asked: the wait before the next one, or no retry at all', async () => {
    const agent: Agent = ({ id, attempt }) => {
      if (id === 'limited' && attempt === 1) throw new AgentError('429', { retryAfterMs: 300 });
      if (id === 'hopeless') throw new AgentError('prompt too long', { retry: false });
      return attempt;
    };
    const dag: DagSpec = {
      id: 'hints',
      defaults: { retry: { attempts: 3, backoffMs: 0 } },
      tasks: [
        { id: 'limited', agent: 'job' },
        { id: 'hopeless', agent: 'job' },
      ],
    };
    const { local, remote } = await bothWays(dag, agent);
    for (const events of [local, remote]) {
      const failed = events.filter((e) => e.type === 'task.failed');
      expect(failed.map((e) => e.type === 'task.failed' && [e.taskId, e.attempt, e.willRetry, e.retryAfterMs])).toEqual(
        expect.arrayContaining([
          ['limited', 1, true, 300],
          ['hopeless', 1, false, undefined],
        ]),
      );
      expect(failed).toHaveLength(2);
      const retrying = events.find((e) => e.type === 'task.retrying')!;
      const first = events.find((e) => e.type === 'task.failed' && e.taskId === 'limited')!;
      // (a timer may fire a millisecond before Date.now() has moved on by its delay: the loop's clock is read at each turn)
      expect(retrying.at - first.at).toBeGreaterThanOrEqual(299);
      expect(byTask(events, 'task.completed').get('limited')!.output).toBe(2);
    }
  });

  it('should hand the agent a frozen input and upstream, which it cannot change', async () => {
    const agent: Agent = ({ id, input, upstream }) => {
      if (id === 'first') return { list: [1] };
      const refused: string[] = [];
      for (const change of [() => ((input as { n: number }).n = 2), () => (upstream['first'] as { list: number[] }).list.push(2)]) {
        try {
          change();
        } catch (error) {
          refused.push((error as Error).name);
        }
      }
      return refused;
    };
    const dag: DagSpec = {
      id: 'frozen',
      tasks: [
        { id: 'first', agent: 'job' },
        { id: 'then', agent: 'job', deps: ['first'], input: { n: 1 } },
      ],
    };
    const { local, remote } = await bothWays(dag, agent);
    expect(byTask(local, 'task.completed').get('then')!.output).toEqual(['TypeError', 'TypeError']);
    expect(byTask(remote, 'task.completed').get('then')!.output).toEqual(['TypeError', 'TypeError']);
  });

  it('should hand a dependency named __proto__ to its dependent in upstream', async () => {
    const agent: Agent = ({ id, upstream }) =>
      id === '__proto__' ? { from: id } : { seen: Object.keys(upstream), proto: upstream['__proto__'] };
    const dag: DagSpec = {
      id: 'proto',
      tasks: [
        { id: '__proto__', agent: 'job' },
        { id: 'after', agent: 'job', deps: ['__proto__'] },
      ],
    };
    const { local, remote } = await bothWays(dag, agent);
    const expected = { seen: ['__proto__'], proto: { from: '__proto__' } };
    expect(byTask(local, 'task.completed').get('after')!.output).toEqual(expected);
    expect(byTask(remote, 'task.completed').get('after')!.output).toEqual(expected);
  });

  it('should keep the tasks an attempt spawned before a warning, or before completing without a value', async () => {
    const agent: Agent = (ctx) => {
      if (ctx.id !== 'soft' && ctx.id !== 'quiet') return ctx.id;
      ctx.spawn([{ id: `${ctx.id}-child`, agent: 'job' }]);
      if (ctx.id === 'quiet') return EMPTY;
      throw new AgentError('partly done', { severity: 'warning', output: 'partial' });
    };
    const dag: DagSpec = {
      id: 'spawnsKept',
      tasks: [
        { id: 'soft', agent: 'job' },
        { id: 'quiet', agent: 'job' },
        { id: 'after', agent: 'job', deps: ['soft', 'quiet'] },
      ],
    };
    const { local, remote } = await bothWays(dag, agent);
    for (const events of [local, remote]) {
      const completed = byTask(events, 'task.completed');
      expect([...completed.keys()].sort()).toEqual(['after', 'quiet', 'quiet-child', 'soft', 'soft-child']);
      expect([completed.get('soft')!.warning?.message, completed.get('soft')!.output]).toEqual(['partly done', 'partial']);
      // the spawner's dependents wait for what it spawned
      for (const child of ['soft-child', 'quiet-child']) expect(completed.get(child)!.seq).toBeLessThan(completed.get('after')!.seq);
      expect(ending(events).outcome).toBe('succeeded');
    }
  });
});
