import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { DagEvent } from '../../src/index';
import { closedPortUrl, type FakePushgateway, type GatewayAnswer, startFakePushgateway } from './support/fakePushgateway';
import { readEventLog, tempDir, writeText } from './support/files';
import { rxdagInProcess } from './support/inProcessCli';
import { journalEvents, storeFiles, waitUntil } from './support/journaledRuns';
import { startInProcess } from './support/liveInProcessCli';
import { type Family, parsePrometheusText, RUN_METRIC_NAMES, sampleValue, seriesOf } from './support/promText';

/**
 * `--metrics-push URL` on `rxdag run` and `rxdag resume`: the run's metrics pushed once, when the
 * command ends however the run ended, to a real HTTP server standing in for the Pushgateway (PUT
 * to job rxdag, grouped by the DAG's id; the body parses strictly as Prometheus text and its
 * counters match the events log); a gateway that refuses, is down or never answers (bounded)
 * leaves the run's outcome as it was, with one line and exit 74 only for a run that succeeded;
 * a bad URL is refused with nothing run; and with `--metrics-port`, one registry. All in this
 * process; Ctrl-C and SIGTERM are the CLI's own signal listeners called directly.
 */
describe('rxdag run/resume --metrics-push', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());
  let gateways: FakePushgateway[] = [];
  afterEach(async () => {
    await Promise.all(gateways.map((gateway) => gateway.close()));
    gateways = [];
  });
  const gateway = async (answer?: GatewayAnswer) => {
    const started = await startFakePushgateway(answer);
    gateways.push(started);
    return started;
  };
  let folders = 0;
  const folder = () => {
    const dir = path.join(tmp.dir, `case-${++folders}`);
    mkdirSync(dir);
    return dir;
  };

  /** The one push a gateway got: a PUT to job rxdag, grouped by the DAG; its body, parsed. */
  function thePush(at: FakePushgateway, groupPath: string): Map<string, Family> {
    expect(at.requests.map(({ method, path }) => ({ method, path }))).toEqual([{ method: 'PUT', path: `/metrics/job/rxdag${groupPath}` }]);
    return parsePrometheusText(at.requests[0]!.body);
  }

  /** What the counters must say after `events`, counted here from the events log on its own. */
  function countersOf(events: readonly DagEvent[]) {
    const tasks: Record<string, number> = {};
    const attempts: Record<string, number> = {};
    const runs: Record<string, number> = { 'outcome=succeeded': 0, 'outcome=failed': 0, 'outcome=cancelled': 0 };
    const agentOf = new Map<string, string>();
    const add = (into: Record<string, number>, key: string) => (into[key] = (into[key] ?? 0) + 1);
    for (const event of events) {
      if (event.type === 'task.started') agentOf.set(event.taskId, event.agent);
      else if (event.type === 'task.completed') {
        add(attempts, `agent=${agentOf.get(event.taskId)},outcome=completed`);
        add(tasks, `agent=${agentOf.get(event.taskId)},outcome=completed`);
      } else if (event.type === 'task.failed') {
        add(attempts, `agent=${agentOf.get(event.taskId)},outcome=failed`);
        if (!event.willRetry) add(tasks, `agent=${agentOf.get(event.taskId)},outcome=failed`);
      } else if (event.type === 'task.skipped') add(tasks, 'agent=,outcome=skipped');
      else if (event.type === 'task.cancelled') {
        add(tasks, `agent=${agentOf.get(event.taskId) ?? ''},outcome=cancelled`);
        if (agentOf.has(event.taskId)) add(attempts, `agent=${agentOf.get(event.taskId)},outcome=cancelled`);
      } else if (event.type === 'dag.completed') add(runs, `outcome=${event.outcome}`);
    }
    return { tasks, attempts, runs };
  }

  function expectCountersOf(pushed: Map<string, Family>, events: readonly DagEvent[]): void {
    const expected = countersOf(events);
    expect(seriesOf(pushed, 'rxdag_tasks_total')).toEqual(expected.tasks);
    expect(seriesOf(pushed, 'rxdag_attempts_total')).toEqual(expected.attempts);
    expect(seriesOf(pushed, 'rxdag_runs_total')).toEqual(expected.runs);
  }

  /**
   * The run's own listener for `signal`, the last one the command added since `before` was taken
   * (the one before it holds signals for its closing down): calling it is what the signal does to
   * the run, without a real signal reaching the test process.
   */
  function runListener(signal: NodeJS.Signals, before: readonly Function[]): Function | undefined {
    return process
      .listeners(signal)
      .filter((listener) => !before.includes(listener))
      .at(-1);
  }

  it('should push the metrics of a run that failed once it ended: counters that match the events log, exit 1 as without it', async () => {
    const dir = folder();
    const at = await gateway();
    const dag = writeText(
      path.join(dir, 'mixed.yaml'),
      [
        'id: nightly-etl',
        'tasks:',
        '  - { id: quick-1, sleep: 10 }',
        '  - { id: quick-2, sleep: 20 }',
        '  - { id: flaky, run: "exit 3", retry: { attempts: 2, backoffMs: 10 } }',
        '  - { id: after-flaky, deps: [flaky], sleep: 10 }',
        '',
      ].join('\n'),
    );
    const log = path.join(dir, 'events.jsonl');
    const result = await rxdagInProcess('run', dag, '--no-journal', '--quiet', '--events', log, '--metrics-push', at.url);
    expect(result.code).toBe(1);
    expect(result.stderr).not.toMatch(/push/);
    const pushed = thePush(at, '/dag/nightly-etl');
    expect([...pushed.keys()].sort()).toEqual(RUN_METRIC_NAMES);
    const events = readEventLog(log);
    expectCountersOf(pushed, events);
    expect(seriesOf(pushed, 'rxdag_tasks_total')).toEqual({
      'agent=sleep,outcome=completed': 2,
      'agent=shell,outcome=failed': 1,
      'agent=,outcome=skipped': 1,
    });
    expect(seriesOf(pushed, 'rxdag_runs_total')).toEqual({ 'outcome=succeeded': 0, 'outcome=failed': 1, 'outcome=cancelled': 0 });
    expect(sampleValue(pushed, 'rxdag_running_tasks')).toBe(0);
    expect(sampleValue(pushed, 'rxdag_attempt_duration_seconds_count', { agent: 'shell' })).toBe(2);
  });

  it('should keep the path of the gateway URL and base64url-encode a DAG id with a slash', async () => {
    const dir = folder();
    const at = await gateway();
    const dag = writeText(path.join(dir, 'team.yaml'), 'id: team/nightly\ntasks:\n  - { id: a, sleep: 1 }\n');
    const result = await rxdagInProcess('run', dag, '--no-journal', '--quiet', '--metrics-push', `${at.url}/pushgateway`);
    expect(result.code).toBe(0);
    // a slash at the path's end (as a proxy's location is often written) is not doubled
    const slashed = await rxdagInProcess('run', dag, '--no-journal', '--quiet', '--metrics-push', `${at.url}/pushgateway/`);
    expect(slashed.code).toBe(0);
    const group = Buffer.from('team/nightly').toString('base64url');
    expect(at.requests.map(({ method, path }) => `${method} ${path}`)).toEqual([
      `PUT /pushgateway/metrics/job/rxdag/dag%40base64/${group}`,
      `PUT /pushgateway/metrics/job/rxdag/dag%40base64/${group}`,
    ]);
    expect(seriesOf(parsePrometheusText(at.requests[0]!.body), 'rxdag_tasks_total')).toEqual({ 'agent=sleep,outcome=completed': 1 });
  });

  it.each([
    ['a task failed', 'exit 1', 1],
    ['the run succeeded', 'true', 74],
  ])(
    'should say in one line that a gateway answering 500 refused the push, and exit as the run did unless it succeeded (%s)',
    async (_, command, code) => {
      const dir = folder();
      const at = await gateway({ kind: 'error', status: 500, body: 'storage full\n' });
      const dag = writeText(path.join(dir, 'one.yaml'), `id: one\ntasks:\n  - { id: a, run: "${command}" }\n`);
      const log = path.join(dir, 'events.jsonl');
      const result = await rxdagInProcess('run', dag, '--no-journal', '--quiet', '--events', log, '--metrics-push', at.url);
      expect(result.code).toBe(code);
      expect(result.stderr).toBe(`rxdag: cannot push the metrics to the Pushgateway ${at.url}: it answered HTTP 500: storage full\n`);
      expect(at.requests).toHaveLength(1); // once: no retry
      // the run itself was not touched: its log ends as a run does
      expect(readEventLog(log).at(-1)).toMatchObject({ type: 'dag.completed', outcome: code === 1 ? 'failed' : 'succeeded' });
    },
  );

  it('should say that a gateway that is down could not be reached, exit 74 after a run that succeeded', async () => {
    const dir = folder();
    const url = await closedPortUrl();
    const dag = writeText(path.join(dir, 'one.yaml'), 'id: one\ntasks:\n  - { id: a, sleep: 1 }\n');
    const result = await rxdagInProcess('run', dag, '--no-journal', '--quiet', '--metrics-push', url);
    expect(result.code).toBe(74);
    expect(result.stderr).toBe(
      `rxdag: cannot push the metrics to the Pushgateway ${url}: connect ECONNREFUSED ${url.replace('http://', '')}\n`,
    );
  });

  it('should give up on a gateway that never answers within a few seconds', async () => {
    const dir = folder();
    const at = await gateway({ kind: 'never' });
    const dag = writeText(path.join(dir, 'one.yaml'), 'id: one\ntasks:\n  - { id: a, sleep: 1 }\n');
    const started = Date.now();
    const result = await rxdagInProcess('run', dag, '--no-journal', '--quiet', '--metrics-push', at.url);
    const took = Date.now() - started;
    expect(result.code).toBe(74);
    expect(result.stderr).toBe(`rxdag: cannot push the metrics to the Pushgateway ${at.url}: no answer within 5 s\n`);
    expect(at.received()).toBe(1);
    expect(took).toBeGreaterThanOrEqual(4900);
    expect(took).toBeLessThan(9000);
  }, 20_000);

  it.each([
    'ftp://gw.example.com',
    'localhost:9091',
    'gw.example.com',
    '',
    'http:/gw:9091',
    'https:gw',
    'http://gw\\x:9091',
    ' http://gw',
    'http://gw%2eexample.com:9091',
    'http://localhost;gw.example:9091',
    "http://gw'x.example:9091",
    'http://gw{x}.example:9091',
    'http://gw`x.example',
    'http://127.0.0.1:9091//127.0.0.2:9092/',
    'http://gw:9091//',
    'http://gw:9091//..', // a path the URL parser makes `/`, a host `..` to the legacy resolver prom-client uses
  ])('should refuse --metrics-push %j with one line and exit 2, running nothing and writing no log or journal', async (url) => {
    const dir = folder();
    const dag = writeText(path.join(dir, 'one.yaml'), 'id: one\ntasks:\n  - { id: a, run: "touch ran" }\n');
    const store = path.join(dir, 'store');
    const events = path.join(dir, 'e.jsonl');
    const result = await rxdagInProcess('run', dag, '--store', store, '--events', events, '--metrics-push', url);
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: `rxdag: --metrics-push must be the http:// or https:// URL of a Prometheus Pushgateway, such as http://localhost:9091 (got ${JSON.stringify(url)})\n`,
    });
    expect(existsSync(events)).toBe(false);
    expect(storeFiles(store)).toEqual({});
  });

  it('should refuse a Pushgateway URL without its // or with a %-escaped host, and never quote its password', async () => {
    for (const url of [
      'http:/bob:secret@127.0.0.1:9091',
      'http:bob:secret@127.0.0.1:9091',
      'http://bob:secret@%67w:9091',
      'http:///bob:secret@127.0.0.1:9091',
      'http://bob:s%cret@127.0.0.1:9091', // a % the legacy parser cannot decode
    ]) {
      const result = await rxdagInProcess(
        'run',
        writeText(path.join(folder(), 'one.yaml'), 'id: one\ntasks: [{ id: a, sleep: 0 }]\n'),
        '--no-journal',
        '--metrics-push',
        url,
      );
      expect(result).toMatchObject({ code: 2, stderr: expect.stringContaining('--metrics-push must be the http:// or https:// URL') });
      // (after a scheme without its //, nothing before the @ is shown: all of it may be the password)
      expect(result.stderr).toContain(/^http:[^/]/.test(url) ? 'http:***@' : 'bob:***@');
      expect(result.stderr).not.toContain('secret');
    }
  });

  it('should push with a %-escaped password (p%40ss: an @ in it)', async () => {
    const at = await gateway();
    const dag = writeText(path.join(folder(), 'one.yaml'), 'id: one\ntasks: [{ id: a, sleep: 0 }]\n');
    const url = at.url.replace('http://', 'http://bob:p%40ss@');
    expect(await rxdagInProcess('run', dag, '--no-journal', '--quiet', '--metrics-push', url)).toMatchObject({ code: 0 });
    expect(at.requests.map((request) => request.authorization)).toEqual([`Basic ${Buffer.from('bob:p@ss').toString('base64')}`]);
  });

  it('should report a bad --metrics-push with every other bad option at once, on resume too', async () => {
    const result = await rxdagInProcess('resume', 'x', '--store', folder(), '--metrics-push', 'nope', '--metrics-port', '99999');
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: [
        'rxdag: --metrics-port must be a TCP port from 0 to 65535 (0 picks a free one) (got "99999")',
        'rxdag: --metrics-push must be the http:// or https:// URL of a Prometheus Pushgateway, such as http://localhost:9091 (got "nope")',
        '',
      ].join('\n'),
    });
  });

  it('should serve and push one registry with --metrics-port: the scrape during the run, the push after its end', async () => {
    const dir = folder();
    const at = await gateway();
    const dag = writeText(
      path.join(dir, 'both.yaml'),
      ['id: both', 'tasks:', '  - { id: first, sleep: 10 }', '  - { id: last, deps: [first], sleep: 1000 }', ''].join('\n'),
    );
    const log = path.join(dir, 'events.jsonl');
    // --metrics-linger 0: closed at the run's end, with no wait for a last scrape
    const command = startInProcess([
      'run',
      dag,
      '--no-journal',
      '--events',
      log,
      '--metrics-port',
      '0',
      '--metrics-linger',
      '0',
      '--metrics-push',
      at.url,
    ]);
    const printed = /^rxdag: metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)\n/;
    await waitUntil(
      () => printed.test(command.stderrSoFar()) && /task\.started last/.test(command.stdoutSoFar()),
      'the run to start `last`',
    );
    const during = parsePrometheusText(await (await fetch(printed.exec(command.stderrSoFar())![1]!)).text());
    expect(sampleValue(during, 'rxdag_running_tasks')).toBe(1);
    expect(seriesOf(during, 'rxdag_tasks_total')).toEqual({ 'agent=sleep,outcome=completed': 1 });
    expect(at.requests).toEqual([]); // pushed only when the command ends

    const result = await command.done;
    expect(result.code).toBe(0);
    const pushed = thePush(at, '/dag/both');
    // rxdag's metrics, not the process's: the gateway keeps a batch job's results
    expect([...pushed.keys()].sort()).toEqual([...during.keys()].filter((name) => name.startsWith('rxdag_')).sort());
    expect(during.has('process_start_time_seconds')).toBe(true);
    // the same counters went on counting: `first` as scraped, then `last` and the run
    expect(seriesOf(pushed, 'rxdag_tasks_total')).toEqual({ 'agent=sleep,outcome=completed': 2 });
    expect(sampleValue(pushed, 'rxdag_attempt_duration_seconds_count', { agent: 'sleep' })).toBe(2);
    expectCountersOf(pushed, readEventLog(log));
  });

  it('should push the metrics of a run cancelled by Ctrl-C, exit 130', async () => {
    const dir = folder();
    const at = await gateway();
    const dag = writeText(
      path.join(dir, 'long.yaml'),
      [
        'id: long',
        'tasks:',
        '  - { id: done, sleep: 1 }',
        '  - { id: slow, deps: [done], sleep: 60000 }',
        '  - { id: never, deps: [slow], sleep: 1 }',
        '',
      ].join('\n'),
    );
    const log = path.join(dir, 'events.jsonl');
    const before = process.listeners('SIGINT');
    const command = startInProcess(['run', dag, '--no-journal', '--events', log, '--metrics-push', at.url]);
    await waitUntil(() => /task\.started slow/.test(command.stdoutSoFar()), 'the run to start `slow`');
    const ctrlC = runListener('SIGINT', before);
    ctrlC!();
    const result = await command.done;
    expect(result.code).toBe(130);
    const pushed = thePush(at, '/dag/long');
    expectCountersOf(pushed, readEventLog(log));
    expect(seriesOf(pushed, 'rxdag_runs_total')).toEqual({ 'outcome=succeeded': 0, 'outcome=failed': 0, 'outcome=cancelled': 1 });
    expect(seriesOf(pushed, 'rxdag_tasks_total')).toEqual({
      'agent=sleep,outcome=completed': 1,
      'agent=sleep,outcome=cancelled': 1,
      'agent=,outcome=cancelled': 1,
    });
  });

  it('should push the metrics of a run left interrupted by SIGTERM (exit 143), and of its resume, under the same group', async () => {
    const dir = folder();
    const at = await gateway();
    const store = path.join(dir, 'store');
    const dag = writeText(
      path.join(dir, 'halted.yaml'),
      [
        'id: halted',
        'tasks:',
        '  - { id: done, sleep: 1 }',
        '  - { id: slow, deps: [done], sleep: 1500 }',
        // a shell task: its process killed after the halt fails its attempt, which is not recorded, so not counted
        '  - { id: shell, deps: [done], run: "sleep 2" }',
        '',
      ].join('\n'),
    );
    const before = process.listeners('SIGTERM');
    const command = startInProcess(['run', dag, '--store', store, '--quiet', '--metrics-push', at.url]);
    await waitUntil(() => journalOf(store).some((e) => e.type === 'task.started' && e.taskId === 'slow'), 'the run to start `slow`');
    const sigterm = runListener('SIGTERM', before);
    sigterm!();
    const halted = await command.done;
    expect(halted.code).toBe(143);
    const pushed = thePush(at, '/dag/halted');
    expect(seriesOf(pushed, 'rxdag_tasks_total')).toEqual({ 'agent=sleep,outcome=completed': 1 });
    // the attempts the halt cut count as interrupted (the resume runs them again), not as what they did after it
    expect(seriesOf(pushed, 'rxdag_attempts_total')).toEqual({
      'agent=sleep,outcome=completed': 1,
      'agent=sleep,outcome=interrupted': 1,
      'agent=shell,outcome=interrupted': 1,
    });
    expect(seriesOf(pushed, 'rxdag_runs_total')).toEqual({ 'outcome=succeeded': 0, 'outcome=failed': 0, 'outcome=cancelled': 0 });
    // this process runs nothing any more: the attempts it left to the resume are not running here
    expect(seriesOf(pushed, 'rxdag_running_tasks')).toEqual({ '': 0 });

    const resumed = await rxdagInProcess('resume', '--store', store, '--quiet', '--metrics-push', at.url);
    expect(resumed.code).toBe(0);
    expect(at.requests.map(({ method, path }) => `${method} ${path}`)).toEqual([
      'PUT /metrics/job/rxdag/dag/halted',
      'PUT /metrics/job/rxdag/dag/halted',
    ]);
    // what this process saw: `slow` run again, and the run's end
    const again = parsePrometheusText(at.requests[1]!.body);
    expect(seriesOf(again, 'rxdag_tasks_total')).toEqual({ 'agent=sleep,outcome=completed': 1, 'agent=shell,outcome=completed': 1 });
    expect(seriesOf(again, 'rxdag_runs_total')).toEqual({ 'outcome=succeeded': 1, 'outcome=failed': 0, 'outcome=cancelled': 0 });
  }, 30_000);

  it('should name the package to install when prom-client is missing, with nothing run', async () => {
    const dir = folder();
    const at = await gateway();
    const dag = writeText(path.join(dir, 'one.yaml'), 'id: one\ntasks:\n  - { id: a, run: "touch ran" }\n');
    // what requiring prom-client does when it is not installed (the CLI loads it only for the flag)
    jest.doMock('prom-client', () => {
      throw Object.assign(new Error("Cannot find module 'prom-client'"), { code: 'MODULE_NOT_FOUND' });
    });
    try {
      const result = await rxdagInProcess('run', dag, '--no-journal', '--metrics-push', at.url);
      expect(result).toEqual({
        code: 2,
        stdout: '',
        stderr: 'rxdag: --metrics-push needs the prom-client package, which is not installed: npm install prom-client\n',
      });
    } finally {
      jest.dontMock('prom-client');
    }
    expect(existsSync(path.join(dir, 'ran'))).toBe(false);
    expect(at.requests).toEqual([]);
  });

  /** The events journaled so far in `store` of its one run. */
  function journalOf(store: string): DagEvent[] {
    const runIds = Object.keys(storeFiles(store))
      .filter((name) => name.endsWith('.jsonl'))
      .map((name) => name.replace(/\.jsonl$/, ''));
    return runIds.length === 1 ? journalEvents(store, runIds[0]!) : [];
  }
});
