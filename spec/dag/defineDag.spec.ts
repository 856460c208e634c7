import { backoffDelay, type Dag, type DagIssue, DagValidationError, defineDag, type DagSpec, formatIssuePath, isDag } from '../../src';
import { defineCheckedDag, defineDagForRun } from '../../src/dag/defineDag';
import { MAX_TIMER_MS } from '../../src/dag/schema';
import { unknownAgentIssues } from '../../src/dag/unknownAgents';
import { runIssues } from '../../src/scheduler/runCheck';

function issuesOf(spec: unknown): DagIssue[] {
  try {
    defineDag(spec as DagSpec);
  } catch (error) {
    if (error instanceof DagValidationError) return [...error.issues];
    throw error;
  }
  throw new Error('expected a DagValidationError');
}

describe('defineDag', () => {
  it('should report every problem at once, each with its path', () => {
    const issues = issuesOf({
      id: 'bad',
      tasks: [
        { id: 'a', agent: 'x', deps: ['a', 'ghost'] },
        { id: 'a', agent: 'x' },
        { id: 'b', agent: 'x', timeoutMs: -1 },
        { id: '', agent: 'x' },
      ],
    });
    expect(issues.map((i) => [i.code, i.path.join('.')])).toEqual([
      ['duplicate-id', 'tasks.1.id'],
      ['invalid-value', 'tasks.2.timeoutMs'],
      ['invalid-value', 'tasks.3.id'],
      ['self-dependency', 'tasks.0.deps.0'],
      ['unknown-dependency', 'tasks.0.deps.1'],
    ]);
  });

  it('should still check the dependencies of a task whose other fields are invalid', () => {
    const issues = issuesOf({ id: 'mixed', tasks: [{ id: 'a', agent: 'x', timeoutMs: 'soon', deps: ['ghost'] }] });
    expect(issues.map((i) => [i.code, i.path.join('.')])).toEqual([
      ['invalid-value', 'tasks.0.timeoutMs'],
      ['unknown-dependency', 'tasks.0.deps.0'],
    ]);
  });

  it('should tell an unknown dependency from the task it was meant to be when both would show alike', () => {
    const messageOf = (id: string, dep: string) =>
      issuesOf({
        id: 'd',
        tasks: [
          { id, agent: 'x' },
          { id: 'b', agent: 'x', deps: [dep] },
        ],
      })[0]?.message;
    expect(messageOf('build\u200b', 'build')).toBe(
      'task "b" depends on "build", which is not a task of this DAG (did you mean "build\\u{200b}"? the two differ only in characters that do not show, escaped here: "build" against "build\\u{200b}")',
    );
    expect(messageOf('caf\u00e9', 'cafe\u0301')).toBe(
      'task "b" depends on "cafe\u0301", which is not a task of this DAG (did you mean "caf\u00e9"? the same letters written with other Unicode code points: write the id alike in both places)',
    );
    expect(messageOf('a\u00a0b', 'a b')).toBe(
      'task "b" depends on "a b", which is not a task of this DAG (did you mean "a\\u{a0}b"? the two differ only in characters that do not show, escaped here: "a b" against "a\\u{a0}b")',
    );
    expect(messageOf('build', 'biuld')).toBe('task "b" depends on "biuld", which is not a task of this DAG (did you mean "build"?)');
    // a plain space at an end is no letter written otherwise
    expect(messageOf('build', 'build ')).toBe('task "b" depends on "build ", which is not a task of this DAG (did you mean "build"?)');
    // a no-break space at an end of either (pasted): that id, not another one letter away, escaped where it shows as a space
    expect(messageOf('e\u00a0', 'e')).toBe(
      'task "b" depends on "e", which is not a task of this DAG (did you mean "e\\u{a0}"? the two differ only in characters that do not show, escaped here: "e" against "e\\u{a0}")',
    );
    expect(messageOf('e', '\u00a0e')).toBe(
      'task "b" depends on "\\u{a0}e", which is not a task of this DAG (did you mean "e"? the two differ only in characters that do not show, escaped here: "\\u{a0}e" against "e")',
    );
  });

  it('should put every problem in the error message, one per line', () => {
    expect(() =>
      defineDag({
        id: 'm',
        tasks: [
          { id: 'a', agent: 'x', deps: ['nope'] },
          { id: 'b', agent: 'x', retry: { attempts: 0 } },
        ],
      }),
    ).toThrow(
      'DAG "m" is invalid (2 problems):\n  tasks[1].retry.attempts: must be at least 1 (the first attempt counts) (got 0)\n  tasks[0].deps[0]: task "a" depends on "nope", which is not a task of this DAG',
    );
  });

  it('should list the first 100 problems in the message and keep every one in issues', () => {
    let error: unknown;
    try {
      defineDag({ id: 'many', tasks: Array.from({ length: 1000 }, (_, i) => ({ id: `t${i}`, agent: 'x', timeoutMs: -1 })) });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(DagValidationError);
    const { issues, message } = error as DagValidationError;
    expect(issues).toHaveLength(1000);
    const lines = message.split('\n');
    expect(lines[0]).toBe('DAG "many" is invalid (1000 problems):');
    expect(lines.slice(1, 101)).toEqual(issues.slice(0, 100).map((issue) => `  ${formatIssuePath(issue.path)}: ${issue.message}`));
    expect(lines.slice(101)).toEqual(["  … and 900 more (every problem is in the error's `issues`)"]);
  });

  it.each([
    [2, 'cycle: t0 -> t1 -> t0 (each task depends on the next)'],
    [3, 'cycle: t0 -> t2 -> t1 -> t0 (each task depends on the next)'],
    [50, undefined],
  ])('should name a cycle of %i tasks as a path', (length, message) => {
    // t_i depends on t_{i-1}; t0 depends on the last one
    const tasks = Array.from({ length }, (_, i) => ({ id: `t${i}`, agent: 'x', deps: [`t${(i + length - 1) % length}`] }));
    const issues = issuesOf({ id: 'c', tasks });
    expect(issues).toHaveLength(1);
    expect(issues[0]!.code).toBe('cycle');
    if (message !== undefined) expect(issues[0]!.message).toBe(message);
    expect(issues[0]!.message.split(' -> ')).toHaveLength(length + 1);
  });

  it('should find a 100,000-task cycle without overflowing the stack', () => {
    const n = 100_000;
    const tasks = Array.from({ length: n }, (_, i) => ({ id: `t${i}`, agent: 'x', deps: [`t${(i + 1) % n}`] }));
    const issues = issuesOf({ id: 'big', tasks });
    expect(issues).toHaveLength(1);
    expect(issues[0]!.cycle).toHaveLength(n);
    // the message stays readable: its ends and the length, not 100,000 ids
    expect(issues[0]!.message).toMatch(/^cycle: t0 -> t1 -> .* -> … 99940 more … -> .* -> t0 \(100000 tasks\)/);
    expect(issues[0]!.message.length).toBeLessThan(2_000);
  });

  it('should report separate cycles separately and not blame tasks downstream of a cycle', () => {
    const issues = issuesOf({
      id: 'two',
      tasks: [
        { id: 'a', agent: 'x', deps: ['b'] },
        { id: 'b', agent: 'x', deps: ['a'] },
        { id: 'c', agent: 'x', deps: ['d'] },
        { id: 'd', agent: 'x', deps: ['c'] },
        { id: 'tail', agent: 'x', deps: ['a', 'c'] },
      ],
    });
    expect(issues.map((i) => i.message)).toEqual([
      'cycle: a -> b -> a (each task depends on the next)',
      'cycle: c -> d -> c (each task depends on the next)',
    ]);
  });

  it.each<[string, unknown, string]>([
    ['a missing id', { tasks: [] }, 'id'],
    ['tasks that are not an array', { id: 'x', tasks: 'a,b' }, 'tasks'],
    ['an unknown task field', { id: 'x', tasks: [{ id: 'a', agent: 'x', dep: ['b'] }] }, 'tasks.0'],
    ['a non-integer attempt count', { id: 'x', tasks: [{ id: 'a', agent: 'x', retry: { attempts: 1.5 } }] }, 'tasks.0.retry.attempts'],
    ['an infinite timeout', { id: 'x', tasks: [{ id: 'a', agent: 'x', timeoutMs: Infinity }] }, 'tasks.0.timeoutMs'],
    ['a NaN priority', { id: 'x', tasks: [{ id: 'a', agent: 'x', priority: NaN }] }, 'tasks.0.priority'],
    [
      'a backoff factor below 1',
      { id: 'x', tasks: [{ id: 'a', agent: 'x', retry: { attempts: 2, backoffFactor: 0.5 } }] },
      'tasks.0.retry.backoffFactor',
    ],
    ['an id over 256 characters', { id: 'x', tasks: [{ id: 'a'.repeat(257), agent: 'x' }] }, 'tasks.0.id'],
    ['deps that are not strings', { id: 'x', tasks: [{ id: 'a', agent: 'x', deps: [1] }] }, 'tasks.0.deps.0'],
    ['a task without an agent', { id: 'x', tasks: [{ id: 'a' }] }, 'tasks.0.agent'],
    ['a task that is not an object', { id: 'x', tasks: [42] }, 'tasks.0'],
  ])('should reject %s', (_, spec, path) => {
    expect(issuesOf(spec).map((i) => i.path.join('.'))).toContain(path);
  });

  it('should throw a DagValidationError (not a TypeError) for input that is not an object', () => {
    expect(() => defineDag(null as unknown as DagSpec)).toThrow(DagValidationError);
    expect(() => defineDag('dag' as unknown as DagSpec)).toThrow(DagValidationError);
  });

  it('should apply defaults to tasks that do not set the field', () => {
    const dag = defineDag({
      id: 'd',
      defaults: { agent: 'shell', timeoutMs: 1000, retry: { attempts: 2 }, priority: 3 },
      tasks: [{ id: 'a' }, { id: 'b', agent: 'llm', timeoutMs: 5, priority: 0 }],
    });
    expect(dag.tasks[0]).toMatchObject({
      agent: 'shell',
      timeoutMs: 1000,
      priority: 3,
      retry: { attempts: 2, backoffMs: 0, backoffFactor: 2 },
    });
    expect(dag.tasks[1]).toMatchObject({ agent: 'llm', timeoutMs: 5, priority: 0, retry: { attempts: 2 } });
  });

  it('should build dependents, in-degrees, roots and a topological order once', () => {
    const dag = defineDag({
      id: 'i',
      tasks: [
        { id: 'd', agent: 'x', deps: ['b', 'c'] },
        { id: 'b', agent: 'x', deps: ['a'] },
        { id: 'c', agent: 'x', deps: ['a'] },
        { id: 'a', agent: 'x' },
      ],
    });
    const id = (i: number) => dag.tasks[i]!.id;
    const { dependents, inDegree, roots, topologicalOrder } = dag.index;
    const dependentsOf = (taskId: string) => {
      const i = dag.taskIndex(taskId)!;
      return [...dependents.targets.subarray(dependents.start[i]!, dependents.start[i + 1]!)].map(id);
    };
    expect(dependentsOf('a')).toEqual(['b', 'c']);
    expect(dependentsOf('d')).toEqual([]);
    expect([...inDegree]).toEqual([2, 1, 1, 0]);
    expect([...roots].map(id)).toEqual(['a']);
    const position = new Map([...topologicalOrder].map((t, k) => [id(t), k]));
    for (const task of dag.tasks) for (const dep of task.deps) expect(position.get(dep)!).toBeLessThan(position.get(task.id)!);
  });

  it('should rank tasks by the longest remaining path, in estimateMs when given', () => {
    const byCount = defineDag({
      id: 'r',
      tasks: [
        { id: 'a', agent: 'x' },
        { id: 'b', agent: 'x', deps: ['a'] },
        { id: 'c', agent: 'x', deps: ['b'] },
        { id: 'z', agent: 'x' },
      ],
    });
    expect([...byCount.index.rank]).toEqual([3, 2, 1, 1]);
    const byEstimate = defineDag({
      id: 'e',
      tasks: [
        { id: 'a', agent: 'x', estimateMs: 10 },
        { id: 'b', agent: 'x', deps: ['a'], estimateMs: 100 },
        { id: 'c', agent: 'x', deps: ['a'], estimateMs: 5 },
      ],
    });
    expect([...byEstimate.index.rank]).toEqual([110, 100, 5]);
  });

  it('should ignore a repeated dependency instead of counting it twice', () => {
    const dag = defineDag({
      id: 'dup',
      tasks: [
        { id: 'a', agent: 'x' },
        { id: 'b', agent: 'x', deps: ['a', 'a'] },
      ],
    });
    expect([...dag.index.inDegree]).toEqual([0, 1]);
  });

  it('should handle a fan-in of 50,000 dependencies (with repeats) in linear time', () => {
    const n = 50_000;
    const sources = Array.from({ length: n }, (_, i) => ({ id: `s${i}`, agent: 'x' }));
    const sink = { id: 'sink', agent: 'x', deps: [...sources.map((t) => t.id), 's0', 's1'] };
    const dag = defineDag({ id: 'fanin', tasks: [...sources, sink] });
    expect(dag.index.inDegree[n]).toBe(n);
    expect(dag.index.rank[0]).toBe(2);
  });

  it('should report every problem of a task with a duplicate id: its values, its agent and its deps', () => {
    const issues = issuesOf({
      id: 'dup',
      tasks: [
        { id: 'a', agent: 'x' },
        { id: 'a', timeoutMs: -1, deps: ['ghost', 'a'] },
      ],
    });
    expect(issues.map((i) => [i.code, i.path.join('.'), i.message])).toEqual([
      ['invalid-value', 'tasks.1.timeoutMs', 'must be > 0 (got -1)'],
      ['duplicate-id', 'tasks.1.id', 'duplicate task id "a" (first used by tasks[0])'],
      ['invalid-value', 'tasks.1.agent', 'task "a" names no agent: set `agent` on the task or `defaults.agent`'],
      ['unknown-dependency', 'tasks.1.deps.0', 'task "a" depends on "ghost", which is not a task of this DAG'],
      ['self-dependency', 'tasks.1.deps.1', 'task "a" depends on itself'],
    ]);
  });

  it('should say a dependency’s problem at its own place in deps when an entry before it is not a string', () => {
    const issues = issuesOf({
      id: 'places',
      tasks: [
        { id: 'a', agent: 'x' },
        { id: 'b', agent: 'x', deps: [123, null, 'a', 'zz'] },
        { id: 'c', agent: 'x', deps: [7, 'c'] },
        { id: 'a', agent: 'x', deps: [false, 'ghost'] },
      ],
    });
    expect(issues.map((i) => [i.code, i.path.join('.')])).toEqual([
      ['invalid-value', 'tasks.1.deps.0'],
      ['invalid-value', 'tasks.1.deps.1'],
      ['invalid-value', 'tasks.2.deps.0'],
      ['invalid-value', 'tasks.3.deps.0'],
      ['duplicate-id', 'tasks.3.id'],
      ['unknown-dependency', 'tasks.1.deps.3'],
      ['self-dependency', 'tasks.2.deps.1'],
      ['unknown-dependency', 'tasks.3.deps.1'],
    ]);
  });

  it('should name the task a dependency meant when the two differ only in how their letters are written, short ids too', () => {
    const issues = issuesOf({
      id: 'accents',
      tasks: [
        { id: 'cafe\u0301', agent: 'x' },
        { id: 'b', agent: 'x', deps: ['caf\u00e9'] },
        { id: 'c', agent: 'x', deps: ['c\u200bafe\u0301'] },
      ],
    });
    expect(issues.map((i) => i.message)).toEqual([
      'task "b" depends on "caf\u00e9", which is not a task of this DAG (did you mean "cafe\u0301"? the same letters written with other Unicode code points: write the id alike in both places)',
      expect.stringMatching(/^task "c" depends on .*\(did you mean "cafe\u0301"\? the two differ only in characters that do not show/),
    ]);
  });

  it('should name the task a misspelt dependency most likely meant, and none when nothing is close', () => {
    const issues = issuesOf({
      id: 'mono',
      tasks: [
        { id: 'build:core', agent: 'x' },
        { id: 'test:core', agent: 'x', deps: ['build:cor', 'lint'] },
      ],
    });
    expect(issues.map((i) => i.message)).toEqual([
      'task "test:core" depends on "build:cor", which is not a task of this DAG (did you mean "build:core"?)',
      'task "test:core" depends on "lint", which is not a task of this DAG',
    ]);
  });

  it('should report each unknown field on its own, naming it and the field most likely meant', () => {
    const issues = issuesOf({ id: 'typo', tasks: [{ id: 'a', agent: 'x', dep: ['b'], retry: { attempts: 2, backof: 5 }, colour: 1 }] });
    expect(issues).toEqual([
      {
        path: ['tasks', 0, 'retry'],
        code: 'invalid-value',
        field: 'backof',
        message: 'unknown field "backof" (did you mean "backoffMs"?)',
      },
      { path: ['tasks', 0], code: 'invalid-value', field: 'dep', message: 'unknown field "dep" (did you mean "deps"?)' },
      { path: ['tasks', 0], code: 'invalid-value', field: 'colour', message: 'unknown field "colour"' },
    ]);
  });

  it('should not also say that a field is missing when an unknown field beside it is its misspelling', () => {
    const issues = issuesOf({
      id: 'typo',
      tasks: [
        { id: 'a', agent: 'x', retry: { attemps: 2 } },
        { id: 'b', agent: 'x', retry: { tries: 2 } },
      ],
    });
    expect(issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['tasks.0.retry', 'unknown field "attemps" (did you mean "attempts"?)'],
      // no field meant: the one missing is still said
      ['tasks.1.retry.attempts', 'expected an integer number of attempts (got nothing)'],
      ['tasks.1.retry', 'unknown field "tries"'],
    ]);
    // an agent misspelt is not also an agent missing; a field not close to `agent` leaves it missing
    const agents = issuesOf({
      id: 'typo',
      tasks: [
        { id: 'a', agnet: 'x' },
        { id: 'b', colour: 'x' },
      ],
    });
    expect(agents.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['tasks.0', 'unknown field "agnet" (did you mean "agent"?)'],
      ['tasks.1', 'unknown field "colour"'],
      ['tasks.1.agent', 'task "b" names no agent: set `agent` on the task or `defaults.agent`'],
    ]);
  });

  it('should refuse an id holding half of a surrogate pair: no file, terminal or journal name can hold it', () => {
    const issues = issuesOf({
      id: 'ok🚀',
      tasks: [
        { id: 'lone\ud800x', agent: 'x' },
        { id: 'tail\udc00', agent: 'x' },
      ],
    });
    expect(issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['tasks.0.id', 'must not contain control characters: a lone surrogate (U+D800) at character 5 (got "lone\\ud800x")'],
      ['tasks.1.id', 'must not contain control characters: a lone surrogate (U+DC00) at character 5 (got "tail\\udc00")'],
    ]);
  });

  it('should report a bad default together with the problems of the tasks, applying its good fields', () => {
    const issues = issuesOf({ id: 'defaults', defaults: { agent: 'x', timeoutMs: 'soon' }, tasks: [{ id: 'a', retry: { attempts: 0 } }] });
    expect(issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['defaults.timeoutMs', 'expected a number of milliseconds (got "soon")'],
      ['tasks.0.retry.attempts', 'must be at least 1 (the first attempt counts) (got 0)'],
    ]);
  });

  it('should say one problem of a number of attempts past the most, a huge one included (past 2^53 no number is "an integer" either)', () => {
    const issues = issuesOf({
      id: 'many',
      tasks: [
        { id: 'a', agent: 'x', retry: { attempts: 2 ** 53 } },
        { id: 'b', agent: 'x', retry: { attempts: 1.5 } },
      ],
    });
    expect(issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['tasks.0.retry.attempts', 'must be at most 1000 (got 9007199254740992)'],
      ['tasks.1.retry.attempts', 'must be an integer (got 1.5)'],
    ]);
  });

  it('should say one problem of a weight or units of a limit past the most, a huge one included', () => {
    const issues = issuesOf({
      id: 'heavy',
      tasks: [
        { id: 'a', agent: 'x', weight: 2 ** 53 },
        { id: 'b', agent: 'x', limits: { tokens: 1e20 } },
        { id: 'c', agent: 'x', weight: 1.5, limits: { tokens: 2.5 } },
      ],
    });
    expect(issues.map((i) => [formatIssuePath(i.path), i.message])).toEqual([
      ['tasks[0].weight', 'must be at most 1000000 (got 9007199254740992)'],
      ['tasks[1].limits.tokens', 'must be at most 9007199254740991 (got 100000000000000000000)'],
      ['tasks[2].weight', 'must be an integer (got 1.5)'],
      ['tasks[2].limits.tokens', 'must be an integer (got 2.5)'],
    ]);
  });

  it('should keep a growing backoff within the longest timer Node keeps when the policy sets no maxBackoffMs', () => {
    const dag = defineDag({ id: 'b', tasks: [{ id: 'a', agent: 'x', retry: { attempts: 60, backoffMs: 1000 } }] });
    expect(dag.tasks[0]!.retry.maxBackoffMs).toBe(MAX_TIMER_MS);
    // 1000 × 2^49 ms would be a timer Node fires after 1 ms
    expect(backoffDelay(dag.tasks[0]!.retry, 50)).toBe(2_147_483_647);
  });

  it('should return a frozen DAG and accept an already defined one unchanged', () => {
    const dag = defineDag({ id: 'f', tasks: [{ id: 'a', agent: 'x' }] });
    expect(Object.isFrozen(dag)).toBe(true);
    expect(Object.isFrozen(dag.tasks[0])).toBe(true);
    expect(defineDag(dag)).toBe(dag);
  });

  it('should name each limit a task names more than once, where it names it again', () => {
    const issues = issuesOf({ id: 'l', tasks: [{ id: 'a', agent: 'x', limits: ['api', 'gpu', 'api', 'gpu', 'api'] }] });
    expect(issues.map((i) => [formatIssuePath(i.path), i.message])).toEqual([
      ['tasks[0].limits[2]', 'names limit "api" 3 times (got "api")'],
      ['tasks[0].limits[3]', 'names limit "gpu" twice (got "gpu")'],
    ]);
  });

  it('should keep one frozen list for the tasks that name the same limits, in their order', () => {
    const dag = defineDag({
      id: 'shared-limits',
      tasks: [
        { id: 'a', agent: 'x', limits: ['api', 'gpu'] },
        { id: 'b', agent: 'x', limits: ['api', 'gpu'] },
        { id: 'c', agent: 'x', limits: ['gpu', 'api'] },
        { id: 'd', agent: 'x' },
      ],
    });
    const [a, b, c, d] = dag.tasks;
    expect(a!.limits).toEqual(['api', 'gpu']);
    expect(b!.limits).toBe(a!.limits);
    expect(c!.limits).toEqual(['gpu', 'api']);
    expect(c!.limits).not.toBe(a!.limits);
    expect(d!.limits).toEqual([]);
    expect(Object.isFrozen(a!.limits)).toBe(true);
  });
});

