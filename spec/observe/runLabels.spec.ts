import { Registry } from 'prom-client';
import { NEVER, Subject } from 'rxjs';
import { createScheduler, type DagEvent, defineDag, events as make } from '../../src';
import { collectMetrics, type RunLabels } from '../../src/observe/prometheus';
import { inVirtualTime } from '../support/virtualTime';
import { virtualRun } from './fixtures';
import { valueOf, valuesOf } from './readMetrics';

/** Run ids like `acme:1`: the tenant is what comes before the colon. */
const byTenant: RunLabels = { names: ['tenant'], of: (runId) => ({ tenant: runId.split(':')[0] }) };

const pair = defineDag({
  id: 'pair',
  tasks: [
    { id: 'first', agent: 'work' },
    { id: 'second', agent: 'work', deps: ['first'] },
  ],
});
// `boom` fails for good, so `after` is skipped
const trio = defineDag({
  id: 'trio',
  tasks: [
    { id: 'ok', agent: 'work' },
    { id: 'boom', agent: 'work' },
    { id: 'after', agent: 'work', deps: ['boom'] },
  ],
});

/** A dag.completed of `runId`, its counts left out of the metrics' concern. */
const completed = (runId: string, seq: number, outcome: 'succeeded' | 'failed' = 'succeeded') =>
  make.dagCompleted({
    runId,
    seq,
    at: 5,
    outcome,
    durationMs: 5,
    failures: [],
    counts: { total: 0, completed: 0, failed: 0, skipped: 0, cancelled: 0 },
  });

let warn: jest.SpyInstance;
beforeEach(() => {
  warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
});
afterEach(() => warn.mockRestore());

