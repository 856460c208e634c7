import {
  createScheduler,
  type DagIssue,
  DagValidationError,
  defineAgent,
  defineDag,
  type DagSpec,
  runDag,
  type SchedulerOptions,
} from '../../src';
import { runIssues } from '../../src/scheduler/runCheck';

/** The issues `runDag(spec, options)` refuses the run with, as `[path, code, message]`. */
function refusal(spec: DagSpec, options: SchedulerOptions): [string, string, string][] {
  try {
    runDag(defineDag(spec), { agents: { x: () => 1 }, ...options });
  } catch (error) {
    if (error instanceof DagValidationError) return error.issues.map(({ path, code, message }) => [path.join('.'), code, message]);
    throw error;
  }
  throw new Error('expected a DagValidationError');
}

const tasks = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `t${i}`, agent: 'x' }));

describe('the run check of a DAG’s defaults', () => {
  it('should say a problem of the defaults once, at the defaults, however many tasks take them', () => {
    const spec = { id: 'd', defaults: { weight: 10, limits: ['zzz'] }, tasks: tasks(200) };
    const issues = refusal(spec, { maxConcurrency: 4 });
    expect(issues).toEqual([
      ['defaults.limits.0', 'unknown-limit', 'the defaults need limit "zzz", which is not declared; known limits: none'],
      [
        'defaults.weight',
        'too-heavy',
        'the defaults weigh 10, more than `maxConcurrency` 4: the 200 tasks that take the default weight ("t0", "t1", "t2" and 197 more) could never start',
      ],
    ]);
  });

  it('should tell a task that sets the field itself at its own path, next to the defaults’ problem', () => {
    const spec = {
      id: 'd',
      defaults: { weight: 3, limits: ['api'] },
      tasks: [
        { id: 'a', agent: 'x' },
        { id: 'b', agent: 'x', weight: 5 },
        { id: 'c', agent: 'x', limits: ['nope'] },
        { id: 'e', agent: 'x', weight: 1 },
      ],
    };
    expect(refusal(spec, { maxConcurrency: 4, limits: { api: { concurrency: 2 } } })).toEqual([
      [
        'defaults.weight',
        'too-heavy',
        'the defaults weigh 3, more than limit "api" allows (concurrency 2): task "a", which takes the default weight, could never start',
      ],
      ['tasks.1.weight', 'too-heavy', 'task "b" weighs 5, more than limit "api" allows (concurrency 2): it could never start'],
      ['tasks.1.weight', 'too-heavy', 'task "b" weighs 5, more than `maxConcurrency` 4: it could never start'],
      ['tasks.2.limits.0', 'unknown-limit', 'task "c" needs limit "nope", which is not declared; known limits: "api"'],
    ]);
  });

  it('should say the defaults’ units of a limit at its key in their mapping, and a weight too heavy for each agent once', () => {
    const spec = {
      id: 'd',
      defaults: { weight: 3, limits: { tokens: 6000 } },
      tasks: [
        { id: 'a', agent: 'x' },
        { id: 'b', agent: 'small' },
        { id: 'c', agent: 'small' },
      ],
    };
    const small = defineAgent({ capacity: 2, run: () => 1 });
    expect(
      refusal(spec, {
        agents: { x: () => 1, small },
        maxConcurrency: 8,
        limits: { tokens: { rate: { limit: 5000, intervalMs: 60_000 } } },
      }),
    ).toEqual([
      [
        'defaults.limits.tokens',
        'too-heavy',
        'the defaults take 6000 units of limit "tokens", more than it allows (rate limit 5000 per 60000 ms): the 3 tasks that take the default limits ("a", "b", "c") could never start',
      ],
      [
        'defaults.weight',
        'too-heavy',
        'the defaults weigh 3, more than the capacity 2 of agent "small": the 2 tasks that take the default weight ("b", "c") could never start',
      ],
    ]);
  });

  it('should say it once for a scheduler’s run too', () => {
    const scheduler = createScheduler({ agents: { x: () => 1 }, maxConcurrency: 2 });
    expect(() => scheduler.submit({ id: 'd', defaults: { weight: 5 }, tasks: tasks(50) })).toThrow(
      /is invalid \(1 problem\):\n {2}defaults\.weight: the defaults weigh 5, more than `maxConcurrency` 2: the 50 tasks/,
    );
  });

  it('should take which tasks leave a field to the defaults from its caller, who has the spec as written', () => {
    // `b` wrote `weight: 3` itself: by value it is the defaults', but its caller knows better
    const dag = defineDag({
      id: 'd',
      defaults: { weight: 3 },
      tasks: [
        { id: 'a', agent: 'x' },
        { id: 'b', agent: 'x', weight: 3 },
      ],
    });
    const resources = { agents: { x: () => 1 }, limits: {}, maxConcurrency: 2 };
    const paths = (issues: DagIssue[]) => issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    expect(paths(runIssues(dag, resources))).toEqual([
      'defaults.weight: the defaults weigh 3, more than `maxConcurrency` 2: the 2 tasks that take the default weight ("a", "b") could never start',
    ]);
    expect(paths(runIssues(dag, resources, { takesDefault: (task) => task === 0 }))).toEqual([
      'defaults.weight: the defaults weigh 3, more than `maxConcurrency` 2: task "a", which takes the default weight, could never start',
      'tasks.1.weight: task "b" weighs 3, more than `maxConcurrency` 2: it could never start',
    ]);
  });
});

describe('the run check of limit names', () => {
  it('should give the declared limit an undeclared name most likely means, of a task and of the defaults', () => {
    const spec = {
      id: 'd',
      defaults: { limits: ['tokns'] },
      tasks: [
        { id: 'a', agent: 'x', limits: ['aip'] },
        { id: 'b', agent: 'x', limits: ['elsewhere'] },
        { id: 'c', agent: 'x' },
      ],
    };
    expect(refusal(spec, { limits: { api: { concurrency: 2 }, tokens: { concurrency: 9 } } })).toEqual([
      [
        'tasks.0.limits.0',
        'unknown-limit',
        'task "a" needs limit "aip", which is not declared (did you mean "api"?); known limits: "api", "tokens"',
      ],
      ['tasks.1.limits.0', 'unknown-limit', 'task "b" needs limit "elsewhere", which is not declared; known limits: "api", "tokens"'],
      [
        'defaults.limits.0',
        'unknown-limit',
        'the defaults need limit "tokns", which is not declared (did you mean "tokens"?); known limits: "api", "tokens"',
      ],
    ]);
  });
});