describe('defineDag with deps that change between reads', () => {
  it('should report a dependency that is no longer a string as unknown, not crash', () => {
    let reads = 0;
    const shifty = {
      id: 'b',
      agent: 'x',
      get deps() {
        return reads++ === 0 ? ['a'] : [42];
      },
    };
    // validation reads the first value, the graph is built from a later one: a validation error
    // names what the graph saw, never a TypeError from inside
    expect(() => defineDag({ id: 'd', tasks: [{ id: 'a', agent: 'x' }, shifty as never] })).toThrow(
      expect.objectContaining({ name: 'DagValidationError', message: expect.stringContaining('depends on "42"') }),
    );
  });
});

describe('defineDag trigger rules', () => {
  it('should refuse `when: any-failed` on a task without dependencies: none can fail, so it could never run', () => {
    expect(() =>
      defineDag({
        id: 'r',
        tasks: [
          { id: 'alert', agent: 'a', when: 'any-failed' },
          { id: 'x', agent: 'a', when: 'all-done' },
        ],
      }),
    ).toThrow('tasks[0].when: task "alert" has `when: any-failed` but no dependencies: none can fail, so it could never run');
  });

  it('should count an id in characters wherever it is checked: a task of 200 emoji with another problem still names its dependents', () => {
    const long = '🚀'.repeat(200); // 400 UTF-16 units, 200 characters: a valid id
    const issues = (() => {
      try {
        defineDag({
          id: 'd',
          tasks: [
            { id: long, agent: 'a', timeoutMs: -1 },
            { id: 'b', agent: 'a', deps: [long] },
          ],
        });
        return [];
      } catch (error) {
        return (error as DagValidationError).issues.map((issue) => formatIssuePath(issue.path));
      }
    })();
    expect(issues).toEqual(['tasks[0].timeoutMs']);
  });
});

