import { Counter, Gauge, type OpenMetricsContentType, Registry } from 'prom-client';
import { lastValueFrom, NEVER, Subject, VirtualTimeScheduler } from 'rxjs';
import { createScheduler, type DagEvent, defineDag, isTerminalEvent, runDag } from '../../src';
import { collectMetrics, NO_AGENT, serveMetrics } from '../../src/observe/prometheus';
import { DEFAULT_BUCKETS, rxdagMetrics } from '../../src/observe/rxdagMetrics';
import { virtualRun } from './fixtures';
import { valueOf, valuesOf } from './readMetrics';

/** Tasks by outcome and attempts, straight from the events: what the counters must say. */
function expectedFromEvents(events: readonly DagEvent[]) {
  const tasks: Record<string, number> = {};
  for (const e of events.filter(isTerminalEvent)) {
    const outcome = e.type.slice('task.'.length);
    tasks[outcome] = (tasks[outcome] ?? 0) + 1;
  }
  return { tasks, attempts: events.filter((e) => e.type === 'task.started').length };
}

const sum = (lines: string[]) => lines.reduce((total, line) => total + Number(line.split(' ').at(-1)), 0);

describe('collectMetrics', () => {
  it('should keep counting right with a collector per run never unsubscribed, and sum at a scrape only those with a run open', async () => {
    const registry = new Registry();
    const scheduler = createScheduler({ agents: { work: () => Promise.resolve(1) }, healthCheckIntervalMs: 0 });
    const dag = defineDag({
      id: 'small',
      tasks: [
        { id: 'a', agent: 'work' },
        { id: 'b', agent: 'work', deps: ['a'] },
      ],
    });
    // what a scrape sums: the collectors attached with a run open (white box: the registry's shared metrics)
    const summed = () =>
      (rxdagMetrics(registry, 'rxdag_', DEFAULT_BUCKETS, [], false) as unknown as { sources: Set<unknown> }).sources.size;
    const runs = Array.from({ length: 50 }, () => scheduler.submit(dag));
    for (const run of runs) collectMetrics(run.events$, { registry });
    expect(summed()).toBe(0); // nothing open before its run starts
    const first = lastValueFrom(runs[0]!);
    expect(summed()).toBe(1); // its first task runs
    await first;
    for (const run of runs.slice(1, 40)) await lastValueFrom(run);
    expect(summed()).toBe(0); // ended runs: kept as counted, no longer summed
    expect(await valueOf(registry, 'rxdag_tasks_total', { agent: 'work', outcome: 'completed' })).toBe(80);
    // the same run subscribed again counts again
    for (const run of runs.slice(0, 10)) await lastValueFrom(run);
    for (const run of runs.slice(40)) await lastValueFrom(run);
    expect(summed()).toBe(0);
    expect(await valueOf(registry, 'rxdag_runs_total', { outcome: 'succeeded' })).toBe(60);
    expect(await valueOf(registry, 'rxdag_tasks_total', { agent: 'work', outcome: 'completed' })).toBe(120);
    expect(await valueOf(registry, 'rxdag_running_tasks')).toBe(0);
    await scheduler.shutdown();
  });

  it('should refuse to collect one events$ twice into the same metrics, and take it again once the first collection stopped', async () => {
    const registry = new Registry();
    const scheduler = createScheduler({ agents: { work: () => Promise.resolve(1) }, healthCheckIntervalMs: 0 });
    const dag = defineDag({ id: 'one', tasks: [{ id: 'a', agent: 'work' }] });
    const first = collectMetrics(scheduler.events$, { registry });
    expect(() => collectMetrics(scheduler.events$, { registry })).toThrow(
      new TypeError(
        'collectMetrics: this events$ is collected into this registry (prefix "rxdag_") already: every event would count twice; ' +
          'unsubscribe the first collection before collecting it again',
      ),
    );
    // other metrics (another prefix, another registry) count it once each
    const other = new Registry();
    const elsewhere = [
      collectMetrics(scheduler.events$, { registry, prefix: 'team_' }),
      collectMetrics(scheduler.events$, { registry: other }),
    ];
    await lastValueFrom(scheduler.submit(dag));
    expect(await valueOf(registry, 'rxdag_tasks_total', { agent: 'work', outcome: 'completed' })).toBe(1);
    expect(await valueOf(registry, 'team_tasks_total', { agent: 'work', outcome: 'completed' })).toBe(1);
    expect(await valueOf(other, 'rxdag_tasks_total', { agent: 'work', outcome: 'completed' })).toBe(1);
    first.unsubscribe();
    const again = collectMetrics(scheduler.events$, { registry });
    await lastValueFrom(scheduler.submit(dag));
    expect(await valueOf(registry, 'rxdag_tasks_total', { agent: 'work', outcome: 'completed' })).toBe(2);
    for (const subscription of [again, ...elsewhere]) subscription.unsubscribe();
    await scheduler.shutdown();
  });

  it('should count tasks, attempts and runs by outcome as the events of a run say', async () => {
    const registry = new Registry();
    const events = virtualRun({ listen: (events$) => collectMetrics(events$, { registry }) });
    const expected = expectedFromEvents(events);
    expect(expected).toEqual({ tasks: { completed: 2, failed: 1, skipped: 1 }, attempts: 4 });
    expect(await valuesOf(registry, 'rxdag_tasks_total')).toEqual([
      'rxdag_tasks_total{"agent":"","outcome":"skipped"} 1',
      'rxdag_tasks_total{"agent":"work","outcome":"completed"} 2',
      'rxdag_tasks_total{"agent":"work","outcome":"failed"} 1',
    ]);
    expect(sum(await valuesOf(registry, 'rxdag_attempts_total'))).toBe(expected.attempts);
    expect(await valuesOf(registry, 'rxdag_attempts_total')).toEqual([
      'rxdag_attempts_total{"agent":"work","outcome":"completed"} 2',
      'rxdag_attempts_total{"agent":"work","outcome":"failed"} 1',
      'rxdag_attempts_total{"agent":"work","outcome":"timed-out"} 1',
    ]);
    expect(await valuesOf(registry, 'rxdag_runs_total')).toEqual([
      'rxdag_runs_total{"outcome":"cancelled"} 0',
      'rxdag_runs_total{"outcome":"failed"} 1',
      'rxdag_runs_total{"outcome":"succeeded"} 0',
    ]);
  });

  it('should observe each attempt’s duration (started to its end) in seconds', async () => {
    const registry = new Registry();
    virtualRun({ listen: (events$) => collectMetrics(events$, { registry }) });
    // a#1 2 ms, b 4 ms (timed out), a#2 3 ms, d 3 ms
    const durations = await valuesOf(registry, 'rxdag_attempt_duration_seconds');
    expect(durations).toContain('rxdag_attempt_duration_seconds_count{"agent":"work"} 4');
    expect(durations).toContain('rxdag_attempt_duration_seconds_sum{"agent":"work"} 0.012');
    expect(durations).toContain('rxdag_attempt_duration_seconds_bucket{"le":0.001,"agent":"work"} 0');
    expect(durations).toContain('rxdag_attempt_duration_seconds_bucket{"le":0.005,"agent":"work"} 4');
  });

  it('should show running and ready tasks mid-run, the queue wait of each, and 0 after the run', async () => {
    const registry = new Registry();
    const dag = defineDag({ id: 'queue', tasks: ['x', 'y', 'z'].map((id) => ({ id, agent: 'work' })) });
    const read = () => Promise.all([valueOf(registry, 'rxdag_running_tasks'), valueOf(registry, 'rxdag_ready_tasks')]);
    let midRun: Promise<unknown> | undefined;
    virtualRun({
      dag,
      agents: ({ cold }) => ({ work: () => cold('----------(x|)') }),
      options: { maxConcurrency: 1 },
      listen: (events$) => collectMetrics(events$, { registry }),
      // the gauges are read when the registry is: here, at frame 15 of 30
      at: { 15: () => (midRun = read()) },
    });
    expect(await midRun).toEqual([1, 1]);
    expect(await read()).toEqual([0, 0]);
    const waits = await valuesOf(registry, 'rxdag_queue_wait_seconds');
    expect(waits).toContain('rxdag_queue_wait_seconds_count{"agent":"work"} 3');
    expect(waits).toContain('rxdag_queue_wait_seconds_sum{"agent":"work"} 0.03'); // 0 + 10 + 20 ms
  });

  it('should count the attempts of a cancelled run as cancelled and leave nothing in the gauges', async () => {
    const registry = new Registry();
    virtualRun({
      agents: ({ cold }) => ({ work: () => cold('----------(x|)') }),
      cancelAt: 3,
      listen: (events$) => collectMetrics(events$, { registry }),
    });
    expect(await valuesOf(registry, 'rxdag_attempts_total')).toEqual(['rxdag_attempts_total{"agent":"work","outcome":"cancelled"} 2']);
    expect(await valuesOf(registry, 'rxdag_tasks_total')).toEqual([
      `rxdag_tasks_total{"agent":"${NO_AGENT}","outcome":"cancelled"} 2`,
      'rxdag_tasks_total{"agent":"work","outcome":"cancelled"} 2',
    ]);
    expect(await valueOf(registry, 'rxdag_runs_total', { outcome: 'cancelled' })).toBe(1);
    expect(await valueOf(registry, 'rxdag_running_tasks')).toBe(0);
  });

  it('should count a task cancelled while it waited for a retry under the agent it ran on', async () => {
    const registry = new Registry();
    // the demo's `a` fails at frame 2 and waits 5 frames to run again; `b` times out at 4 and `c` is skipped; `d` never starts
    virtualRun({ cancelAt: 5, listen: (events$) => collectMetrics(events$, { registry }) });
    expect(await valuesOf(registry, 'rxdag_tasks_total')).toEqual([
      `rxdag_tasks_total{"agent":"${NO_AGENT}","outcome":"cancelled"} 1`,
      `rxdag_tasks_total{"agent":"${NO_AGENT}","outcome":"skipped"} 1`,
      'rxdag_tasks_total{"agent":"work","outcome":"cancelled"} 1',
      'rxdag_tasks_total{"agent":"work","outcome":"failed"} 1',
    ]);
  });

  it('should register its metrics once per registry, adding the counts of every collector, and keep them after unsubscribing', async () => {
    const registry = new Registry();
    const first = new Subject<DagEvent>();
    const second = new Subject<DagEvent>();
    const one = collectMetrics(first, { registry });
    expect(() => collectMetrics(second, { registry })).not.toThrow();
    const events = virtualRun({ listen: (events$) => events$.subscribe(first) });
    virtualRun({ listen: (events$) => events$.subscribe(second) });
    expect(await valueOf(registry, 'rxdag_runs_total', { outcome: 'failed' })).toBe(2);
    one.unsubscribe();
    expect(await valueOf(registry, 'rxdag_runs_total', { outcome: 'failed' })).toBe(2);
    expect(sum(await valuesOf(registry, 'rxdag_attempts_total'))).toBe(2 * events.filter((e) => e.type === 'task.started').length);
    expect(registry.getMetricsAsArray()).toHaveLength(7);
  });

  it('should drop from the gauges what an unsubscribed collector held open', async () => {
    const registry = new Registry();
    const events = new Subject<DagEvent>();
    const collecting = collectMetrics(events, { registry });
    events.next({ type: 'dag.created', runId: 'open', seq: 1, at: 0, dagId: 'd', taskCount: 2 });
    events.next({ type: 'task.ready', runId: 'open', seq: 2, at: 0, taskId: 'a', attempt: 1 });
    events.next({ type: 'task.ready', runId: 'open', seq: 3, at: 0, taskId: 'b', attempt: 1 });
    events.next({ type: 'task.started', runId: 'open', seq: 4, at: 1, taskId: 'a', attempt: 1, agent: 'work' });
    expect([await valueOf(registry, 'rxdag_running_tasks'), await valueOf(registry, 'rxdag_ready_tasks')]).toEqual([1, 1]);
    collecting.unsubscribe();
    expect([await valueOf(registry, 'rxdag_running_tasks'), await valueOf(registry, 'rxdag_ready_tasks')]).toEqual([0, 0]);
  });

  it.each([
    ['ends', (events: Subject<DagEvent>) => events.complete()],
    ['errors (a run stopped to be resumed)', (events: Subject<DagEvent>) => events.error(new Error('RunInterruptedError'))],
  ])('should count the attempts still running as interrupted when the stream %s, timed to then by its clock', async (_how, end) => {
    const registry = new Registry();
    const events = new Subject<DagEvent>();
    const clock = new VirtualTimeScheduler();
    collectMetrics(events, { registry, scheduler: clock });
    events.next({ type: 'dag.created', runId: 'cut', seq: 1, at: 0, dagId: 'd', taskCount: 2 });
    events.next({ type: 'task.started', runId: 'cut', seq: 2, at: 1000, taskId: 'a', attempt: 1, agent: 'work' });
    events.next({ type: 'task.started', runId: 'cut', seq: 3, at: 2000, taskId: 'b', attempt: 1, agent: 'work' });
    events.next({ type: 'task.completed', runId: 'cut', seq: 4, at: 3000, taskId: 'b', attempt: 1, durationMs: 1000 });
    clock.frame = 4500; // the stop comes 1.5 s after the last event
    end(events);
    expect(await valueOf(registry, 'rxdag_attempts_total', { agent: 'work', outcome: 'interrupted' })).toBe(1);
    expect(await valueOf(registry, 'rxdag_attempts_total', { agent: 'work', outcome: 'completed' })).toBe(1);
    expect(await valueOf(registry, 'rxdag_running_tasks')).toBe(0);
    // `a` ran from 1 s to the stop, at 4.5 s, as its span does; `b` 1 s
    expect(await valuesOf(registry, 'rxdag_attempt_duration_seconds')).toContain('rxdag_attempt_duration_seconds_sum{"agent":"work"} 4.5');
  });

  it('should never end an interrupted attempt before the last event of the stream, whatever its clock says', async () => {
    const registry = new Registry();
    const events = new Subject<DagEvent>();
    collectMetrics(events, { registry, scheduler: new VirtualTimeScheduler() });
    events.next({ type: 'dag.created', runId: 'late', seq: 1, at: 5000, dagId: 'd', taskCount: 1 });
    events.next({ type: 'task.started', runId: 'late', seq: 2, at: 6000, taskId: 'a', attempt: 1, agent: 'work' });
    events.next({ type: 'health.checked', runId: 'late', seq: 3, at: 8000, running: 1, ready: 0, pending: 0 });
    events.complete();
    expect(await valuesOf(registry, 'rxdag_attempt_duration_seconds')).toContain('rxdag_attempt_duration_seconds_sum{"agent":"work"} 2');
  });

  it('should count as interrupted an attempt started again without its end on the stream (its run resumed past an unrecorded start), as its span ends', async () => {
    const registry = new Registry();
    const events = new Subject<DagEvent>();
    collectMetrics(events, { registry });
    events.next({ type: 'dag.created', runId: 'again', seq: 1, at: 0, dagId: 'd', taskCount: 1 });
    events.next({ type: 'task.started', runId: 'again', seq: 2, at: 1000, taskId: 'a', attempt: 1, agent: 'work' });
    events.next({ type: 'task.started', runId: 'again', seq: 3, at: 4000, taskId: 'a', attempt: 1, agent: 'work' });
    events.next({ type: 'task.completed', runId: 'again', seq: 4, at: 5000, taskId: 'a', attempt: 1, durationMs: 1000 });
    expect(await valueOf(registry, 'rxdag_attempts_total', { agent: 'work', outcome: 'interrupted' })).toBe(1);
    expect(await valueOf(registry, 'rxdag_attempts_total', { agent: 'work', outcome: 'completed' })).toBe(1);
    expect(await valueOf(registry, 'rxdag_running_tasks')).toBe(0);
    // 3 s interrupted, 1 s completed
    expect(await valuesOf(registry, 'rxdag_attempt_duration_seconds')).toContain('rxdag_attempt_duration_seconds_sum{"agent":"work"} 4');
  });

  it('should serve the same metrics from a registry in the OpenMetrics format', async () => {
    const registry = new Registry<OpenMetricsContentType>();
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    virtualRun({ listen: (events$) => collectMetrics(events$, { registry }) });
    const text = await registry.metrics();
    expect(text).toContain('rxdag_runs_total{outcome="failed"} 1');
    expect(text).toContain('rxdag_attempt_duration_seconds_bucket{le="+Inf",agent="work"} 4');
    expect(text.endsWith('# EOF\n')).toBe(true);
  });

  it('should name its metrics with the prefix given', async () => {
    const registry = new Registry();
    collectMetrics(NEVER, { registry, prefix: 'jobs_' });
    expect(
      registry
        .getMetricsAsArray()
        .map((metric) => metric.name)
        .sort(),
    ).toEqual([
      'jobs_attempt_duration_seconds',
      'jobs_attempts_total',
      'jobs_queue_wait_seconds',
      'jobs_ready_tasks',
      'jobs_running_tasks',
      'jobs_runs_total',
      'jobs_tasks_total',
    ]);
  });

  it('should refuse a registry where another metric has one of its names, and bad options', () => {
    const registry = new Registry();
    new Counter({ name: 'rxdag_runs_total', help: 'not ours', registers: [registry] });
    expect(() => collectMetrics(NEVER, { registry })).toThrow(
      new TypeError(
        '"rxdag_runs_total" is already registered in this registry by something other than rxdag\'s collectMetrics: give it another `registry` or a `prefix`',
      ),
    );
    expect(() => collectMetrics(NEVER, { registry: new Registry(), prefix: '9lives' })).toThrow(TypeError);
    expect(() => collectMetrics(NEVER, { registry: new Registry(), prefix: 'http://u:S3CRET@host' })).toThrow(
      /got "http:\/\/u:\*\*\*@host"$/,
    );
    expect(() => collectMetrics(NEVER, { registry: new Registry(), buckets: [1, 0.5] })).toThrow(TypeError);
    expect(() => collectMetrics(NEVER, {} as never)).toThrow(new TypeError('`registry` must be a prom-client Registry'));
    // the default buckets cannot be changed under every collector given none
    expect(() => (DEFAULT_BUCKETS as number[]).push(0)).toThrow(TypeError);
    expect(() => collectMetrics(NEVER, { registry: new Registry(), bukets: [1, 2] } as never)).toThrow(
      new TypeError('collectMetrics: unknown option `bukets` (did you mean `buckets`?)'),
    );
  });

  it('should refuse other buckets for histograms a registry has, and take theirs when given none', () => {
    const registry = new Registry();
    collectMetrics(NEVER, { registry, buckets: [0.5, 2] }).unsubscribe();
    expect(() => collectMetrics(NEVER, { registry, buckets: [0.02, 2] })).toThrow(
      new TypeError(
        'the histograms "rxdag_*" of this registry have the buckets [0.5, 2], not [0.02, 2]: give every collectMetrics of a registry and prefix the same `buckets` (or none), or give this one another `registry` or `prefix`',
      ),
    );
    expect(() => collectMetrics(NEVER, { registry, buckets: [0.5, 2] }).unsubscribe()).not.toThrow();
    expect(() => collectMetrics(NEVER, { registry }).unsubscribe()).not.toThrow();
    // another prefix makes histograms of its own
    expect(() => collectMetrics(NEVER, { registry, prefix: 'other_', buckets: [0.02, 2] }).unsubscribe()).not.toThrow();
  });

  it('should refuse a run itself, which would start its DAG again, and run nothing', () => {
    let calls = 0;
    const run = runDag(defineDag({ id: 'once', tasks: [{ id: 'a', agent: 'work' }] }), { agents: { work: () => ++calls } });
    const registry = new Registry();
    expect(() => collectMetrics(run, { registry })).toThrow(
      /^`events\$` is a run, which starts its DAG again on each subscription: pass `run.events\$`/,
    );
    expect(calls).toBe(0);
    expect(registry.getMetricsAsArray()).toHaveLength(0);
  });
});

