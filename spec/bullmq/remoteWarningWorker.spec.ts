import { AgentError, type Agent, runDag } from '../../src/index';
import { remoteAgent, startWorker } from '../../src/bullmq/index';
import { describeRedis, prefixPerTest } from '../support/redis';
import { byTask, Closer, collect } from './helpers';

jest.setTimeout(30_000);

describeRedis('a remote attempt that completes with a warning', (env) => {
  const closer = new Closer();
  let prefix = '';
  prefixPerTest(env, (fresh) => (prefix = fresh));
  afterEach(() => closer.closeAll());

  it('should name its worker in task.completed, with the warning and its output', async () => {
    const warns: Agent = () => {
      throw new AgentError('disk almost full', { severity: 'warning', output: { kept: true } });
    };
    const worker = closer.add(startWorker({ connection: env.url, prefix, agents: { warns }, concurrency: 2, leaseMs: 1000, onLog: () => undefined }));
    const events = await collect(runDag({ id: 'w', tasks: [{ id: 'a', agent: 'warns' }] }, { agents: { warns: closer.add(remoteAgent({ connection: env.url, prefix, queue: 'warns', leaseMs: 1000 })) } }));
    const completed = byTask(events, 'task.completed').get('a')!;
    expect(completed.warning).toEqual({ name: 'AgentError', message: 'disk almost full' });
    expect(completed.worker).toBe(worker.id);
  });
});