describe('defineDagForRun', () => {
  const agents = { w: () => 1 };
  // what a run checks: its agents, its limits (none here), room for each task's weight
  const runCheck = (dag: Dag) => runIssues(dag, { agents, limits: {}, maxConcurrency: 4 });
  const issuesFor = (spec: unknown): DagIssue[] => {
    try {
      defineDagForRun(spec as DagSpec, agents, runCheck);
    } catch (error) {
      if (error instanceof DagValidationError) return [...error.issues];
      throw error;
    }
    throw new Error('expected a DagValidationError');
  };

  it('should name the unknown agents of an invalid spec together with its other problems', () => {
    const issues = issuesFor({
      id: 'z',
      tasks: [
        { id: 'a', agent: 'nope' },
        { id: 'b', agent: 'w', deps: ['zz'] },
        { id: 'c', agent: 'w', timeoutMs: 0 },
      ],
    });
    expect(issues.map((i) => [i.code, formatIssuePath(i.path), i.message])).toEqual([
      ['invalid-value', 'tasks[2].timeoutMs', 'must be > 0 (got 0)'],
      ['unknown-dependency', 'tasks[1].deps[0]', 'task "b" depends on "zz", which is not a task of this DAG'],
      ['unknown-agent', 'tasks[0].agent', 'unknown agent "nope" (used by "a"); known agents: "w"'],
    ]);
  });

  it('should name the unknown agent of a task that has other problems too, but not an agent name that is itself invalid', () => {
    const issues = issuesFor({
      id: 'z',
      tasks: [
        { id: 'a', agent: 'nope', timeoutMs: 0 },
        { id: 'b', agent: 'bad\nname', timeoutMs: 0 },
      ],
    });
    expect(issues.filter((i) => i.code === 'unknown-agent').map((i) => [formatIssuePath(i.path), i.message])).toEqual([
      ['tasks[0].agent', 'unknown agent "nope" (used by "a"); known agents: "w"'],
    ]);
    expect(issues.map((i) => formatIssuePath(i.path))).toEqual(
      expect.arrayContaining(['tasks[1].agent', 'tasks[0].timeoutMs', 'tasks[1].timeoutMs']),
    );
  });

  it('should point an unknown agent at its task in the spec when tasks before it were left out', () => {
    const issues = issuesFor({
      id: 'z',
      tasks: [
        { id: '', agent: 'w' },
        { id: 'a', agent: 'w' },
        { id: 'a', agent: 'gone' },
        { id: 'b', agent: 'nope', deps: ['a', 'b'] },
      ],
    });
    expect(issues.filter((i) => i.code === 'unknown-agent').map((i) => [formatIssuePath(i.path), i.message])).toEqual([
      ['tasks[3].agent', 'unknown agent "nope" (used by "b"); known agents: "w"'],
    ]);
  });

  it('should name unknown agents next to a cycle', () => {
    const issues = issuesFor({
      id: 'ring',
      tasks: [
        { id: 'a', agent: 'nope', deps: ['b'] },
        { id: 'b', agent: 'w', deps: ['a'] },
      ],
    });
    expect(issues.map((i) => i.code)).toEqual(['cycle', 'unknown-agent']);
  });

  it('should not call a missing agent unknown: the task is told it names none', () => {
    const issues = issuesFor({ id: 'none', tasks: [{ id: 'a' }, { id: 'b', agent: 'w', deps: ['zz'] }] });
    expect(issues.map((i) => i.code)).toEqual(['invalid-value', 'unknown-dependency']);
  });

  it('should check a valid spec, and a DAG, with the run’s check', () => {
    expect(issuesFor({ id: 'ok', tasks: [{ id: 'a', agent: 'nope' }] }).map((i) => i.code)).toEqual(['unknown-agent']);
    const dag = defineDag({ id: 'ok', tasks: [{ id: 'a', agent: 'w', weight: 5 }] });
    expect(issuesFor(dag).map((i) => i.code)).toEqual(['too-heavy']);
    expect(defineDagForRun(dag, agents, () => [])).toBe(dag);
  });

  it('should name what the run lacks for each task next to a bad value of another: a limit it does not have, room for a weight', () => {
    const issues = issuesFor({
      id: 'z',
      tasks: [
        { id: 'x', agent: 'w', when: 'bogus' },
        { id: 'y', agent: 'w', limits: ['nope'] },
        { id: 'z', agent: 'w', weight: 99 },
      ],
    });
    expect(issues.map((i) => [i.code, formatIssuePath(i.path)])).toEqual([
      ['invalid-value', 'tasks[0].when'],
      ['unknown-limit', 'tasks[1].limits[0]'],
      ['too-heavy', 'tasks[2].weight'],
    ]);
  });

  it('should add nothing to the problems defineDag finds when no agents are given', () => {
    expect(issuesOf({ id: 'z', tasks: [{ id: 'a', agent: 'nope', deps: ['zz'] }] }).map((i) => i.code)).toEqual(['unknown-dependency']);
  });
});

