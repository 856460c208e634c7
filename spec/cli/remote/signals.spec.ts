import { writeFileSync } from 'node:fs';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { describeRedis } from '../../support/redis';
import { runCli, startCli } from '../support/builtCli';
import { eventsSoFar, isRunning, readEventLog } from '../support/files';
import { exited, linesOf, remoteCliSuite, waitFor } from './workerProcesses';

/**
 * Signals across processes: Ctrl-C on `rxdag run --redis` kills the remote shell task's
 * processes on the worker; SIGTERM stops an idle worker with 0; a busy worker waits for its
 * attempt, and a second SIGTERM hands it back to the queue for another worker. Also the
 * worker's `/metrics`.
 */
jest.setTimeout(60_000);

const NO_KEY = { RXDAG_WORKER_KEY: '' };

describeRedis('signals to rxdag run --redis and rxdag worker', (env) => {
  let prefix = '';
  const { tmp, fleet } = remoteCliSuite(env, (fresh) => (prefix = fresh));

  const remote = () => ['--redis', env.url, '--redis-prefix', prefix];

  /**
   * A DAG of one shell task that writes its shell's and its `sleep 30`'s pids to `pids` (the first
   * time only, when `once`); with `deaf`, both ignore SIGTERM.
   */
  function longTaskDag(name: string, once?: string, deaf = false): { file: string; pids: string } {
    const pids = tmp.file(`${name}.pids`);
    const long = `${deaf ? "trap '' TERM; " : ''}echo $$ >> '${pids}'; sleep 30 & echo $! >> '${pids}'; wait`;
    const run = once === undefined ? long : `if [ -e '${once}' ]; then echo again; else touch '${once}'; ${long}; fi`;
    const file = tmp.file(`${name}.json`);
    writeFileSync(file, JSON.stringify({ id: name, tasks: [{ id: 'long', run }] }));
    return { file, pids };
  }

  async function taskStarted(pids: string): Promise<number[]> {
    await waitFor(() => linesOf(pids).length === 2, 'the shell task to start on the worker', 30_000);
    const started = linesOf(pids).map(Number);
    fleet.trackTaskPids(started);
    return started;
  }

  it("should kill the remote shell task's processes on Ctrl-C of rxdag run --redis", async () => {
    const worker = await fleet.start(env.url, prefix, ['--lease-ms', '1000']);
    const { file, pids } = longTaskDag('ctrl-c');
    const log = tmp.file('ctrl-c.jsonl');
    const run = fleet.track(startCli(['run', file, ...remote(), '--events', log], NO_KEY));
    const started = await taskStarted(pids);
    expect(started.filter(isRunning)).toHaveLength(2);
    run.child.kill('SIGINT');
    const result = await run.done;

    expect(result.code).toBe(130);
    await waitFor(() => started.every((pid) => !isRunning(pid)), "the task's processes to be killed on the worker", 15_000);
    expect(readEventLog(log).slice(-2)).toMatchObject([
      { type: 'task.cancelled', taskId: 'long' },
      { type: 'dag.completed', outcome: 'cancelled' },
    ]);
    expect(exited(worker)).toBe(false);
  });

  it("should kill the remote shell task's processes on Ctrl-C of rxdag resume --redis, which re-attached to them", async () => {
    const worker = await fleet.start(env.url, prefix, ['--lease-ms', '1000']);
    const { file, pids } = longTaskDag('resumed-ctrl-c');
    const store = tmp.file('resumed-ctrl-c-store');
    const run = fleet.track(startCli(['run', file, ...remote(), '--store', store], NO_KEY));
    const started = await taskStarted(pids);
    run.child.kill('SIGTERM'); // left interrupted: its attempt goes on on the worker, for the resume
    expect((await run.done).code).toBe(143);
    expect(started.filter(isRunning)).toHaveLength(2);

    const log = tmp.file('resumed-ctrl-c.jsonl');
    const resumed = fleet.track(startCli(['resume', ...remote(), '--store', store, '--events', log], NO_KEY));
    await waitFor(() => eventsSoFar(log).some((event) => event.type === 'run.resumed'), 'the resume to re-attach', 15_000);
    resumed.child.kill('SIGINT');
    const result = await resumed.done;
    expect(result.code).toBe(130);
    expect(readEventLog(log).slice(-2)).toMatchObject([
      { type: 'task.cancelled', taskId: 'long' },
      { type: 'dag.completed', outcome: 'cancelled' },
    ]);
    await waitFor(() => started.every((pid) => !isRunning(pid)), "the task's processes to be killed on the worker", 15_000);
    expect(exited(worker)).toBe(false);
  });

  it('should exit 0 on SIGTERM when idle', async () => {
    const worker = await fleet.start(env.url, prefix);
    worker.child.kill('SIGTERM');
    const result = await worker.done;
    expect(result.code).toBe(0);
    expect(result.stderr.split('\n').slice(-3)).toEqual([
      `rxdag worker ${worker.id}: stopping on SIGTERM: taking no more jobs`,
      `rxdag worker ${worker.id}: stopped`,
      '',
    ]);
  });

  it('should exit 0 on SIGTERM while it still reaches a Redis that does not answer, having served nothing', async () => {
    // a Redis stand-in that takes connections and never answers
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as AddressInfo;
      const worker = fleet.track(startCli(['worker', '--redis', `redis://127.0.0.1:${port}`], NO_KEY));
      await waitFor(() => sockets.length > 0, 'the worker to connect');
      const signalledAt = Date.now();
      worker.child.kill('SIGTERM');
      const result = await worker.done;
      expect(result.code).toBe(0);
      expect(result.stderr).toBe('rxdag worker: stopped on SIGTERM before it served: no job taken\n');
      expect(Date.now() - signalledAt).toBeLessThan(3000);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it('should wait for a running attempt on SIGTERM, and hand it back to the queue on a second SIGTERM', async () => {
    const first = await fleet.start(env.url, prefix, ['--lease-ms', '1000']);
    const { file, pids } = longTaskDag('handed-back', tmp.file('handed-back.flag'));
    const log = tmp.file('handed-back.jsonl');
    const run = fleet.track(startCli(['run', file, ...remote(), '--events', log], NO_KEY));
    const started = await taskStarted(pids);
    first.child.kill('SIGTERM');
    const waiting = `rxdag worker ${first.id}: stopping on SIGTERM: taking no more jobs, waiting for 1 running attempt to finish (SIGTERM again hands them back to the queue now)`;
    await waitFor(() => first.stderrSoFar().includes(waiting), 'the worker to say it waits');
    expect(exited(first)).toBe(false);
    first.child.kill('SIGTERM');
    expect((await first.done).code).toBe(0);
    expect(started.filter(isRunning)).toEqual([]);

    const second = await fleet.start(env.url, prefix, ['--lease-ms', '1000']);
    const result = await run.done;
    expect(result.code).toBe(0);
    const events = readEventLog(log);
    expect(events.filter((event) => event.type === 'task.failed')).toEqual([]);
    expect(events.find((event) => event.type === 'task.completed')).toMatchObject({
      taskId: 'long',
      attempt: 1,
      worker: second.id,
      output: { stdout: 'again' },
    });
  });

  it('should hand back at once on a second SIGTERM an attempt whose processes ignore SIGTERM, whatever its --kill-grace', async () => {
    const first = await fleet.start(env.url, prefix, ['--lease-ms', '1000', '--kill-grace', '30000']);
    const { file, pids } = longTaskDag('deaf', tmp.file('deaf.flag'), true);
    const log = tmp.file('deaf.jsonl');
    const run = fleet.track(startCli(['run', file, ...remote(), '--events', log], NO_KEY));
    const started = await taskStarted(pids);
    first.child.kill('SIGTERM');
    await waitFor(() => first.stderrSoFar().includes('taking no more jobs, waiting for 1 running attempt'), 'the worker to say it waits');
    const second = Date.now();
    first.child.kill('SIGTERM');
    const stopped = await first.done;
    expect(stopped.code).toBe(0);
    // not the grace of 30 s: its processes were killed, and the attempt went back to the queue
    expect(Date.now() - second).toBeLessThan(10_000);
    expect(started.filter(isRunning)).toEqual([]);
    expect(stopped.stderr).not.toContain('left running');

    const other = await fleet.start(env.url, prefix, ['--lease-ms', '1000']);
    expect((await run.done).code).toBe(0);
    const events = readEventLog(log);
    expect(events.filter((event) => event.type === 'task.failed')).toEqual([]);
    expect(events.find((event) => event.type === 'task.completed')).toMatchObject({ taskId: 'long', attempt: 1, worker: other.id });
  });

  it('should serve its metrics on --metrics-port: attempts by agent and outcome, durations, running attempts', async () => {
    const worker = await fleet.start(env.url, prefix, ['--metrics-port', '0', '--metrics-linger', '15000']);
    // said right after the "serving" line, in a write of its own
    const metricsLine = /^rxdag worker \S+: metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)$/m;
    await waitFor(() => metricsLine.test(worker.stderrSoFar()), 'the worker to say where its metrics are', 5000);
    const url = metricsLine.exec(worker.stderrSoFar())?.[1];
    expect(url).toBeDefined();
    const file = tmp.file('metrics.json');
    writeFileSync(
      file,
      JSON.stringify({
        id: 'metrics',
        tasks: [
          { id: 'a', sleep: 10 },
          { id: 'b', sleep: 10 },
          { id: 'c', run: 'exit 3' },
          // (time in Redis counts: long enough that a loaded machine's worker takes the job before it)
          { id: 'd', run: 'sleep 5', timeoutMs: 2000 },
        ],
      }),
    );
    const run = await runCli(['run', file, ...remote()], NO_KEY);
    expect(run.code).toBe(1);
    // the run ends at the scheduler's timeout; the worker counts the attempt once its process is gone
    const scrape = async () => (await (await fetch(url!)).text()).split('\n');
    let lines = await scrape();
    for (
      const deadline = Date.now() + 10_000;
      !lines.some((line) => line.includes('outcome="timed-out"')) && Date.now() < deadline;
      lines = await scrape()
    ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(lines.filter((line) => line.includes('outcome="cancelled"'))).toEqual([]);
    expect(lines).toEqual(
      expect.arrayContaining([
        'rxdag_worker_attempts_total{agent="sleep",outcome="completed"} 2',
        'rxdag_worker_attempts_total{agent="shell",outcome="failed"} 1',
        // the scheduler timed it out: its cancel says so
        'rxdag_worker_attempts_total{agent="shell",outcome="timed-out"} 1',
        'rxdag_worker_attempt_duration_seconds_count{agent="sleep"} 2',
        // each job taken, with how long it waited in Redis for this worker
        'rxdag_worker_queue_wait_seconds_count{agent="sleep"} 2',
        'rxdag_worker_queue_wait_seconds_count{agent="shell"} 2',
        'rxdag_worker_running_attempts{agent="shell"} 0',
        'rxdag_worker_running_attempts{agent="sleep"} 0',
        // no job refused (a forged or wrongly signed one would count here), each series there from the start
        'rxdag_worker_jobs_refused_total{agent="shell",reason="unauthorized"} 0',
        'rxdag_worker_jobs_refused_total{agent="sleep",reason="invalid"} 0',
      ]),
    );
    // and the worker process's own metrics
    expect(lines.filter((line) => /^process_start_time_seconds \d+$/.test(line))).toHaveLength(1);
    // stopped, it waits for one more scrape (at most --metrics-linger), then exits
    worker.child.kill('SIGTERM');
    const lingering = `rxdag worker ${worker.id}: serving the final metrics at ${url} until they are scraped (at most 15 s; Ctrl-C ends the wait, --metrics-linger 0 skips it)`;
    await waitFor(() => worker.stderrSoFar().includes(lingering), 'the worker to wait for its last scrape', 5000);
    expect(exited(worker)).toBe(false);
    expect(await scrape()).toEqual(expect.arrayContaining(['rxdag_worker_attempts_total{agent="sleep",outcome="completed"} 2']));
    const result = await worker.done;
    expect(result.code).toBe(0);
    expect(result.stderr.split('\n').slice(-3)).toEqual([`rxdag worker ${worker.id}: stopped`, lingering, '']);
  });
});
