import { type DagEvent, type DagSpec, defineDag, type LimitSpec, runDag, type TaskContext } from '../../../src/index';
import { type RunSetup, runSetupOf, type TaskSetup } from '../../../src/cli/output/runSetup';
import { waitTitle } from '../../../src/cli/report/waitText';
import { buildRunModel } from '../../../src/cli/report/runModel';
import type { WaitContext } from '../../../src/cli/report/taskWaits';
import { inVirtualTime } from '../../support/virtualTime';
import { eventsOf } from '../support/eventBuilder';
import { rateRun, slotWaits, succeededAt as done } from './waitRuns';

/** A run's setup as the DAG file would give it: its limits, and what tasks ask of them. */
function setupOf(limits: Record<string, LimitSpec>, tasks: Record<string, TaskSetup> = {}): RunSetup {
  return { limits, tasks: new Map(Object.entries(tasks)) };
}

/** What the timeline says each task that did not start at once waited for. */
function waits(events: readonly DagEvent[], context: WaitContext): Record<string, string> {
  const model = buildRunModel(events, context);
  return Object.fromEntries(model.tasks.flatMap((task) => (task.wait === undefined ? [] : [[task.id, waitTitle(task.id, task.wait)]])));
}

/** Of `record`, the entries of `keys` only. */
function pick(record: Record<string, string>, keys: readonly string[]): Record<string, string | undefined> {
  return Object.fromEntries(keys.map((key) => [key, record[key]]));
}

const rateSetup = setupOf({ api: { rate: { limit: 1, intervalMs: 500 } } }, { a: { limits: ['api'] }, b: { limits: ['api'] } });

/**
 * -c 2, no named limit: `c` waits while `a` and `b` hold both slots and starts as `a` ends; `d`
 * starts 2 ms after it is ready with a slot free.
 */
const fullRun = eventsOf(
  { type: 'dag.created', at: 0, dagId: 'full', taskCount: 4 },
  ...slotWaits,
  { type: 'task.completed', at: 95, taskId: 'd', attempt: 1, durationMs: 43 },
  done(95, 4),
);

