import { type Agent, AttemptHandedBackError, type DagSpec, runDag } from '../../src/index';
import { remoteAgent, startWorker } from '../../src/bullmq/index';
import { MOST_TAKES_HANDED_BACK } from '../../src/bullmq/jobRunner';
import { describeRedis, prefixPerTest } from '../support/redis';
import { Closer, collect, ending } from './helpers';

jest.setTimeout(45_000);

/**
 * An agent on a worker that cannot run an attempt there now (the CLI's shell agent with no room
 * to start a process) throws `AttemptHandedBackError`: the job goes back to the queue for another
 * worker, not counted as an attempt, and that worker's queue takes no job for a while; a job no
 * worker can run fails its attempt with the hand-back's cause once it was taken often enough.
 */
describeRedis('jobs an agent hands back to the queue', (env) => {
  const closer = new Closer();
  let prefix = '';
  prefixPerTest(env, (fresh) => (prefix = fresh));
  afterEach(() => closer.closeAll());

  /** A worker named `name` on queue `job` with `agent`; what it logged. */
  const workerWith = (name: string, agent: Agent, logged: string[] = []) =>
    closer.add(
      startWorker({
        connection: env.url,
        prefix,
        name,
        agents: { job: agent },
        concurrency: 4,
        leaseMs: 1000,
        onLog: (line) => logged.push(line),
      }),
    );
  const noRoom: Agent = ({ id }) => {
    throw new AttemptHandedBackError(id, 'this worker had no room to start it (EMFILE)', {
      cause: new Error(`task "${id}": cannot start: EMFILE`),
    });
  };

  it('should run on another worker a job one worker handed back, in the same attempt, nothing failed', async () => {
    const logged: string[] = [];
    await workerWith('starved', noRoom, logged).ready();
    const remote = closer.add(remoteAgent({ connection: env.url, prefix, queue: 'job', leaseMs: 1000 }));
    const dag: DagSpec = { id: 'handed', tasks: Array.from({ length: 8 }, (_, i) => ({ id: `t${i}`, agent: 'job' })) };
    const run = collect(runDag(dag, { agents: { job: remote }, maxConcurrency: 8 }));
    // the starved worker takes them first (alone), hands them back, and takes none while paused
    await new Promise((resolve) => setTimeout(resolve, 300));
    await workerWith('healthy', ({ id }) => `${id} ran`).ready();
    const events = await run;
    expect(ending(events)).toMatchObject({ outcome: 'succeeded', counts: { completed: 8 } });
    expect(events.filter((e) => e.type === 'task.failed')).toEqual([]);
    const completed = events.flatMap((e) => (e.type === 'task.completed' ? [[e.attempt, e.worker]] : []));
    expect(completed).toEqual(Array(8).fill([1, 'healthy']));
    expect(logged).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^rxdag worker starved: task "t\d" was handed back to run again on another worker: this worker had no room to start it \(EMFILE\); queue "job" takes no job here for 3 s$/,
        ),
      ]),
    );
  });

  it('should fail the attempt of a job no worker can run with the hand-back’s cause, once it was taken often enough', async () => {
    // a fleet of starved workers: each takes it once, its queue then paused (one alone would wait out five pauses)
    await Promise.all(Array.from({ length: MOST_TAKES_HANDED_BACK }, (_, i) => workerWith(`starved-${i}`, noRoom).ready()));
    const remote = closer.add(remoteAgent({ connection: env.url, prefix, queue: 'job', leaseMs: 1000 }));
    const events = await collect(runDag({ id: 'nowhere', tasks: [{ id: 'a', agent: 'job' }] }, { agents: { job: remote } }));
    expect(ending(events)).toMatchObject({ outcome: 'failed' });
    expect(events.filter((e) => e.type === 'task.started')).toHaveLength(1);
    expect(events.find((e) => e.type === 'task.failed')).toMatchObject({
      attempt: 1,
      worker: expect.stringMatching(/^starved-\d$/),
      error: {
        name: 'Error',
        message:
          'task "a" was taken 6 times and no worker ran it; the last one handed it back: this worker had no room to start it (EMFILE) (cause: Error: task "a": cannot start: EMFILE)',
      },
    });
  });
});