describe('collectMetrics with runLabels', () => {
  it('should count the runs of two tenants on one scheduler in separate series', async () => {
    const registry = new Registry();
    inVirtualTime(({ cold }, ts) => {
      const scheduler = createScheduler({
        scheduler: ts,
        healthCheckIntervalMs: 0,
        maxConcurrency: 4,
        agents: { work: ({ id }) => (id === 'boom' ? cold('--#', undefined, new Error('boom')) : cold('--(x|)')) },
      });
      collectMetrics(scheduler.events$, { registry, runLabels: byTenant });
      scheduler.submit(pair, { runId: 'acme:1' }).subscribe();
      scheduler.submit(trio, { runId: 'globex:1' }).subscribe();
      ts.schedule(() => scheduler.submit(pair, { runId: 'acme:2' }).subscribe(), 1);
    });
    expect(await valuesOf(registry, 'rxdag_tasks_total')).toEqual([
      'rxdag_tasks_total{"tenant":"acme","agent":"work","outcome":"completed"} 4',
      'rxdag_tasks_total{"tenant":"globex","agent":"","outcome":"skipped"} 1',
      'rxdag_tasks_total{"tenant":"globex","agent":"work","outcome":"completed"} 1',
      'rxdag_tasks_total{"tenant":"globex","agent":"work","outcome":"failed"} 1',
    ]);
    expect(await valuesOf(registry, 'rxdag_attempts_total')).toEqual([
      'rxdag_attempts_total{"tenant":"acme","agent":"work","outcome":"completed"} 4',
      'rxdag_attempts_total{"tenant":"globex","agent":"work","outcome":"completed"} 1',
      'rxdag_attempts_total{"tenant":"globex","agent":"work","outcome":"failed"} 1',
    ]);
    expect(await valuesOf(registry, 'rxdag_runs_total')).toEqual([
      'rxdag_runs_total{"tenant":"acme","outcome":"cancelled"} 0',
      'rxdag_runs_total{"tenant":"acme","outcome":"failed"} 0',
      'rxdag_runs_total{"tenant":"acme","outcome":"succeeded"} 2',
      'rxdag_runs_total{"tenant":"globex","outcome":"cancelled"} 0',
      'rxdag_runs_total{"tenant":"globex","outcome":"failed"} 1',
      'rxdag_runs_total{"tenant":"globex","outcome":"succeeded"} 0',
    ]);
    const durations = await valuesOf(registry, 'rxdag_attempt_duration_seconds');
    expect(durations.filter((line) => line.includes('_count'))).toEqual([
      'rxdag_attempt_duration_seconds_count{"tenant":"acme","agent":"work"} 4',
      'rxdag_attempt_duration_seconds_count{"tenant":"globex","agent":"work"} 2',
    ]);
    expect(durations).toContain('rxdag_attempt_duration_seconds_bucket{"le":"+Inf","tenant":"globex","agent":"work"} 2');
    const waits = await valuesOf(registry, 'rxdag_queue_wait_seconds');
    expect(waits.filter((line) => line.includes('_count'))).toEqual([
      'rxdag_queue_wait_seconds_count{"tenant":"acme","agent":"work"} 4',
      'rxdag_queue_wait_seconds_count{"tenant":"globex","agent":"work"} 2',
    ]);
    const text = await registry.metrics();
    expect(text).toContain('rxdag_tasks_total{tenant="acme",agent="work",outcome="completed"} 4');
    expect(text).toContain('rxdag_running_tasks{tenant="globex"} 0');
    expect(warn).not.toHaveBeenCalled();
  });

  it('should count the running and ready tasks of each tenant apart, back to 0 when their runs end', async () => {
    const registry = new Registry();
    const dag = (id: string, taskIds: string[]) => defineDag({ id, tasks: taskIds.map((taskId) => ({ id: taskId, agent: 'work' })) });
    const gauges = () =>
      Promise.all(
        ['acme', 'globex'].flatMap((tenant) => [
          valueOf(registry, 'rxdag_running_tasks', { tenant }),
          valueOf(registry, 'rxdag_ready_tasks', { tenant }),
        ]),
      );
    let midRun: Promise<unknown> | undefined;
    inVirtualTime(({ cold }, ts) => {
      const scheduler = createScheduler({
        scheduler: ts,
        healthCheckIntervalMs: 0,
        maxConcurrency: 2,
        agents: { work: () => cold('----------(x|)') },
      });
      collectMetrics(scheduler.events$, { registry, runLabels: byTenant });
      scheduler.submit(dag('three', ['x', 'y', 'z']), { runId: 'acme:1' }).subscribe();
      scheduler.submit(dag('two', ['v', 'w']), { runId: 'globex:1' }).subscribe();
      // frame 5: acme runs x and y (z waits), globex's v and w wait for a slot
      ts.schedule(() => (midRun = gauges()), 5);
    });
    expect(await midRun).toEqual([2, 1, 0, 2]);
    expect(await gauges()).toEqual([0, 0, 0, 0]);
  });

  it('should ask a run’s labels once, and ask again for a run id used anew after its run ended', async () => {
    const registry = new Registry();
    const tenantOf = new Map([['r1', 'acme']]);
    const of = jest.fn((runId: string) => ({ tenant: tenantOf.get(runId) }));
    const events = new Subject<DagEvent>();
    collectMetrics(events, { registry, runLabels: { names: ['tenant'], of } });
    const seen = virtualRun({ listen: (events$) => events$.subscribe(events) });
    expect(of.mock.calls).toEqual([['r1']]); // once for the whole run, not once per event
    expect(seen.length).toBeGreaterThan(10);
    tenantOf.set('r1', 'globex');
    virtualRun({ listen: (events$) => events$.subscribe(events) });
    expect(of.mock.calls).toEqual([['r1'], ['r1']]);
    expect(await valuesOf(registry, 'rxdag_runs_total')).toEqual([
      'rxdag_runs_total{"tenant":"acme","outcome":"cancelled"} 0',
      'rxdag_runs_total{"tenant":"acme","outcome":"failed"} 1',
      'rxdag_runs_total{"tenant":"acme","outcome":"succeeded"} 0',
      'rxdag_runs_total{"tenant":"globex","outcome":"cancelled"} 0',
      'rxdag_runs_total{"tenant":"globex","outcome":"failed"} 1',
      'rxdag_runs_total{"tenant":"globex","outcome":"succeeded"} 0',
    ]);
  });

  it('should ask the labels of a run whose start the stream did not show at the first event it shows', async () => {
    const registry = new Registry();
    const of = jest.fn((runId: string) => ({ tenant: runId.split(':')[0] }));
    const events = new Subject<DagEvent>();
    collectMetrics(events, { registry, runLabels: { names: ['tenant'], of } });
    events.next(make.runResumed({ runId: 'acme:old', seq: 9, at: 0, resumedAfterSeq: 8, interrupted: ['a'] }));
    events.next(make.taskStarted({ runId: 'acme:old', seq: 10, at: 1, taskId: 'a', attempt: 1, agent: 'work' }));
    events.next(make.taskStarted({ runId: 'globex:late', seq: 4, at: 1, taskId: 'b', attempt: 1, agent: 'work' }));
    expect(of.mock.calls).toEqual([['acme:old'], ['globex:late']]);
    expect(await valueOf(registry, 'rxdag_running_tasks', { tenant: 'acme' })).toBe(1);
    expect(await valueOf(registry, 'rxdag_running_tasks', { tenant: 'globex' })).toBe(1);
    events.next(completed('acme:old', 11));
    events.next(completed('initech:unseen', 3)); // only its end: asked there, counted under its tenant
    expect(of.mock.calls).toEqual([['acme:old'], ['globex:late'], ['initech:unseen']]);
    expect(await valueOf(registry, 'rxdag_running_tasks', { tenant: 'acme' })).toBe(0);
    expect(await valueOf(registry, 'rxdag_runs_total', { tenant: 'initech', outcome: 'succeeded' })).toBe(1);
  });

  it('should give a label no string is given for the value "", and report values that are not strings', async () => {
    const registry = new Registry();
    const answers: Record<string, ReturnType<RunLabels['of']>> = {
      none: undefined,
      missing: { tenant: 'acme' },
      wrong: { tenant: 'acme', team: 7 as unknown as string },
    };
    const events = new Subject<DagEvent>();
    collectMetrics(events, { registry, runLabels: { names: ['tenant', 'team'], of: (runId) => answers[runId] } });
    for (const runId of Object.keys(answers)) events.next(completed(runId, 1));
    expect(await valuesOf(registry, 'rxdag_runs_total')).toEqual([
      'rxdag_runs_total{"tenant":"","team":"","outcome":"cancelled"} 0',
      'rxdag_runs_total{"tenant":"","team":"","outcome":"failed"} 0',
      'rxdag_runs_total{"tenant":"","team":"","outcome":"succeeded"} 1',
      'rxdag_runs_total{"tenant":"acme","team":"","outcome":"cancelled"} 0',
      'rxdag_runs_total{"tenant":"acme","team":"","outcome":"failed"} 0',
      'rxdag_runs_total{"tenant":"acme","team":"","outcome":"succeeded"} 2',
    ]);
    expect(warn.mock.calls).toEqual([
      ['rxdag/prometheus: `runLabels.of` gave run "wrong" values that are not strings (team: 7); those labels are ""'],
    ]);
  });

  it('should count a run under "" when `of` throws, warn once for it, and go on with the run and the metrics', async () => {
    const registry = new Registry();
    const failure = new Error('tenant store down');
    const of = jest.fn((): Record<string, string> => {
      throw failure;
    });
    const seen = virtualRun({ listen: (events$) => collectMetrics(events$, { registry, runLabels: { names: ['tenant'], of } }) });
    expect(seen.at(-1)).toMatchObject({ type: 'dag.completed', outcome: 'failed' });
    expect(of).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls).toEqual([['rxdag/prometheus: `runLabels.of` threw for run "r1"; its run labels are ""', failure]]);
    expect(await valueOf(registry, 'rxdag_runs_total', { tenant: '', outcome: 'failed' })).toBe(1);
    expect(await valueOf(registry, 'rxdag_attempts_total', { tenant: '', agent: 'work', outcome: 'completed' })).toBe(2);
  });

  it('should go on counting the next runs after `of` threw for one', async () => {
    const registry = new Registry();
    const events = new Subject<DagEvent>();
    const of = (runId: string) => {
      if (runId === 'broken') throw new Error('no tenant');
      return { tenant: 'acme' };
    };
    const collecting = collectMetrics(events, { registry, runLabels: { names: ['tenant'], of } });
    events.next(completed('broken', 1));
    events.next(completed('fine', 1));
    expect(collecting.closed).toBe(false);
    expect(await valueOf(registry, 'rxdag_runs_total', { tenant: '', outcome: 'succeeded' })).toBe(1);
    expect(await valueOf(registry, 'rxdag_runs_total', { tenant: 'acme', outcome: 'succeeded' })).toBe(1);
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('should report an answer of `of` that is not an object of values, and count its run under ""', async () => {
    const registry = new Registry();
    const answers: Record<string, unknown> = { text: 'acme', promise: Promise.resolve({ tenant: 'acme' }) };
    const events = new Subject<DagEvent>();
    collectMetrics(events, { registry, runLabels: { names: ['tenant'], of: (runId) => answers[runId] as never } });
    events.next(completed('text', 1));
    events.next(completed('promise', 1));
    expect(warn.mock.calls).toEqual([
      [
        'rxdag/prometheus: `runLabels.of` must return an object of label values or undefined (got "acme" for run "text"); its run labels are ""',
      ],
      [
        'rxdag/prometheus: `runLabels.of` must return an object of label values or undefined (got a promise for run "promise"): return the values themselves; its run labels are ""',
      ],
    ]);
    expect(await valueOf(registry, 'rxdag_runs_total', { tenant: '', outcome: 'succeeded' })).toBe(2);
  });

  it('should ask nothing and add no label for `names: []`', async () => {
    const registry = new Registry();
    const of = jest.fn(() => ({}));
    virtualRun({ listen: (events$) => collectMetrics(events$, { registry, runLabels: { names: [], of } }) });
    expect(of).not.toHaveBeenCalled();
    expect(await valueOf(registry, 'rxdag_runs_total', { outcome: 'failed' })).toBe(1);
    expect(await valueOf(registry, 'rxdag_running_tasks')).toBe(0);
  });

  it('should refuse label names that are rxdag’s own, not Prometheus label names, or repeated, naming each, and register nothing', () => {
    const registry = new Registry();
    const of = () => undefined;
    expect(() =>
      collectMetrics(NEVER, { registry, runLabels: { names: ['tenant', 'agent', '9lives', '__x', 'le', 'tenant', 'outcome'], of } }),
    ).toThrow(
      new TypeError(
        [
          '`runLabels.names`: "agent" is a label of rxdag\'s own (agent, outcome, le): choose another name',
          '`runLabels.names`: "9lives" is not a Prometheus label name (letters, digits and _, not a digit first)',
          '`runLabels.names`: "__x" starts with __, which Prometheus keeps for itself',
          '`runLabels.names`: "le" is a label of rxdag\'s own (agent, outcome, le): choose another name',
          '`runLabels.names`: "tenant" is given more than once',
          '`runLabels.names`: "outcome" is a label of rxdag\'s own (agent, outcome, le): choose another name',
        ].join('; '),
      ),
    );
    expect(() => collectMetrics(NEVER, { registry, runLabels: { names: ['tenant-id'], of } })).toThrow(
      /"tenant-id" is not a Prometheus label name/,
    );
    expect(() => collectMetrics(NEVER, { registry, runLabels: { names: 'tenant', of } as never })).toThrow(
      new TypeError('`runLabels.names` must be an array of label names (got "tenant")'),
    );
    expect(() => collectMetrics(NEVER, { registry, runLabels: { names: ['tenant'], of: { tenant: 'acme' } } as never })).toThrow(
      new TypeError('`runLabels.of` must be a function (runId) => label values | undefined (got an object)'),
    );
    expect(() => collectMetrics(NEVER, { registry, runLabels: ['tenant'] as never })).toThrow(
      new TypeError(
        '`runLabels.names` must be an array of label names (got nothing); `runLabels.of` must be a function (runId) => label values | undefined (got nothing)',
      ),
    );
    expect(() => collectMetrics(NEVER, { registry, runLabels: 'tenant' as never })).toThrow(
      new TypeError('`runLabels` must be an object { names, of } (got "tenant")'),
    );
    expect(registry.getMetricsAsArray()).toHaveLength(0);
  });

  it('should refuse other label names than the metrics of the registry and prefix have, and share them for the same names', async () => {
    const registry = new Registry();
    collectMetrics(NEVER, { registry, runLabels: { names: ['tenant', 'team'], of: () => undefined } });
    const message =
      'the metrics "rxdag_*" of this registry have the run labels tenant, team, not region: give every collectMetrics of a registry and prefix the same `runLabels.names`, or give this one another `registry` or `prefix`';
    expect(() => collectMetrics(NEVER, { registry, runLabels: { names: ['region'], of: () => undefined } })).toThrow(
      new TypeError(message),
    );
    expect(() => collectMetrics(NEVER, { registry })).toThrow(/have the run labels tenant, team, not none:/);
    expect(() =>
      collectMetrics(NEVER, { registry, prefix: 'regional_', runLabels: { names: ['region'], of: () => undefined } }),
    ).not.toThrow();
    // the same names in another order: the same series, in the metrics' order
    const events = new Subject<DagEvent>();
    collectMetrics(events, { registry, runLabels: { names: ['team', 'tenant'], of: () => ({ team: 'ops', tenant: 'acme' }) } });
    events.next(completed('r', 1));
    expect(await valueOf(registry, 'rxdag_runs_total', { tenant: 'acme', team: 'ops', outcome: 'succeeded' })).toBe(1);
  });
});
