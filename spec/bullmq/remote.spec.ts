import { Queue, QueueEvents } from 'bullmq';
import { AgentError, type Agent, runDag } from '../../src/index';
import { remoteAgent, startWorker, type WorkerOptions } from '../../src/bullmq/index';
import { eventLogViolations, outcomes } from '../cli/support/eventLogInvariants';
import { redisTarget } from '../../src/bullmq/redisConnection';
import { describeRedis, prefixPerTest } from '../support/redis';
import { byTask, Closer, collect, ending, sleep } from './helpers';

jest.setTimeout(30_000);

describeRedis('remote agents on BullMQ workers', (env) => {
  const closer = new Closer();
  let prefix = '';
  prefixPerTest(env, (fresh) => (prefix = fresh));
  afterEach(() => closer.closeAll());

  const worker = (agents: WorkerOptions['agents'], options: Partial<WorkerOptions> = {}) =>
    closer.add(startWorker({ connection: env.url, prefix, agents, concurrency: 4, leaseMs: 1000, onLog: () => undefined, ...options }));
  const remote = (queue: string) => closer.add(remoteAgent({ connection: env.url, prefix, queue, leaseMs: 1000 }));

  const echo: Agent = ({ id, input, upstream, attempt }) => ({ id, input, upstream: Object.keys(upstream).sort(), attempt });

  it('should not stop at once an attempt whose time limit is near the longest timer Node keeps', async () => {
    const nap: Agent = () => new Promise((resolve) => setTimeout(() => resolve('napped'), 300));
    worker({ nap });
    const events = await collect(
      runDag(
        { id: 'long', tasks: [{ id: 'a', agent: 'nap', timeoutMs: 2_147_483_000 }] },
        { agents: { nap: remote('nap') }, healthCheckIntervalMs: 0 },
      ),
    );
    expect([events.filter((event) => event.type === 'task.failed'), ending(events).outcome]).toEqual([[], 'succeeded']);
  });

  it('should run a DAG on remote workers: outputs, upstream, dependencies first, the worker named', async () => {
    const running = worker({ echo });
    const events = await collect(
      runDag(
        {
          id: 'diamond',
          tasks: [
            { id: 'a', agent: 'echo', input: { n: 1 } },
            { id: 'b', agent: 'echo', deps: ['a'] },
            { id: 'c', agent: 'echo', deps: ['a'] },
            { id: 'd', agent: 'echo', deps: ['b', 'c'], input: 'last' },
          ],
        },
        { agents: { echo: remote('echo') } },
      ),
    );
    expect(eventLogViolations(events)).toEqual([]);
    expect(ending(events).outcome).toBe('succeeded');
    const completed = byTask(events, 'task.completed');
    expect(completed.get('a')!.output).toEqual({ id: 'a', input: { n: 1 }, upstream: [], attempt: 1 });
    expect(completed.get('d')!.output).toEqual({ id: 'd', input: 'last', upstream: ['b', 'c'], attempt: 1 });
    for (const event of completed.values()) expect(event.worker).toBe(running.id);
    expect(running.id).toBe(`${require('node:os').hostname()}:${process.pid}`);
    const order = events
      .filter((e) => e.type === 'task.started' || e.type === 'task.completed')
      .map((e) => `${e.type}:${'taskId' in e ? e.taskId : ''}`);
    expect(order.indexOf('task.started:d')).toBeGreaterThan(Math.max(order.indexOf('task.completed:b'), order.indexOf('task.completed:c')));
  });

  it("should send no dependency's output with a job when the run injects none (contextInjection: false, as rxdag run does)", async () => {
    worker({ echo });
    const events = await collect(
      runDag(
        {
          id: 'chain',
          tasks: [
            { id: 'a', agent: 'echo', input: 'x'.repeat(1000) },
            { id: 'b', agent: 'echo', deps: ['a'] },
          ],
        },
        { agents: { echo: remote('echo') }, contextInjection: false },
      ),
    );
    expect(ending(events).outcome).toBe('succeeded');
    // what the worker's agent got is what the job carried (the diamond above: its dependencies' outputs, by default)
    expect(byTask(events, 'task.completed').get('b')!.output).toMatchObject({ upstream: [] });
  });

  it('should tell onJobTaken each job it takes, with how long the job waited in Redis, ignoring what the listener throws', async () => {
    // queued before any worker serves the queue: it waits there 400 ms at least
    const run = collect(runDag({ id: 'waits', tasks: [{ id: 'a', agent: 'echo' }] }, { agents: { echo: remote('echo') } }));
    const queue = closer.add(new Queue('echo', { connection: { url: env.url }, prefix }));
    for (const deadline = Date.now() + 10_000; (await queue.getWaitingCount()) === 0; await sleep(10)) {
      if (Date.now() > deadline) throw new Error('the job was never queued');
    }
    await sleep(400);
    const taken: { queue: string; waitedMs: number }[] = [];
    worker(
      { echo },
      {
        onJobTaken: (job) => {
          taken.push(job);
          throw new Error('a listener that throws');
        },
      },
    );
    expect(ending(await run).outcome).toBe('succeeded');
    expect(taken).toEqual([{ queue: 'echo', waitedMs: expect.any(Number) }]);
    expect(taken[0]!.waitedMs).toBeGreaterThanOrEqual(350);
  });

  it('should run as many attempts at once as the worker allows', async () => {
    let now = 0;
    let most = 0;
    const slow: Agent = async () => {
      most = Math.max(most, ++now);
      await sleep(150);
      now--;
    };
    worker({ slow }, { concurrency: 3 });
    const tasks = Array.from({ length: 9 }, (_, i) => ({ id: `t${i}`, agent: 'slow' }));
    const events = await collect(runDag({ id: 'wide', tasks }, { agents: { slow: remote('slow') }, maxConcurrency: 9 }));
    expect(ending(events).outcome).toBe('succeeded');
    // three at once, never more: side by side, as the worker allows
    expect(most).toBe(3);
  });

  it('should route remote errors by their severity, as for local agents, each failure naming its worker', async () => {
    let calls = 0;
    const moody: Agent = ({ input }) => {
      calls++;
      if (input === 'warn') throw new AgentError('disk almost full', { severity: 'warning', output: { kept: true } });
      if (input === 'fail') throw new TypeError('bad row 7');
      return input;
    };
    const running = worker({ moody });
    const events = await collect(
      runDag(
        {
          id: 'severities',
          tasks: [
            { id: 'warns', agent: 'moody', input: 'warn' },
            { id: 'fails', agent: 'moody', input: 'fail', retry: { attempts: 2, backoffMs: 10 } },
            { id: 'after-fail', agent: 'moody', deps: ['fails'], input: 'never' },
            { id: 'fine', agent: 'moody', input: 'ok' },
          ],
        },
        { agents: { moody: remote('moody') } },
      ),
    );
    expect(eventLogViolations(events)).toEqual([]);
    expect(outcomes(events)).toEqual({
      warns: 'task.completed',
      fails: 'task.failed',
      'after-fail': 'task.skipped',
      fine: 'task.completed',
    });
    const warned = byTask(events, 'task.completed').get('warns')!;
    expect(warned.warning).toEqual({ name: 'AgentError', message: 'disk almost full' });
    expect(warned.output).toEqual({ kept: true });
    const failures = events.filter((e) => e.type === 'task.failed');
    expect(failures.map((e) => [e.attempt, e.error, e.severity, e.willRetry])).toEqual([
      [1, { name: 'TypeError', message: 'bad row 7' }, 'error', true],
      [2, { name: 'TypeError', message: 'bad row 7' }, 'error', false],
    ]);
    expect(failures.map((e) => e.worker)).toEqual([running.id, running.id]);
    expect(calls).toBe(4);
  });

  it('should end the run at once on a remote critical error', async () => {
    const agents = {
      boom: (() => {
        throw new AgentError('quota exhausted', { severity: 'critical' });
      }) as Agent,
      wait: (({ signal }) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)))) as Agent,
    };
    worker(agents);
    const events = await collect(
      runDag(
        {
          id: 'critical',
          tasks: [
            { id: 'long', agent: 'wait' },
            { id: 'boom', agent: 'boom', deps: [] },
          ],
        },
        { agents: { boom: remote('boom'), wait: remote('wait') } },
      ),
    );
    expect(ending(events).outcome).toBe('failed');
    expect(outcomes(events)).toEqual({ boom: 'task.failed', long: 'task.cancelled' });
    expect(byTask(events, 'task.failed').get('boom')!.severity).toBe('critical');
  });

  it('should refuse queues no allowed agent of the worker serves: it would take and fail jobs other workers can run', () => {
    expect(() => worker({ echo, shell: echo }, { queues: ['echo', 'gpu', 'shell'], allow: ['echo'] })).toThrow(
      new TypeError(
        'startWorker: `queues` names queues "gpu", "shell" that no agent of this worker runs (a job runs the agent named like its queue; it runs: echo): leave them out, so that workers that run them take their jobs',
      ),
    );
    expect(() => worker({ echo }, { queues: ['gpu'] })).toThrow(/^startWorker: `queues` names a queue "gpu" that no agent/);
  });

  it('should fail a job whose agent left the agents map after the start, and keep serving', async () => {
    const agents: Record<string, Agent> = { echo, gpu: echo };
    worker(agents);
    delete agents.gpu; // the map is the caller's: changed after the worker started
    const events = await collect(
      runDag(
        {
          id: 'unknown-agents',
          tasks: [
            { id: 'gpu-task', agent: 'gpu' },
            { id: 'served', agent: 'echo', deps: ['gpu-task'] },
          ],
        },
        { agents: { gpu: remote('gpu'), echo: remote('echo') }, failurePolicy: 'continue' },
      ),
    );
    const failed = byTask(events, 'task.failed');
    expect(failed.get('gpu-task')!.error).toEqual({
      name: 'UnknownAgentError',
      message: expect.stringMatching(/has no agent "gpu" \(it runs: echo\)/),
    });
    expect(failed.get('gpu-task')!.severity).toBe('error');
    expect(byTask(events, 'task.completed').get('served')).toBeDefined();
  });

  it('should fail a job whose data is not an rxdag job, run nothing, say so in its own lines, and keep serving', async () => {
    let calls = 0;
    const logs: string[] = [];
    const refused: unknown[] = [];
    const running = worker(
      { echo: (task) => (calls++, echo(task)) },
      { onLog: (line) => logs.push(line), onJobRefused: (refusal) => refused.push(refusal) },
    );
    const queue = closer.add(new Queue('echo', { connection: env.client, prefix }));
    const events = closer.add(new QueueEvents('echo', { connection: redisTarget(env.url, 'spec').bullmqOptions, prefix }));
    await events.waitUntilReady();
    const job = await queue.add('bad', { v: 1, runId: 'r', id: 42, attempt: 'one' }, { jobId: 'bad|job|1' });
    const result = (await job.waitUntilFinished(events, 10_000)) as {
      ok: boolean;
      error: { name: string; message: string; severity: string };
    };
    expect(result.ok).toBe(false);
    expect(result.error).toMatchObject({ name: 'InvalidJobError', severity: 'critical' });
    expect(refused).toEqual([{ queue: 'echo', reason: 'invalid' }]);
    expect(result.error.message).toMatch(
      /job "bad\|job\|1" on queue "echo" is not an rxdag job this worker can run \(job format 1\): .*dagId/,
    );
    expect(logs).toEqual([
      expect.stringMatching(
        new RegExp(
          `^rxdag worker ${running.id}: refused job "bad\\|job\\|1" on queue "echo": it is not an rxdag job this worker can run \\(job format 1\\): .*dagId`,
        ),
      ),
    ]);
    // a job of another format: which one, and which side to upgrade
    const later = await queue.add('later', { v: 2, runId: 'r', id: 't', attempt: 1 }, { jobId: 'later|job|1' });
    const refusedLater = (await later.waitUntilFinished(events, 10_000)) as { error: { message: string } };
    expect(refusedLater.error.message).toBe(
      'job "later|job|1" on queue "echo" is of job format 2, which this worker (job format 1) cannot run: upgrade this worker, or drain the queue between versions',
    );
    expect(calls).toBe(0);
    const run = await collect(runDag({ id: 'after-bad', tasks: [{ id: 'ok', agent: 'echo' }] }, { agents: { echo: remote('echo') } }));
    expect(ending(run).outcome).toBe('succeeded');
    expect(calls).toBe(1);
  });

  it('should remove each job from Redis once its outcome is read', async () => {
    worker({ echo });
    const tasks = Array.from({ length: 20 }, (_, i) => ({ id: `t${i}`, agent: 'echo', input: i % 3 === 0 ? 'x' : i }));
    await collect(runDag({ id: 'clean', tasks }, { agents: { echo: remote('echo') } }));
    await sleep(100); // removals are sent as outcomes arrive
    const jobKeys = (await env.keys()).filter((key) => key.startsWith(`${prefix}:`) && key.includes('|'));
    expect(jobKeys).toEqual([]);
  });
});
