import { type Agent, type DagEvent, type DagSpec, runDag } from '../../src/index';
import { type RemoteWorker, remoteAgent, startWorker } from '../../src/bullmq/index';
import { describeRedis, prefixPerTest } from '../support/redis';
import { Closer, collect, ending, sleep, waitFor } from './helpers';

jest.setTimeout(40_000);

/**
 * A worker that is closing while its queue gets a new job: the job added the moment the worker's
 * last attempt ended (a dependent, released by that attempt) goes to a worker that stays, at once,
 * not after a lease lapsed (the closing worker took it and dropped it) nor after another worker's
 * block time (the closing worker took the wake-up meant for the others).
 */
describeRedis('a worker closing while its queue gets a job', (env) => {
  const closer = new Closer();
  let prefix = '';
  prefixPerTest(env, (fresh) => (prefix = fresh));
  afterEach(() => closer.closeAll());

  // long enough that a job dropped by the closing worker shows as a wait of seconds (a lease, or a block time of ~5 s)
  const leaseMs = 8_000;

  const work: Agent = async (ctx) => {
    if (ctx.input === 'hold') await held;
    return ctx.id;
  };
  let release: () => void = () => undefined;
  let held = Promise.resolve();
  beforeEach(() => {
    held = new Promise<void>((resolve) => (release = resolve));
  });
  afterEach(() => release());

  /** A worker for the spec, counting the jobs it takes. */
  function worker(name: string): { readonly remote: RemoteWorker; readonly taken: () => number } {
    let taken = 0;
    const remote = closer.add(
      startWorker({ connection: env.url, prefix, name, agents: { work }, concurrency: 2, leaseMs, onJobTaken: () => void taken++ }),
    );
    return { remote, taken: () => taken };
  }

  function run(dagId: string, tasks: DagSpec['tasks']): Promise<DagEvent[]> {
    const agent = closer.add(remoteAgent({ connection: env.url, prefix, queue: 'work', leaseMs }));
    return collect(runDag({ id: dagId, tasks }, { agents: { work: agent }, healthCheckIntervalMs: 0 }));
  }

  const ranOn = (events: readonly DagEvent[]) =>
    Object.fromEntries(events.flatMap((event) => (event.type === 'task.completed' ? [[event.taskId, event.worker]] : [])));
  const at = (events: readonly DagEvent[], type: DagEvent['type'], taskId: string) =>
    events.find((event) => event.type === type && 'taskId' in event && event.taskId === taskId)!.at;

  /**
   * Runs `tasks` until `first` runs on worker `leaving` (it has room for a second job: it waits in
   * Redis for one, before the other worker), starts worker `staying`, and begins to close `leaving`.
   */
  async function closingWhileFirstRuns(dagId: string, tasks: DagSpec['tasks']) {
    const leaving = worker('leaving');
    await leaving.remote.ready();
    const events = run(dagId, tasks);
    await waitFor(() => leaving.remote.running === 1, 'the first attempt to run on the leaving worker');
    const staying = worker('staying');
    await staying.remote.ready();
    await sleep(200);
    const closed = leaving.remote.close();
    await sleep(100);
    return { leaving, events, closed };
  }

  it('should log nothing when closed before it was ready: Redis did not fail', async () => {
    const lines: string[] = [];
    const early = startWorker({
      connection: env.url,
      prefix,
      agents: { work },
      concurrency: 1,
      leaseMs,
      onLog: (line) => lines.push(line),
    });
    await early.close();
    await sleep(100);
    expect(lines).toEqual([]);
  });

  it('should take no job queued after its close began, while its last attempt still runs', async () => {
    const { leaving, events: first, closed } = await closingWhileFirstRuns('held', [{ id: 'first', agent: 'work', input: 'hold' }]);
    const other = await run('other', [{ id: 'other', agent: 'work' }]);
    expect(ranOn(other)).toEqual({ other: 'staying' });
    expect(at(other, 'task.completed', 'other') - at(other, 'task.started', 'other')).toBeLessThan(3_000);
    expect(leaving.taken()).toBe(1);
    release();
    await closed;
    expect(ranOn(await first)).toEqual({ first: 'leaving' });
  });

  it('should let a worker that stays run at once the job its last attempt released', async () => {
    const { events, closed } = await closingWhileFirstRuns('chain', [
      { id: 'first', agent: 'work', input: 'hold' },
      { id: 'next', agent: 'work', deps: ['first'] },
    ]);
    release();
    await closed;
    const ended = await events;
    expect(ending(ended).outcome).toBe('succeeded');
    expect(ranOn(ended)).toEqual({ first: 'leaving', next: 'staying' });
    // released by first's completion: it waited for no lease and no block time
    expect(at(ended, 'task.completed', 'next') - at(ended, 'task.completed', 'first')).toBeLessThan(3_000);
  });
});
