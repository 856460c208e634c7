import { AgentError, type DagSpec, runDag } from '../../src/index';
import { remoteAgent, startWorker } from '../../src/bullmq/index';
import { describeRedis, prefixPerTest } from '../support/redis';
import { byTask, Closer, collect, ending } from './helpers';

jest.setTimeout(30_000);

/**
 * A job carries its task's input to the worker as JSON. An input JSON would not keep as it is (a
 * `Date`, a `Map`, `NaN`, a BigInt, a cycle) fails its attempt with `InputNotJsonSafeError`,
 * naming the task and the value, and is not retried (every attempt would send the same); a plain
 * input reaches the worker's agent as it is.
 */
describeRedis('remote attempts of tasks with inputs', (env) => {
  const closer = new Closer();
  let prefix = '';
  prefixPerTest(env, (fresh) => (prefix = fresh));
  afterEach(() => closer.closeAll());

  it('should refuse an input JSON would change, naming the task and the value, with no retry; and send a plain one as it is', async () => {
    const cycle: Record<string, unknown> = {};
    cycle['self'] = cycle;
    const inputs: Record<string, unknown> = {
      date: { at: new Date(0) },
      map: new Map([['k', 1]]),
      nan: [1, Number.NaN],
      big: 10n,
      cycle,
      plain: { prompt: 'hi', n: [1, 2.5, null], nested: { ok: true } },
    };
    const dag: DagSpec = {
      id: 'inputs',
      defaults: { retry: { attempts: 3, backoffMs: 0 } },
      tasks: Object.entries(inputs).map(([id, input]) => ({ id, agent: 'job', input })),
    };
    const seen: unknown[] = [];
    closer.add(
      startWorker({
        connection: env.url,
        prefix,
        agents: { job: ({ input }) => (seen.push(input), input) },
        concurrency: 2,
        leaseMs: 5000,
        onLog: () => undefined,
      }),
    );
    const job = closer.add(remoteAgent({ connection: env.url, prefix, queue: 'job' }));
    const events = await collect(runDag(dag, { agents: { job } }));

    const failed = byTask(events, 'task.failed');
    expect([...failed.keys()].sort()).toEqual(['big', 'cycle', 'date', 'map', 'nan']);
    for (const [taskId, event] of failed) {
      expect(event).toMatchObject({ attempt: 1, willRetry: false, severity: 'error', error: { name: 'InputNotJsonSafeError' } });
      expect(event.error.message).toMatch(
        new RegExp(`^input of task "${taskId}" is not JSON-safe: .+; a remote agent sends it to workers as JSON$`),
      );
    }
    expect(failed.get('date')!.error.message).toContain('Date');
    expect(failed.get('big')!.error.message).toContain('BigInt');
    expect(byTask(events, 'task.completed').get('plain')!.output).toEqual(inputs['plain']);
    // only the plain input went to a worker
    expect(seen).toEqual([inputs['plain']]);
    expect(ending(events).outcome).toBe('failed');
  });

  it('should fail with JobTooLargeError, not retried and before anything is added, an attempt whose job would carry too much', async () => {
    const big = 'x'.repeat(70 * 1024 * 1024); // two of them: more than a job may carry
    const dag: DagSpec = {
      id: 'fan-in',
      tasks: [
        { id: 'a', agent: 'local' },
        { id: 'b', agent: 'local' },
        { id: 'join', agent: 'job', deps: ['a', 'b'], retry: { attempts: 3, backoffMs: 0 } },
      ],
    };
    const events = await collect(
      runDag(dag, { agents: { local: () => big, job: closer.add(remoteAgent({ connection: env.url, prefix, queue: 'job' })) } }),
    );
    const failed = events.filter((event) => event.type === 'task.failed');
    expect(failed.map((event) => [event.taskId, event.error.name, event.willRetry])).toEqual([['join', 'JobTooLargeError', false]]);
    expect(failed[0]!.error.message).toMatch(
      /^task "join": its job would carry \d+ characters of JSON \(its input and the outputs of its 2 dependencies\)/,
    );
  });

  it('should fail with JobTooLargeError on its worker, not retried, an attempt whose result would carry too much back', async () => {
    // 50 Mi characters of é, 100 MiB of UTF-8, twice: more than a result may carry, though fewer characters
    const half = 'é'.repeat(50 * 1024 * 1024);
    let calls = 0;
    closer.add(
      startWorker({
        connection: env.url,
        prefix,
        agents: {
          big: () => (calls++, [half, half]),
          warned: () => {
            throw new AgentError('done, with a note', { severity: 'warning', output: [half, half] });
          },
          small: () => 'fits',
        },
        concurrency: 2,
        // measuring 200 MiB of JSON holds the worker a while: under load, a short lease lapsed and the job ran again
        leaseMs: 30_000,
        onLog: () => undefined,
      }),
    );
    const dag: DagSpec = {
      id: 'big-result',
      defaults: { retry: { attempts: 3, backoffMs: 0 } },
      tasks: [
        { id: 'huge', agent: 'big' },
        { id: 'noted', agent: 'warned' },
        { id: 'fine', agent: 'small' },
      ],
    };
    const [big, warned, small] = ['big', 'warned', 'small'].map((queue) => closer.add(remoteAgent({ connection: env.url, prefix, queue })));
    const events = await collect(runDag(dag, { agents: { big: big!, warned: warned!, small: small! } }));
    const failed = events.filter((event) => event.type === 'task.failed');
    expect(failed.map((event) => [event.taskId, event.error.name, event.willRetry]).sort()).toEqual([
      ['huge', 'JobTooLargeError', false],
      ['noted', 'JobTooLargeError', false],
    ]);
    // the two fail in whichever order their workers answer
    expect(failed.find((event) => event.taskId === 'huge')!.error.message).toMatch(
      new RegExp(
        `^task "huge": its result would carry ${4 * half.length + 7} bytes of JSON \\(its output\\), more than a worker sends back`,
      ),
    );
    expect(calls).toBe(1);
    expect(byTask(events, 'task.completed').get('fine')!.output).toBe('fits');
  }, 60_000);
});
