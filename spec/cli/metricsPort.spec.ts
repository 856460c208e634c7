import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import type { DagEvent } from '../../src/index';
import { ensureBuilt, runCli, startCli } from './support/builtCli';
import { readEventLog, tempDir, writeText } from './support/files';
import { rxdagInProcess } from './support/inProcessCli';
import { gatedDag, gatedEnv, interruptedRun, linesOf, storeFiles, waitUntil } from './support/journaledRuns';
import { setProcessEnv, startInProcess } from './support/liveInProcessCli';
import { type Family, parsePrometheusText, RUN_METRIC_NAMES, sampleValue, seriesOf } from './support/promText';

/**
 * `--metrics-port` on `rxdag run` and `rxdag resume`: a real Prometheus scrape of `/metrics` over
 * HTTP while the command runs (the text parses strictly; the running gauge counts the task
 * running; counters match the events log), the endpoint gone when the command ends, and every
 * bad port refused with one line and exit 2, nothing run. `rxdag run` is scraped as a built CLI
 * process; `rxdag resume` and most refusals run in this process (one refusal as a process).
 */
describe('rxdag run/resume --metrics-port', () => {
  const tmp = tempDir();
  beforeAll(() => ensureBuilt(), 120_000);
  afterAll(() => tmp.remove());

  /** The URL the command printed on stderr, once it has. */
  async function printedUrl(stderrSoFar: () => string): Promise<string> {
    const url = /rxdag: metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)\n/;
    await waitUntil(() => url.test(stderrSoFar()), 'the metrics URL on stderr');
    return url.exec(stderrSoFar())![1]!;
  }

  async function scrape(url: string): Promise<Map<string, Family>> {
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parsePrometheusText(await response.text());
  }

  /** Whether anything still listens at `url`. */
  async function listening(url: string): Promise<boolean> {
    try {
      await fetch(url);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * What the metrics must say after `events`, counted here from the events log on its own: tasks
   * by the agent of their last attempt (`""` when none ran) and outcome, attempts by agent and
   * outcome (`timed-out` when a `task.timed-out` came first), and attempts started per agent.
   */
  function expectedFrom(events: readonly DagEvent[]) {
    const tasks: Record<string, number> = {};
    const attempts: Record<string, number> = {};
    const started: Record<string, number> = {};
    const agentOf = new Map<string, string>();
    const timedOut = new Set<string>();
    const add = (into: Record<string, number>, key: string) => (into[key] = (into[key] ?? 0) + 1);
    for (const event of events) {
      if (event.type === 'task.started') {
        agentOf.set(event.taskId, event.agent);
        add(started, event.agent);
      } else if (event.type === 'task.timed-out') timedOut.add(`${event.taskId}#${event.attempt}`);
      else if (event.type === 'task.completed') {
        add(attempts, `agent=${agentOf.get(event.taskId)},outcome=completed`);
        add(tasks, `agent=${agentOf.get(event.taskId)},outcome=completed`);
      } else if (event.type === 'task.failed') {
        const outcome = timedOut.has(`${event.taskId}#${event.attempt}`) ? 'timed-out' : 'failed';
        add(attempts, `agent=${agentOf.get(event.taskId)},outcome=${outcome}`);
        if (!event.willRetry) add(tasks, `agent=${agentOf.get(event.taskId)},outcome=failed`);
      } else if (event.type === 'task.skipped') add(tasks, 'agent=,outcome=skipped');
    }
    return { tasks, attempts, started };
  }

  it('should serve /metrics during the run: the running gauge above 0, counters that match the events log', async () => {
    const dir = path.join(tmp.dir, 'run');
    mkdirSync(dir);
    // everything but `last` ends quickly; `last` waits for all of them and then sleeps, so a
    // scrape while it runs sees every other task's end and nothing else can change the counters
    const dag = writeText(
      path.join(dir, 'metrics.yaml'),
      [
        'id: metrics',
        'tasks:',
        '  - { id: quick-1, sleep: 20 }',
        '  - { id: quick-2, sleep: 40 }',
        '  - { id: flaky, run: "exit 3", retry: { attempts: 2, backoffMs: 10 } }',
        '  - { id: slow, sleep: 20000, timeoutMs: 100 }',
        '  - { id: after-flaky, deps: [flaky], sleep: 10 }',
        '  - { id: last, deps: [quick-1, quick-2, flaky, slow, after-flaky], when: all-done, sleep: 1500 }',
        '',
      ].join('\n'),
    );
    const log = path.join(dir, 'events.jsonl');
    const cli = startCli(['run', dag, '--metrics-port', '0', '--metrics-linger', '15000', '--events', log, '--no-journal']);
    try {
      const url = await printedUrl(cli.stderrSoFar);
      await cli.waitForStdout(/task\.started last #1/);
      const during = await scrape(url);

      expect([...during.keys()].filter((name) => name.startsWith('rxdag_')).sort()).toEqual(RUN_METRIC_NAMES);
      // and the process's own, as a served process is expected to have
      expect(sampleValue(during, 'process_start_time_seconds')).toBeGreaterThan(Date.now() / 1000 - 600);
      expect(during.get('process_resident_memory_bytes')?.type).toBe('gauge');
      expect(during.get('rxdag_running_tasks')?.type).toBe('gauge');
      expect(sampleValue(during, 'rxdag_running_tasks')).toBe(1);
      expect(sampleValue(during, 'rxdag_ready_tasks')).toBe(0);
      expect(seriesOf(during, 'rxdag_runs_total')).toEqual({ 'outcome=succeeded': 0, 'outcome=failed': 0, 'outcome=cancelled': 0 });

      // the run over, the endpoint waits for one more scrape, which sees the final counts
      const lingering = `rxdag: serving the final metrics at ${url} until they are scraped (at most 15 s; Ctrl-C ends the wait, --metrics-linger 0 skips it)\n`;
      await waitUntil(() => cli.stderrSoFar().includes(lingering), 'the endpoint to wait for its last scrape');
      const after = await scrape(url);
      const result = await cli.done;
      expect(result.code).toBe(1); // flaky failed for good
      expect(result.stderr.endsWith(lingering)).toBe(true);
      expect(await listening(url)).toBe(false);
      const final = expectedFrom(readEventLog(log));
      expect(seriesOf(after, 'rxdag_runs_total')).toEqual({ 'outcome=succeeded': 0, 'outcome=failed': 1, 'outcome=cancelled': 0 });
      expect(seriesOf(after, 'rxdag_tasks_total')).toEqual(final.tasks);
      expect(seriesOf(after, 'rxdag_tasks_total')['agent=sleep,outcome=completed']).toBe(3); // `last` too
      expect(sampleValue(after, 'rxdag_running_tasks')).toBe(0);

      // the scrape saw the log up to the start of `last`; after it, only `last` ended, then the run
      const events = readEventLog(log);
      const lastStarted = events.findIndex((e) => e.type === 'task.started' && e.taskId === 'last');
      const before = events.slice(0, lastStarted + 1);
      expect(events.slice(lastStarted + 1).map((e) => `${e.type} ${'taskId' in e ? e.taskId : ''}`.trim())).toEqual([
        'task.completed last',
        'dag.completed',
      ]);
      const expected = expectedFrom(before);
      expect(expected.tasks).toEqual({
        'agent=sleep,outcome=completed': 2,
        'agent=shell,outcome=failed': 1,
        'agent=sleep,outcome=failed': 1,
        'agent=,outcome=skipped': 1,
      });
      expect(expected.attempts).toEqual({
        'agent=sleep,outcome=completed': 2,
        'agent=shell,outcome=failed': 2,
        'agent=sleep,outcome=timed-out': 1,
      });
      expect(seriesOf(during, 'rxdag_tasks_total')).toEqual(expected.tasks);
      expect(seriesOf(during, 'rxdag_attempts_total')).toEqual(expected.attempts);
      // one duration per attempt that ended, one queue wait per attempt that started
      expect(sampleValue(during, 'rxdag_attempt_duration_seconds_count', { agent: 'sleep' })).toBe(3);
      expect(sampleValue(during, 'rxdag_attempt_duration_seconds_count', { agent: 'shell' })).toBe(2);
      expect(seriesOf(during, 'rxdag_queue_wait_seconds_count')).toEqual({
        'agent=sleep': expected.started.sleep,
        'agent=shell': expected.started.shell,
      });
      expect(sampleValue(during, 'rxdag_attempt_duration_seconds_bucket', { agent: 'sleep', le: '+Inf' })).toBe(3);
    } finally {
      cli.child.kill('SIGKILL');
      await cli.done;
    }
  }, 60_000);

  it('should listen on the address --metrics-host gives (0.0.0.0: every interface), and refuse one that is no IP address or comes without --metrics-port', async () => {
    const dag = writeText(path.join(tmp.dir, 'anywhere.yaml'), 'id: anywhere\ntasks:\n  - { id: a, sleep: 1500 }\n');
    const run = startInProcess([
      'run',
      dag,
      '--no-journal',
      '--quiet',
      '--metrics-port',
      '0',
      '--metrics-host',
      '0.0.0.0',
      '--metrics-linger',
      '0',
    ]);
    try {
      const shown =
        /rxdag: metrics at http:\/\/0\.0\.0\.0:(\d+)\/metrics \(every interface: from another machine, at this one's address\)\n/;
      await waitUntil(() => shown.test(run.stderrSoFar()), 'the metrics URL on stderr');
      const port = shown.exec(run.stderrSoFar())![1]!;
      // reached through this machine's interfaces: loopback here, any other as well
      expect(sampleValue(await scrape(`http://127.0.0.1:${port}/metrics`), 'rxdag_running_tasks')).toBe(1);
      expect((await run.done).code).toBe(0);
    } finally {
      await run.done;
    }
    expect(await rxdagInProcess('run', dag, '--no-journal', '--metrics-port', '0', '--metrics-host', 'everywhere')).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'rxdag: --metrics-host must be an IP address to listen on, such as 127.0.0.1 (this machine only) or 0.0.0.0 (every IPv4 interface) (got "everywhere")\n',
    });
    expect(await rxdagInProcess('run', dag, '--no-journal', '--metrics-host', '0.0.0.0')).toEqual({
      code: 2,
      stdout: '',
      stderr: 'rxdag: --metrics-host needs --metrics-port: it says where /metrics listens\n',
    });
  }, 30_000);

  it('should wait at most --metrics-linger for a last scrape that does not come', async () => {
    const dag = writeText(path.join(tmp.dir, 'unscraped.yaml'), 'id: unscraped\ntasks:\n  - { id: a, sleep: 1 }\n');
    const started = Date.now();
    const result = await rxdagInProcess('run', dag, '--no-journal', '--quiet', '--metrics-port', '0', '--metrics-linger', '400');
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /^rxdag: metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)\nrxdag: serving the final metrics at \1 until they are scraped \(at most 400 ms; Ctrl-C ends the wait, --metrics-linger 0 skips it\)\n$/,
    );
  });

  it('should end the wait for a last scrape at a Ctrl-C, with the exit code of the run', async () => {
    const dag = writeText(path.join(tmp.dir, 'waiting.yaml'), 'id: waiting\ntasks:\n  - { id: a, run: "exit 3" }\n');
    const cli = startCli(['run', dag, '--no-journal', '--quiet', '--metrics-port', '0', '--metrics-linger', '60000']);
    try {
      await waitUntil(
        () => cli.stderrSoFar().includes('until they are scraped (at most 60 s;'),
        'the endpoint to wait for its last scrape',
      );
      const signalledAt = Date.now();
      cli.child.kill('SIGINT');
      const result = await cli.done;
      expect(result.code).toBe(1); // the task failed: the run's own code
      expect(Date.now() - signalledAt).toBeLessThan(5000);
    } finally {
      cli.child.kill('SIGKILL');
      await cli.done;
    }
  }, 30_000);

  it('should serve /metrics while `rxdag resume` runs, and stop when it ends', async () => {
    const dir = path.join(tmp.dir, 'resume');
    mkdirSync(dir);
    const files = gatedEnv(dir);
    const store = path.join(dir, 'store');
    const runId = await interruptedRun(gatedDag(dir, 'gated'), { ...files, RXDAG_STORE: store });
    const pidsBefore = linesOf(files.PIDS).length;
    // the resumed shell tasks read the gate files from the environment of this process
    const restoreEnv = setProcessEnv(files);
    // --metrics-linger 0: closed as soon as the run ends
    const resume = startInProcess(['resume', runId, '--store', store, '--metrics-port', '0', '--metrics-linger', '0', '--quiet']);
    try {
      const url = await printedUrl(resume.stderrSoFar);
      await waitUntil(() => linesOf(files.PIDS).length > pidsBefore, 'the gate task to run again');
      const during = await scrape(url);
      expect(sampleValue(during, 'rxdag_running_tasks')).toBe(1);
      expect(seriesOf(during, 'rxdag_tasks_total')).toEqual({});
      expect(seriesOf(during, 'rxdag_queue_wait_seconds_count')).toEqual({ 'agent=shell': 1 });

      writeFileSync(files.GATE, '');
      const result = await resume.done;
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(new RegExp(`^rxdag: metrics at ${url.replace(/[.]/g, '\\.')}\nrxdag: resuming run ${runId} `));
      expect(await listening(url)).toBe(false);
    } finally {
      writeFileSync(files.GATE, ''); // a failed check must not leave the resume waiting
      await resume.done;
      restoreEnv();
    }
  }, 60_000);

  it('should never load prom-client without the flag, and name the package to install when it is missing', async () => {
    // a preload that makes prom-client impossible to resolve, as when it is not installed
    const hide = writeText(
      path.join(tmp.dir, 'hide-prom-client.js'),
      [
        "const Module = require('node:module');",
        'const resolve = Module._resolveFilename;',
        'Module._resolveFilename = function (request, ...rest) {',
        "  if (request === 'prom-client') throw Object.assign(new Error(\"Cannot find module 'prom-client'\"), { code: 'MODULE_NOT_FOUND' });",
        '  return resolve.call(this, request, ...rest);',
        '};',
        '',
      ].join('\n'),
    );
    const env = { NODE_OPTIONS: `--require ${hide}` };
    const dag = writeText(path.join(tmp.dir, 'plain.yaml'), 'id: plain\ntasks:\n  - { id: a, sleep: 1 }\n');
    const [without, withFlag] = await Promise.all([
      runCli(['run', dag, '--no-journal', '--quiet'], env),
      runCli(['run', dag, '--no-journal', '--metrics-port', '0'], env),
    ]);
    expect(without).toMatchObject({ code: 0, stderr: '' });
    expect(withFlag).toEqual({
      code: 2,
      signal: null,
      stdout: '',
      stderr: 'rxdag: --metrics-port needs the prom-client package, which is not installed: npm install prom-client\n',
    });
  }, 30_000);

  describe('bad ports', () => {
    let taken: Server;
    let takenPort: number;
    beforeAll(async () => {
      taken = createServer();
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
      takenPort = (taken.address() as { port: number }).port;
    });
    afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())));

    it('should refuse a port in use with one line and exit 2, running nothing and writing no log or journal', async () => {
      const dir = path.join(tmp.dir, 'in-use');
      mkdirSync(dir);
      const dag = writeText(path.join(dir, 'one.yaml'), 'id: one\ntasks:\n  - { id: a, sleep: 1 }\n');
      const store = path.join(dir, 'store');
      const events = path.join(dir, 'e.jsonl');
      const result = await rxdagInProcess('run', dag, '--metrics-port', String(takenPort), '--events', events, '--store', store);
      expect(result).toEqual({
        code: 2,
        stdout: '',
        stderr: `rxdag: --metrics-port ${takenPort}: the port is in use on 127.0.0.1 (choose another, or 0 for a free one)\n`,
      });
      expect(existsSync(events)).toBe(false);
      expect(storeFiles(store)).toEqual({});
    });

    // one row as the built CLI (its exit code and stderr as a process), the others in this process
    it.each([
      ['abc', 'the built CLI'],
      ['65536', 'in process'],
      ['1.5', 'in process'],
      ['', 'in process'],
    ])(
      'should refuse --metrics-port %j with one line and exit 2 (%s)',
      async (port, how) => {
        const dag = writeText(path.join(tmp.dir, 'bad-port.yaml'), 'id: bad\ntasks:\n  - { id: a, sleep: 1 }\n');
        const args = ['run', dag, '--metrics-port', port, '--no-journal'];
        const result = how === 'the built CLI' ? await runCli(args) : { ...(await rxdagInProcess(...args)), signal: null };
        expect(result).toEqual({
          code: 2,
          signal: null,
          stdout: '',
          stderr: `rxdag: --metrics-port must be a TCP port from 0 to 65535 (0 picks a free one) (got ${JSON.stringify(port)})\n`,
        });
      },
      30_000,
    );
  });
});