describe('defineCheckedDag', () => {
  /** A run's check: every task heavier than 4 and every agent but `w`, at `['tasks', task, …]` by the DAG's index. */
  const check = (dag: Dag): DagIssue[] => [
    ...unknownAgentIssues(dag, (name) => name === 'w', ['w']),
    ...dag.tasks
      .filter((task) => task.weight > 4)
      .map((task): DagIssue => ({ path: ['tasks', task.index, 'weight'], code: 'too-heavy', message: `task "${task.id}" is too heavy` })),
  ];
  const issuesFor = (spec: unknown): string[] => {
    try {
      defineCheckedDag(spec as DagSpec, check);
    } catch (error) {
      if (error instanceof DagValidationError) return error.issues.map((i) => `${i.code} ${formatIssuePath(i.path)}: ${i.message}`);
      throw error;
    }
    throw new Error('expected a DagValidationError');
  };

  it('should return a valid DAG its check finds nothing in, and throw what the check finds in one', () => {
    const dag = defineCheckedDag({ id: 'ok', tasks: [{ id: 'a', agent: 'w', weight: 4 }] }, check);
    expect(dag.size).toBe(1);
    expect(isDag(dag)).toBe(true);
    expect(defineCheckedDag(dag, check)).toBe(dag);
    expect(issuesFor({ id: 'heavy', tasks: [{ id: 'a', agent: 'llm', weight: 5 }] })).toEqual([
      'unknown-agent tasks[0].agent: unknown agent "llm" (used by "a"); known agents: "w"',
      'too-heavy tasks[0].weight: task "a" is too heavy',
    ]);
  });

  it.each([
    ['a zero weight', { weight: 0 }, 'invalid-value tasks[1].weight: must be at least 1 (got 0)'],
    ['an unknown when', { when: 'always' }, expect.stringMatching(/^invalid-value tasks\[1\]\.when: must be one of/)],
    [
      'limits that are a string',
      { limits: 'api' },
      'invalid-value tasks[1].limits: expected a list of limit names (`[api]`) or a mapping of limit names to the units the task takes of each (`{ api: 1, tokens: 3000 }`) (got "api")',
    ],
    ['a limit named twice', { limits: ['api', 'api'] }, 'invalid-value tasks[1].limits[1]: names limit "api" twice (got "api")'],
    [
      'when: any-failed without dependencies',
      { when: 'any-failed' },
      expect.stringMatching(/^invalid-value tasks\[1\]\.when: task "g" has `when: any-failed` but no dependencies/),
    ],
    [
      'an unknown dependency',
      { deps: ['ghost'] },
      'unknown-dependency tasks[1].deps[0]: task "g" depends on "ghost", which is not a task of this DAG',
    ],
  ])('should check a run of the other tasks when one has %s', (_name, fields, problem) => {
    const spec = {
      id: 'w',
      tasks: [
        { id: 'f', agent: 'w', weight: 20 },
        { id: 'g', agent: 'w', ...fields },
        { id: 'h', agent: 'llm' },
      ],
    };
    expect(issuesFor(spec)).toEqual([
      problem,
      'unknown-agent tasks[2].agent: unknown agent "llm" (used by "h"); known agents: "w"',
      'too-heavy tasks[0].weight: task "f" is too heavy',
    ]);
  });

  it('should place what the check finds at the task’s place in the spec when tasks before it were left out', () => {
    expect(issuesFor({ id: 'w', tasks: [{ id: '', agent: 'w' }, { agent: 'w' }, { id: 'f', agent: 'w', weight: 20 }] })).toEqual([
      'invalid-value tasks[0].id: must not be empty (got "")',
      'invalid-value tasks[1].id: expected a string id (got nothing)',
      'too-heavy tasks[2].weight: task "f" is too heavy',
    ]);
  });

  it('should not call an agent missing or invalid unknown: the task is told already', () => {
    expect(issuesFor({ id: 'w', tasks: [{ id: 'a' }, { id: 'b', agent: 'bad\nname' }, { id: 'c', agent: 'w', weight: 9 }] })).toEqual([
      'invalid-value tasks[0].agent: task "a" names no agent: set `agent` on the task or `defaults.agent`',
      'invalid-value tasks[1].agent: must not contain control characters: a line feed (U+000A) at character 4 (got "bad\\nname")',
      'too-heavy tasks[2].weight: task "c" is too heavy',
    ]);
  });

  it('should not check tasks that make no DAG: a cycle, a duplicate id', () => {
    const cycle = {
      id: 'ring',
      tasks: [
        { id: 'a', agent: 'llm', deps: ['b'], weight: 9 },
        { id: 'b', agent: 'w', deps: ['a'] },
      ],
    };
    expect(issuesFor(cycle)).toEqual([expect.stringMatching(/^cycle tasks\[0\]\.deps: cycle: a -> b -> a/)]);
    const duplicate = {
      id: 'dup',
      tasks: [
        { id: 'a', agent: 'llm', weight: 9 },
        { id: 'a', agent: 'w' },
      ],
    };
    expect(issuesFor(duplicate)).toEqual(['duplicate-id tasks[1].id: duplicate task id "a" (first used by tasks[0])']);
  });
});
