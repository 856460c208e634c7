import { writeFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { describeOwnRedis } from '../../support/redis';
import { startCli } from '../support/builtCli';
import { isRunning } from '../support/files';
import { exited, linesOf, remoteCliSuite, waitFor } from './workerProcesses';

/**
 * `rxdag run --redis` and `rxdag worker` when Redis stops answering (SIGSTOP) or goes away
 * (SIGKILL), on a throwaway `redis-server` of the spec's own: Ctrl-C of a run exits within a few
 * seconds and says the workers could not be told; a worker stops on SIGTERM (idle) or on a second
 * SIGTERM (busy) within a few seconds, and logs each outage once per connection, not once per
 * reconnect try.
 */
jest.setTimeout(30_000);

const NO_KEY = { RXDAG_WORKER_KEY: '' };

describeOwnRedis('rxdag run --redis and rxdag worker when Redis stops answering or goes away', (env) => {
  const { tmp, fleet } = remoteCliSuite();

  /** A DAG of one shell task that writes its shell's and its `sleep 30`'s pids to `pids`. */
  function longTaskDag(name: string): { file: string; pids: string } {
    const pids = tmp.file(`${name}.pids`);
    const file = tmp.file(`${name}.json`);
    writeFileSync(
      file,
      JSON.stringify({ id: name, tasks: [{ id: 'long', run: `echo $$ >> '${pids}'; sleep 30 & echo $! >> '${pids}'; wait` }] }),
    );
    return { file, pids };
  }

  it('should exit within a few seconds on Ctrl-C of a run whose Redis froze, saying the workers could not be told', async () => {
    const { file } = longTaskDag('frozen-run');
    const log = tmp.file('frozen-run.jsonl');
    // no worker: the attempt's job waits in Redis, and the cancel must reach Redis to tell anyone
    const run = fleet.track(startCli(['run', file, '--redis', env.redis().url, '--events', log], NO_KEY));
    await waitFor(() => linesOf(log).some((line) => line.includes('"task.started"')), 'the attempt to start');
    // its job is in Redis (waiting: no worker takes it)
    const client = new Redis(env.redis().url, { maxRetriesPerRequest: 0 });
    try {
      for (const deadline = Date.now() + 15_000; (await client.llen('rxdag:shell:wait')) === 0;) {
        if (Date.now() > deadline) throw new Error('the job of the attempt did not reach Redis');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      client.disconnect();
    }
    env.redis().freeze();
    const interrupted = Date.now();
    run.child.kill('SIGINT');
    const result = await run.done;
    const took = Date.now() - interrupted;
    expect(result.code).toBe(130);
    expect(took).toBeLessThan(4000);
    expect(result.stderr).toMatch(
      new RegExp(
        `^rxdag: the workers could not be told to stop 1 attempt \\(job "[^"]+\\|long\\|1"\\): Redis at redis://127\\.0\\.0\\.1:${env.redis().port}/0: ` +
          'cannot send the cancel of job "[^"]+": it did not answer within 2000 ms; it may run on a worker until it ends$',
        'm',
      ),
    );
  });

  it('should wait a few seconds for a Redis that refuses connections at start (restarting) rather than refuse at once', async () => {
    const dag = tmp.file('restarting.json');
    const marks = tmp.file('restarting.marks');
    writeFileSync(dag, JSON.stringify({ id: 'restarting', tasks: [{ id: 'a', run: `echo ran >> '${marks}'` }] }));
    await fleet.start(env.redis().url, 'rxdag');
    await env.redis().stop();
    const run = fleet.track(startCli(['run', dag, '--redis', env.redis().url, '--no-journal', '--quiet'], NO_KEY));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await env.restart();
    const result = await run.done;
    expect(result).toMatchObject({ code: 0 });
    expect(result.stderr).not.toMatch(/cannot reach Redis/);
    await waitFor(() => linesOf(marks).length === 1, 'the task to have run on the worker');
  });

  it('should stop an idle worker on SIGTERM while Redis is gone, having logged the outage once per connection', async () => {
    const worker = await fleet.start(env.redis().url, 'rxdag', ['--lease-ms', '1000']);
    await env.redis().stop();
    const outageLines = () =>
      worker
        .stderrSoFar()
        .split('\n')
        .filter((line) => /ECONNREFUSED|ECONNRESET/.test(line));
    await waitFor(() => outageLines().length >= 3, 'the worker to log the outage of each connection');
    // then reconnect tries of every connection: the queues' every second, the cancel watch's
    // faster; a line per try would show here
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const stopping = Date.now();
    worker.child.kill('SIGTERM');
    const result = await worker.done;
    expect(Date.now() - stopping).toBeLessThan(4000);
    expect(result.code).toBe(0);
    const outage = result.stderr.split('\n').filter((line) => /ECONNREFUSED|ECONNRESET/.test(line));
    expect(outage.map((line) => line.replace(/: (connect ECONNREFUSED \S+|read ECONNRESET)$/, ''))).toEqual(
      expect.arrayContaining([
        `rxdag worker ${worker.id}: Redis at ${env.redis().url}/0: cannot hear cancels`,
        `rxdag worker ${worker.id}: queue "shell"`,
        `rxdag worker ${worker.id}: queue "sleep"`,
      ]),
    );
    expect(outage).toHaveLength(3);
    expect(result.stderr).toMatch(new RegExp(`rxdag worker ${worker.id}: stopped\\n$`));
  });

  it('should stop a busy worker on a second SIGTERM while Redis is gone, its task killed', async () => {
    const worker = await fleet.start(env.redis().url, 'rxdag', ['--lease-ms', '1000']);
    const { file, pids } = longTaskDag('busy');
    fleet.track(startCli(['run', file, '--redis', env.redis().url], NO_KEY));
    await waitFor(() => linesOf(pids).length === 2, 'the shell task to start on the worker', 20_000);
    const started = linesOf(pids).map(Number);
    fleet.trackTaskPids(started);
    await env.redis().stop();
    worker.child.kill('SIGTERM');
    await waitFor(() => worker.stderrSoFar().includes('waiting for 1 running attempt to finish'), 'the worker to say it waits');
    expect(exited(worker)).toBe(false);
    const forcing = Date.now();
    worker.child.kill('SIGTERM');
    const result = await worker.done;
    expect(Date.now() - forcing).toBeLessThan(5000);
    expect(result.code).toBe(0);
    expect(started.filter(isRunning)).toEqual([]);
  });
});
