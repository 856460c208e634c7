import { DagValidationError, type DagEvent, defineDag, runDag, type TaskSpec } from '../../src';
import { dagSpecOf } from '../../src/dag/specOf';
import { inVirtualTime, scheduling, timeline } from '../helpers';

/**
 * A task's own units of each limit (`limits: { api: 1, tokens: 3000 }`): one call at a time and
 * 3,000 tokens of a rate window, where a list of names would take the task's weight of both.
 */

const starts = (events: DagEvent[]) => timeline(events, scheduling).filter((line) => line.includes('started'));

function run(tasks: TaskSpec[], options: Parameters<typeof runDag>[1], marble = '-(x|)'): DagEvent[] {
  const events: DagEvent[] = [];
  inVirtualTime(({ cold }, scheduler) =>
    runDag(defineDag({ id: 'units', tasks }), {
      healthCheckIntervalMs: 0,
      scheduler,
      agents: { llm: () => cold(marble) },
      ...options,
    }).subscribe((e) => events.push(e)),
  );
  return events;
}

const TOKENS = { calls: { concurrency: 2 }, tokens: { rate: { limit: 10_000, intervalMs: 60 } } } as const;

describe('units of a limit given per limit', () => {
  it('should take each limit its own units: a token budget by tokens, calls one at a time', () => {
    const events = run(
      [
        { id: 'long', agent: 'llm', limits: { calls: 1, tokens: 6000 } },
        { id: 'short-1', agent: 'llm', limits: { calls: 1, tokens: 3000 } },
        { id: 'short-2', agent: 'llm', limits: { calls: 1, tokens: 3000 } },
        { id: 'short-3', agent: 'llm', limits: { calls: 1, tokens: 1000 } },
      ],
      { maxConcurrency: 10, limits: TOKENS },
      '--(x|)',
    );
    // two calls at once, and 6000 + 3000 tokens fit in the window; the next 3000 do not until the
    // first starts leave it at 60, though a call is free at 2 (with a list of names, each task
    // would take its weight, 1, of the token budget: all four would start by 2). The 1000 tokens
    // queued behind it wait with it: a task taking many units is not overtaken
    expect(starts(events)).toEqual(['0 started:long', '0 started:short-1', '60 started:short-2', '60 started:short-3']);
  });

  it('should leave the task its weight of maxConcurrency and of its agent, whatever units it takes of a limit', () => {
    const events = run(
      [
        { id: 'a', agent: 'llm', limits: { tokens: 5000 } },
        { id: 'b', agent: 'llm', limits: { tokens: 5000 } },
      ],
      { maxConcurrency: 2, limits: TOKENS },
    );
    expect(starts(events)).toEqual(['0 started:a', '0 started:b']);
  });

  it('should refuse a task taking more units of a limit than it allows, at the limit it names', () => {
    const dag = defineDag({ id: 'heavy', tasks: [{ id: 'essay', agent: 'llm', limits: { calls: 1, tokens: 20_000 } }] });
    const refused = (() => {
      try {
        runDag(dag, { agents: { llm: () => Promise.resolve() }, limits: TOKENS });
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(refused).toBeInstanceOf(DagValidationError);
    expect((refused as DagValidationError).issues).toEqual([
      {
        path: ['tasks', 0, 'limits', 'tokens'],
        code: 'too-heavy',
        message: 'task "essay" takes 20000 units of limit "tokens", more than it allows (rate limit 10000 per 60 ms): it could never start',
      },
    ]);
  });

  it('should name an undeclared limit of a mapping at its key', () => {
    const dag = defineDag({ id: 'unknown', tasks: [{ id: 'a', agent: 'llm', limits: { calls: 1, tokenz: 5 } }] });
    expect(() => runDag(dag, { agents: { llm: () => Promise.resolve() }, limits: TOKENS })).toThrow(
      expect.objectContaining({ issues: [expect.objectContaining({ path: ['tasks', 0, 'limits', 'tokenz'], code: 'unknown-limit' })] }),
    );
  });

  it.each([
    [{ tokens: 0 }, ['tasks', 0, 'limits', 'tokens'], 'must be at least 1 (leave out a limit the task does not need)'],
    [{ tokens: 1.5 }, ['tasks', 0, 'limits', 'tokens'], 'must be an integer'],
    [{ tokens: '5' }, ['tasks', 0, 'limits', 'tokens'], 'expected a positive integer number of units'],
    [{ '': 1 }, ['tasks', 0, 'limits', ''], 'invalid limit name "": must not be empty'],
    [
      5,
      ['tasks', 0, 'limits'],
      'expected a list of limit names (`[api]`) or a mapping of limit names to the units the task takes of each (`{ api: 1, tokens: 3000 }`)',
    ],
    [['a', 'a'], ['tasks', 0, 'limits', 1], 'names limit "a" twice'],
  ])('should refuse limits %j, saying what is wrong where', (limits, path, message) => {
    expect(() => defineDag({ id: 'bad', tasks: [{ id: 'a', agent: 'llm', limits: limits as TaskSpec['limits'] }] })).toThrow(
      expect.objectContaining({ issues: [expect.objectContaining({ path, message: expect.stringContaining(message) })] }),
    );
  });

  it("should show each limit's units on the task, its weight for a list of names", () => {
    const dag = defineDag({
      id: 'tasks',
      defaults: { limits: ['calls'] },
      tasks: [
        { id: 'listed', agent: 'llm', weight: 2 },
        { id: 'mapped', agent: 'llm', weight: 2, limits: { calls: 1, tokens: 3000 } },
        { id: '__proto__', agent: 'llm', limits: { ['__proto__']: 3 } },
      ],
    });
    expect(dag.tasks.map((task) => [task.limits, task.limitUnits])).toEqual([
      [['calls'], { calls: 2 }],
      [['calls', 'tokens'], { calls: 1, tokens: 3000 }],
      [['__proto__'], Object.fromEntries([['__proto__', 3]])],
    ]);
  });

  it('should write the mapping back into the DAG spec, so a journal or a spawn keeps it', () => {
    const spec = {
      id: 'round-trip',
      defaults: { limits: { tokens: 100 } },
      tasks: [
        { id: 'default', agent: 'llm' },
        { id: 'own', agent: 'llm', limits: { calls: 1, tokens: 3000 } },
        { id: 'listed', agent: 'llm', limits: ['tokens'] },
        { id: 'none', agent: 'llm', limits: [] },
      ],
    };
    const written = dagSpecOf(defineDag(spec));
    expect(written.tasks.map((task) => task.limits)).toEqual([undefined, { calls: 1, tokens: 3000 }, ['tokens'], []]);
    expect(defineDag(JSON.parse(JSON.stringify(written)) as typeof spec).tasks.map((task) => task.limitUnits)).toEqual([
      { tokens: 100 },
      { calls: 1, tokens: 3000 },
      { tokens: 1 },
      {},
    ]);
  });
});