describe('serveMetrics', () => {
  /** A sample line of the text format: `name{label="value",…} value`. */
  const SAMPLE =
    /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*\})? (?:[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|NaN|[-+]Inf)$/;

  it('should serve /metrics over HTTP on a free port, in the text format', async () => {
    const registry = new Registry();
    virtualRun({ listen: (events$) => collectMetrics(events$, { registry }) });
    const server = await serveMetrics({ registry, port: 0, host: '127.0.0.1' });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const response = await fetch(server.url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(registry.contentType);
      const text = await response.text();
      const lines = text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
      expect(lines.filter((line) => !SAMPLE.test(line))).toEqual([]);
      expect(lines).toContain('rxdag_tasks_total{agent="work",outcome="completed"} 2');
      expect(lines).toContain('rxdag_running_tasks 0');
      expect(text).toContain('# TYPE rxdag_attempt_duration_seconds histogram');
      expect((await fetch(server.url.replace('/metrics', '/other'))).status).toBe(404);
      expect((await fetch(server.url, { method: 'POST' })).status).toBe(405);
    } finally {
      await server.close();
    }
    await expect(fetch(server.url)).rejects.toThrow();
  });

  it('should reject when the port is taken, and refuse a bad port', async () => {
    const registry = new Registry();
    const first = await serveMetrics({ registry, port: 0 });
    try {
      const port = Number(new URL(first.url).port);
      await expect(serveMetrics({ registry, port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await first.close();
    }
    expect(() => serveMetrics({ registry, port: 70_000 })).toThrow(
      new TypeError('`port` must be an integer from 0 to 65535 (0 picks a free port), got 70000'),
    );
    expect(() => serveMetrics({ registry, port: '0' as never })).toThrow(
      new TypeError('`port` must be an integer from 0 to 65535 (0 picks a free port), got "0"'),
    );
  });

  it('should tell nextScrape() of the first scrape begun after it: a GET of /metrics answered, not a HEAD, a 404 or a failed collection', async () => {
    const registry = new Registry();
    let failing = false;
    new Gauge({
      name: 'rxdag_test_value',
      help: 'a value that cannot be read while failing',
      registers: [registry],
      collect() {
        if (failing) throw new Error('sensor down');
      },
    });
    const server = await serveMetrics({ registry, port: 0 });
    try {
      const heard: string[] = [];
      void server.nextScrape().then(() => heard.push('first'));
      await fetch(server.url, { method: 'HEAD' });
      await fetch(server.url.replace('/metrics', '/other'));
      failing = true;
      expect((await fetch(server.url)).status).toBe(500);
      failing = false;
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(heard).toEqual([]);
      await (await fetch(server.url)).text();
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(heard).toEqual(['first']);
      // a later call waits for a later scrape
      void server.nextScrape().then(() => heard.push('second'));
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(heard).toEqual(['first']);
      await (await fetch(server.url)).text();
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(heard).toEqual(['first', 'second']);
    } finally {
      await server.close();
    }
  });

  it('should keep nextScrape() waiting past a scrape whose client left before its answer, and tell it of the next one', async () => {
    const registry = new Registry();
    let slow = true;
    new Gauge({
      name: 'rxdag_test_slow',
      help: 'a value that takes a while to read',
      registers: [registry],
      async collect() {
        if (slow) await new Promise((resolve) => setTimeout(resolve, 300));
      },
    });
    const server = await serveMetrics({ registry, port: 0 });
    try {
      let heard = false;
      void server.nextScrape().then(() => (heard = true));
      const leaving = new AbortController();
      setTimeout(() => leaving.abort(), 100);
      await expect(fetch(server.url, { signal: leaving.signal })).rejects.toThrow();
      await new Promise((resolve) => setTimeout(resolve, 400)); // its collection ended meanwhile
      expect(heard).toBe(false);
      slow = false;
      await (await fetch(server.url)).text();
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(heard).toBe(true);
    } finally {
      await server.close();
    }
  });

  /** A registry whose collection takes `ms`; `collecting` is told of each collection begun. */
  function slowRegistry(ms: number, collecting: () => void = () => {}): Registry {
    const registry = new Registry();
    new Gauge({
      name: 'rxdag_test_slow',
      help: 'a value that takes a while to read',
      registers: [registry],
      async collect() {
        collecting();
        await new Promise((resolve) => setTimeout(resolve, ms));
      },
    });
    return registry;
  }

  it('should tell nextScrape() of a GET answered while a HEAD begun before it was still collecting', async () => {
    const server = await serveMetrics({ registry: slowRegistry(50), port: 0 });
    try {
      let heard = false;
      void server.nextScrape().then(() => (heard = true));
      const head = fetch(server.url, { method: 'HEAD' });
      await new Promise((resolve) => setTimeout(resolve, 10));
      await Promise.all([head, fetch(server.url).then((response) => response.text())]);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(heard).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('should answer the scrapes under way when it is closed, and then close', async () => {
    let begun = 0;
    const server = await serveMetrics({ registry: slowRegistry(100, () => begun++), port: 0 });
    const scrapes = [fetch(server.url), fetch(server.url, { method: 'HEAD' }), fetch(server.url)].map((answer) =>
      answer.then((response) => response.status),
    );
    // under way: the server is collecting for each (a connection it has not taken yet is refused by a close)
    while (begun < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    const closed = server.close();
    expect(await Promise.all(scrapes)).toEqual([200, 200, 200]);
    await closed;
    await expect(fetch(server.url)).rejects.toThrow();
  });

  it('should close once, however often close() is called', async () => {
    const server = await serveMetrics({ registry: new Registry(), port: 0 });
    const first = server.close();
    expect(server.close()).toBe(first);
    await expect(first).resolves.toBeUndefined();
    await expect(server.close()).resolves.toBeUndefined();
    await expect(fetch(server.url)).rejects.toThrow();
  });
});