describe('what the report says a task waited for', () => {
  it('should name a rate limit that held a task back, not the concurrency limit', () => {
    const expected = { b: 'b: waited 500 ms for limit api (its rate: 1 per 500 ms), started 1 ms later' };
    expect(waits(rateRun, { setup: rateSetup })).toEqual(expected);
    expect(waits(rateRun, { setup: rateSetup, maxConcurrency: 8 })).toEqual(expected);
  });

  it('should tell when a rate window had room from the units started in it, counting weights', () => {
    // 4 units a second: a and b (2 each) fill the window before c and d are ready; c (1) has room
    // when a leaves the window, d (2) only when b does, c's start being in the window then
    const setup = setupOf(
      { api: { rate: { limit: 4, intervalMs: 1000 } } },
      { a: { limits: ['api'], weight: 2 }, b: { limits: ['api'], weight: 2 }, c: { limits: ['api'] }, d: { limits: ['api'], weight: 2 } },
    );
    const events = eventsOf(
      { type: 'dag.created', at: 0, dagId: 'rate', taskCount: 4 },
      { type: 'task.ready', at: 0, taskId: 'a', attempt: 1 },
      { type: 'task.started', at: 0, taskId: 'a', attempt: 1, agent: 'sleep' },
      { type: 'task.ready', at: 100, taskId: 'b', attempt: 1 },
      { type: 'task.started', at: 100, taskId: 'b', attempt: 1, agent: 'sleep' },
      { type: 'task.ready', at: 150, taskId: 'c', attempt: 1 },
      { type: 'task.ready', at: 150, taskId: 'd', attempt: 1 },
      { type: 'task.completed', at: 200, taskId: 'a', attempt: 1, durationMs: 200 },
      { type: 'task.completed', at: 300, taskId: 'b', attempt: 1, durationMs: 200 },
      { type: 'task.started', at: 1000, taskId: 'c', attempt: 1, agent: 'sleep' },
      { type: 'task.completed', at: 1010, taskId: 'c', attempt: 1, durationMs: 10 },
      { type: 'task.started', at: 1102, taskId: 'd', attempt: 1, agent: 'sleep' },
      { type: 'task.completed', at: 1110, taskId: 'd', attempt: 1, durationMs: 8 },
      done(1110, 4),
    );
    expect(waits(events, { setup, maxConcurrency: 8 })).toEqual({
      c: 'c: waited 850 ms for limit api (its rate: 4 per second)',
      d: 'd: waited 950 ms for limit api (its rate: 4 per second, it takes 2 units), started 2 ms later',
    });
  });

  it("should name a limit's concurrency with what held it, counting weights", () => {
    // api allows 2 at once: c waits for a, the heavier d (weight 2) for both of b and c; e names no limit
    const setup = setupOf(
      { api: { concurrency: 2 } },
      { a: { limits: ['api'] }, b: { limits: ['api'] }, c: { limits: ['api'] }, d: { limits: ['api'], weight: 2 } },
    );
    const events = eventsOf(
      { type: 'dag.created', at: 0, dagId: 'conc', taskCount: 5 },
      ...(['a', 'b', 'c', 'd', 'e'] as const).map((taskId) => ({ type: 'task.ready' as const, at: 0, taskId, attempt: 1 })),
      { type: 'task.started', at: 0, taskId: 'a', attempt: 1, agent: 'sleep' },
      { type: 'task.started', at: 0, taskId: 'b', attempt: 1, agent: 'sleep' },
      { type: 'task.started', at: 3, taskId: 'e', attempt: 1, agent: 'sleep' },
      { type: 'task.completed', at: 13, taskId: 'e', attempt: 1, durationMs: 10 },
      { type: 'task.completed', at: 50, taskId: 'a', attempt: 1, durationMs: 50 },
      { type: 'task.started', at: 50, taskId: 'c', attempt: 1, agent: 'sleep' },
      { type: 'task.completed', at: 60, taskId: 'c', attempt: 1, durationMs: 10 },
      { type: 'task.completed', at: 80, taskId: 'b', attempt: 1, durationMs: 80 },
      { type: 'task.started', at: 80, taskId: 'd', attempt: 1, agent: 'sleep' },
      { type: 'task.completed', at: 90, taskId: 'd', attempt: 1, durationMs: 10 },
      done(90, 5),
    );
    expect(waits(events, { setup, maxConcurrency: 8 })).toEqual({
      c: 'c: waited 50 ms for limit api (its concurrency: 2, 2 running)',
      d: 'd: waited 80 ms for limit api (its concurrency: 2, 1 running, it takes 2 units)',
      e: 'e: dispatch latency 3 ms (ready → started; no slot was short)',
    });
  });

  it('should name what made room last when more than one thing was short', () => {
    // api: 1 at once, 2 a window of 300 ms. c waits for b to end, then for a to leave the window;
    // d waits for the window (c's start fills it until 323), then for c to end at 324
    const setup = setupOf(
      { api: { concurrency: 1, rate: { limit: 2, intervalMs: 300 } } },
      Object.fromEntries(['a', 'b', 'c', 'd'].map((id) => [id, { limits: ['api'] }])),
    );
    const events = eventsOf(
      { type: 'dag.created', at: 0, dagId: 'both', taskCount: 4 },
      ...(['a', 'b', 'c', 'd'] as const).map((taskId) => ({ type: 'task.ready' as const, at: 0, taskId, attempt: 1 })),
      { type: 'task.started', at: 0, taskId: 'a', attempt: 1, agent: 'sleep' },
      { type: 'task.completed', at: 23, taskId: 'a', attempt: 1, durationMs: 23 },
      { type: 'task.started', at: 23, taskId: 'b', attempt: 1, agent: 'sleep' },
      { type: 'task.completed', at: 44, taskId: 'b', attempt: 1, durationMs: 21 },
      { type: 'task.started', at: 302, taskId: 'c', attempt: 1, agent: 'sleep' },
      { type: 'task.completed', at: 324, taskId: 'c', attempt: 1, durationMs: 22 },
      { type: 'task.started', at: 324, taskId: 'd', attempt: 1, agent: 'sleep' },
      { type: 'task.completed', at: 345, taskId: 'd', attempt: 1, durationMs: 21 },
      done(345, 4),
    );
    expect(waits(events, { setup })).toEqual({
      b: 'b: waited 23 ms for limit api (its concurrency: 1, 1 running)',
      c: 'c: waited 300 ms for limit api (its rate: 2 per 300 ms), started 2 ms later',
      d: 'd: waited 324 ms for limit api (its concurrency: 1, 1 running)',
    });
  });

  it("should say a task waited for a free slot when the run's concurrency is known and its slots were full, counting weights", () => {
    // -c 4: a (weight 3) and b hold all 4; c has room when b ends, d (weight 2) only when a does
    const setup = setupOf({}, { a: { weight: 3 }, d: { weight: 2 } });
    const events = eventsOf(
      { type: 'dag.created', at: 0, dagId: 'weights', taskCount: 4 },
      ...(['a', 'b', 'c', 'd'] as const).map((taskId) => ({ type: 'task.ready' as const, at: 0, taskId, attempt: 1 })),
      { type: 'task.started', at: 0, taskId: 'a', attempt: 1, agent: 'sleep' },
      { type: 'task.started', at: 0, taskId: 'b', attempt: 1, agent: 'sleep' },
      { type: 'task.completed', at: 40, taskId: 'b', attempt: 1, durationMs: 40 },
      { type: 'task.started', at: 40, taskId: 'c', attempt: 1, agent: 'sleep' },
      { type: 'task.completed', at: 100, taskId: 'a', attempt: 1, durationMs: 100 },
      { type: 'task.started', at: 100, taskId: 'd', attempt: 1, agent: 'sleep' },
      { type: 'task.completed', at: 110, taskId: 'c', attempt: 1, durationMs: 70 },
      { type: 'task.completed', at: 120, taskId: 'd', attempt: 1, durationMs: 20 },
      done(120, 4),
    );
    expect(waits(events, { setup, maxConcurrency: 4 })).toEqual({
      c: "c: waited 40 ms for a free slot (the run's concurrency: 4, 2 running weighing 4)",
      d: "d: waited 100 ms for a free slot (the run's concurrency: 4, 2 running weighing 4, it weighs 2)",
    });
    // with room for one more, c did not wait for a slot: the report does not say it did
    expect(waits(events, { setup, maxConcurrency: 5 })).toMatchObject({
      c: 'c: dispatch latency 40 ms (ready → started; no slot was short)',
    });
  });

  it('should say a task waited while the run kept slots for a heavier task, from a real run', () => {
    // -c 4: a (2) and b (1) run first; big (3) does not fit and gets the hold; small (1) would
    // fit beside a and b but waits until big starts as they end, then starts with it
    const spec = {
      id: 'hold',
      tasks: [
        { id: 'a', agent: 'x', weight: 2, priority: 20 },
        { id: 'b', agent: 'x', priority: 20 },
        { id: 'big', agent: 'x', weight: 3, priority: 10 },
        { id: 'small', agent: 'x' },
      ],
    };
    const events: DagEvent[] = [];
    inVirtualTime(({ cold }, ts) => {
      runDag(defineDag(spec), {
        scheduler: ts,
        maxConcurrency: 4,
        healthCheckIntervalMs: 0,
        agents: { x: ({ id }: TaskContext) => cold(id === 'a' || id === 'b' ? '100ms (v|)' : '10ms (v|)', { v: id }) },
      }).subscribe((event) => events.push(event));
    });
    const started = Object.fromEntries(events.flatMap((e) => (e.type === 'task.started' ? [[e.taskId, e.at]] : [])));
    expect(started).toEqual({ a: 0, b: 0, big: 100, small: 100 });
    expect(waits(events, { setup: runSetupOf(spec, undefined), maxConcurrency: 4 })).toEqual({
      big: "big: waited 100 ms for a free slot (the run's concurrency: 4, 2 running weighing 3, it weighs 3)",
      small: "small: waited 100 ms while the run kept slots for heavier task big (it weighs 3; the run's concurrency: 4)",
    });
    // an events log read without the run's concurrency: the same, in the words of the most it held
    expect(waits(events, { setup: runSetupOf(spec, undefined) })).toEqual({
      big: 'big: waited 100 ms until an attempt ended (2 running weighing 3, it weighs 3; the run never held more than 4 at once: perhaps its concurrency limit)',
      small:
        'small: waited 100 ms while the run kept slots for heavier task big (it weighs 3; the run never held more than 4 at once: perhaps its concurrency limit)',
    });
  });

  it('should say a task perhaps waited while a limit was kept for a heavier task that waited too, from a real run', () => {
    // summary (tokens 8, api 1) is short of tokens until 300 and holds; the light tasks, of a lower
    // priority, take api only while it has room for summary too: light-2 waits for light-1 to leave
    // the api window though api alone had room for it: nothing full explains its wait
    const spec: DagSpec = {
      id: 'kept',
      tasks: [
        { id: 'tokens-hog', agent: 'x', limits: { tokens: 10 } },
        { id: 'gate', agent: 'x' },
        { id: 'summary', agent: 'x', deps: ['gate'], limits: { api: 1, tokens: 8 } },
        { id: 'late-gate', agent: 'x' },
        ...['light-1', 'light-2'].map((id) => ({ id, agent: 'x', deps: ['late-gate'], limits: ['api'], priority: -1 })),
      ],
    };
    const limits = { api: { rate: { limit: 2, intervalMs: 100 } }, tokens: { rate: { limit: 10, intervalMs: 300 } } };
    const events: DagEvent[] = [];
    inVirtualTime(({ cold }, ts) => {
      runDag(defineDag(spec), {
        scheduler: ts,
        limits,
        healthCheckIntervalMs: 0,
        agents: { x: ({ id }: TaskContext) => cold(id === 'gate' ? '3ms (v|)' : id === 'late-gate' ? '5ms (v|)' : '1ms (v|)', { v: id }) },
      }).subscribe((event) => events.push(event));
    });
    const started = Object.fromEntries(events.flatMap((e) => (e.type === 'task.started' ? [[e.taskId, e.at]] : [])));
    expect(started).toMatchObject({ summary: 300, 'light-1': 5, 'light-2': 105 });
    expect(waits(events, { setup: runSetupOf(spec, limits), maxConcurrency: 8 })).toMatchObject({
      'light-2':
        'light-2: waited 100 ms (ready → started; nothing it needs was full), perhaps while limit api was kept for task summary (it takes more than one unit and waited too: a heavy task is not starved by lighter ones)',
      summary: 'summary: waited 297 ms for limit tokens (its rate: 10 per 300 ms, it takes 8 units)',
    });
    // had the light tasks gone before summary (a higher priority), nothing would have been kept from them
    const higher = { ...spec, tasks: spec.tasks.map((task) => (task.id.startsWith('light') ? { ...task, priority: 1 } : task)) };
    expect(waits(events, { setup: runSetupOf(higher, limits), maxConcurrency: 8 })).toMatchObject({
      'light-2': 'light-2: dispatch latency 100 ms (ready → started; no slot was short)',
    });
    // unless summary inherits a higher one from what depends on it: it is held for all the same
    const inherited = { ...higher, tasks: [...higher.tasks, { id: 'publish', agent: 'x', deps: ['summary'], priority: 2 }] };
    expect(waits(events, { setup: runSetupOf(inherited, limits), maxConcurrency: 8 })['light-2']).toMatch(
      /^light-2: waited 100 ms \(ready → started; nothing it needs was full\), perhaps while limit api was kept for task summary/,
    );
  });

  it("should only say a run was as busy as it ever was when the run's concurrency is not known", () => {
    expect(waits(fullRun, { setup: setupOf({}) })).toEqual({
      c: 'c: waited 50 ms until an attempt ended (2 running; the run never held more than 2 at once: perhaps its concurrency limit)',
      d: 'd: dispatch latency 2 ms (ready → started; no slot was short)',
    });
    expect(waits(fullRun, { setup: setupOf({}), maxConcurrency: 2 })).toMatchObject({
      c: "c: waited 50 ms for a free slot (the run's concurrency: 2, 2 running)",
    });
  });

  it("should not guess without the DAG's limits, but still tell a full run and a full agent kind", () => {
    expect(waits(rateRun, {})).toEqual({
      b: "b: waited 501 ms (ready → started; without the DAG's limits the report cannot tell what for)",
    });
    // weights unknown: its 2 running attempts hold at least 2 units, all the run has
    expect(waits(fullRun, { maxConcurrency: 2 })).toEqual({
      c: "c: waited 50 ms for a free slot (the run's concurrency: 2, 2 running)",
      d: "d: waited 2 ms (ready → started; without the DAG's limits the report cannot tell what for)",
    });
    const agentRun = eventsOf(
      { type: 'dag.created', at: 0, dagId: 'agent', taskCount: 2 },
      { type: 'task.ready', at: 0, taskId: 'e', attempt: 1 },
      { type: 'task.ready', at: 0, taskId: 'f', attempt: 1 },
      { type: 'task.started', at: 0, taskId: 'e', attempt: 1, agent: 'llm' },
      { type: 'task.completed', at: 30, taskId: 'e', attempt: 1, durationMs: 30 },
      { type: 'agent.available', at: 30, agent: 'llm' },
      { type: 'task.started', at: 30, taskId: 'f', attempt: 1, agent: 'llm' },
      { type: 'task.completed', at: 40, taskId: 'f', attempt: 1, durationMs: 10 },
      done(40, 2),
    );
    expect(waits(agentRun, {})).toEqual({ f: 'f: waited 30 ms for a free "llm" agent (its capacity was full)' });
  });

  it('should take the limits of a spawned task from its spawn', () => {
    const setup = setupOf({ api: { concurrency: 1 } }, { plan: { limits: ['api'] } });
    const events = eventsOf(
      { type: 'dag.created', at: 0, dagId: 'spawn', taskCount: 1 },
      { type: 'task.ready', at: 0, taskId: 'plan', attempt: 1 },
      { type: 'task.started', at: 0, taskId: 'plan', attempt: 1, agent: 'llm' },
      { type: 'tasks.spawned', at: 5, taskId: 'plan', attempt: 1, tasks: [{ id: 's1', agent: 'sleep', limits: ['api'] }] },
      { type: 'task.ready', at: 5, taskId: 's1', attempt: 1 },
      { type: 'task.completed', at: 20, taskId: 'plan', attempt: 1, durationMs: 20 },
      { type: 'task.started', at: 20, taskId: 's1', attempt: 1, agent: 'sleep' },
      { type: 'task.completed', at: 30, taskId: 's1', attempt: 1, durationMs: 10 },
      done(30, 2),
    );
    expect(waits(events, { setup, maxConcurrency: 8 })).toEqual({ s1: 's1: waited 15 ms for limit api (its concurrency: 1, 1 running)' });
  });

  it('should say a task waited across a stop and resume of its run, and count nothing of the stopped process as running', () => {
    const events = eventsOf(
      { type: 'dag.created', at: 0, dagId: 'resumed', taskCount: 3 },
      { type: 'task.ready', at: 0, taskId: 'a', attempt: 1 },
      { type: 'task.ready', at: 0, taskId: 'b', attempt: 1 },
      { type: 'task.started', at: 0, taskId: 'a', attempt: 1, agent: 'sleep' },
      { type: 'run.resumed', at: 500, resumedAfterSeq: 4, interrupted: ['a'] },
      { type: 'task.ready', at: 500, taskId: 'c', attempt: 1 },
      { type: 'task.started', at: 510, taskId: 'b', attempt: 1, agent: 'sleep' },
      { type: 'task.started', at: 512, taskId: 'c', attempt: 1, agent: 'sleep' },
      { type: 'task.started', at: 515, taskId: 'a', attempt: 1, agent: 'sleep' },
      { type: 'task.completed', at: 600, taskId: 'a', attempt: 1, durationMs: 85 },
      { type: 'task.completed', at: 600, taskId: 'b', attempt: 1, durationMs: 90 },
      { type: 'task.completed', at: 600, taskId: 'c', attempt: 1, durationMs: 88 },
      done(600, 3),
    );
    expect(waits(events, { setup: setupOf({}), maxConcurrency: 2 })).toEqual({
      b: 'b: waited 510 ms (ready → started), across a stop and resume of the run',
      c: 'c: dispatch latency 12 ms (ready → started; no slot was short)',
    });
  });

  it("should judge each part of a resumed run by its own concurrency: the run's as it began, then what its resume says", () => {
    // -c 1: b waits for a; the process dies while b runs; resumed with -c 3: b, c and d run at once, e waits for one of them
    const events = eventsOf(
      { type: 'dag.created', at: 0, dagId: 'changed', taskCount: 5 },
      ...(['a', 'b', 'c', 'd', 'e'] as const).map((taskId) => ({ type: 'task.ready' as const, at: 0, taskId, attempt: 1 })),
      { type: 'task.started', at: 0, taskId: 'a', attempt: 1, agent: 'sleep' },
      { type: 'task.completed', at: 1000, taskId: 'a', attempt: 1, durationMs: 1000 },
      { type: 'task.started', at: 1001, taskId: 'b', attempt: 1, agent: 'sleep' },
      { type: 'run.resumed', at: 5000, resumedAfterSeq: 8, interrupted: ['b'], maxConcurrency: 3 },
      { type: 'task.started', at: 5001, taskId: 'b', attempt: 1, agent: 'sleep' },
      { type: 'task.ready', at: 5001, taskId: 'f', attempt: 1 },
      { type: 'task.started', at: 5001, taskId: 'f', attempt: 1, agent: 'sleep' },
      { type: 'task.ready', at: 5001, taskId: 'g', attempt: 1 },
      { type: 'task.started', at: 5002, taskId: 'g', attempt: 1, agent: 'sleep' },
      { type: 'task.ready', at: 5002, taskId: 'h', attempt: 1 },
      { type: 'task.completed', at: 6000, taskId: 'b', attempt: 1, durationMs: 999 },
      { type: 'task.started', at: 6001, taskId: 'h', attempt: 1, agent: 'sleep' },
      { type: 'task.completed', at: 6100, taskId: 'f', attempt: 1, durationMs: 1099 },
      { type: 'task.completed', at: 6100, taskId: 'g', attempt: 1, durationMs: 1098 },
      { type: 'task.completed', at: 6100, taskId: 'h', attempt: 1, durationMs: 99 },
    );
    const expected = {
      b: "b: waited 1.00 s for a free slot (the run's concurrency: 1, 1 running), started 1 ms later",
      h: "h: waited 998 ms for a free slot (the run's concurrency: 3, 3 running), started 1 ms later",
    };
    expect(pick(waits(events, { setup: setupOf({}), maxConcurrency: 1 }), ['b', 'h'])).toEqual(expected);
    // a resume of an earlier version says no concurrency (it may have had another -c): judged by what that part held
    const earlier = events.map((event) => (event.type === 'run.resumed' ? { ...event, maxConcurrency: undefined } : event));
    expect(pick(waits(earlier, { setup: setupOf({}), maxConcurrency: 1 }), ['b', 'h'])).toEqual({
      b: expected.b,
      h: 'h: waited 998 ms until an attempt ended (3 running; the run never held more than 3 at once: perhaps its concurrency limit), started 1 ms later',
    });
    // the same when the run began with more slots than that part had (resumed with a lower -c)
    expect(waits(earlier, { setup: setupOf({}), maxConcurrency: 8 }).h).toMatch(
      /^h: waited 998 ms until an attempt ended \(3 running; the run never held more than 3/,
    );
    // without the run's concurrency as it began (an events log), its first part is judged by what it held then
    expect(pick(waits(events, { setup: setupOf({}) }), ['b', 'h'])).toEqual({
      b: expect.stringMatching(/^b: waited 1\.00 s .*1 running/),
      h: expected.h,
    });
  });
});
