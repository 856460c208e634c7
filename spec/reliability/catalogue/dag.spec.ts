import fc from 'fast-check';
import { type DagIssue, type DagSpec, DagValidationError, defineDag, formatIssuePath, MAX_ATTEMPTS, runDag } from '../../../src';
import { type DagRow, messageRows, one, task } from '../../dag/catalogueRows';
import { propertyParameters } from '../support/config';

/**
 * Bad-input catalogue, DAG definitions: each row is one kind of bad spec. Every row must give a
 * `DagValidationError` whose issues name the problem (path, code, message), with a readable
 * message, and nothing may run: `runDag` refuses the same spec before calling any agent.
 */

const huge = (length: number) => 'x'.repeat(length);
/** A cycle t0 -> t1 -> … -> t(n-1) -> t0, each depending on the next. */
const cycle = (n: number) => ({ id: 'ring', tasks: Array.from({ length: n }, (_, i) => task(`t${i}`, { deps: [`t${(i + 1) % n}`] })) });
let deep: unknown = 0;
for (let i = 0; i < 100_000; i++) deep = { next: deep };

/** A readable error stays readable: a huge value is not echoed in full. */
const READABLE = 10_000;

const rows: readonly DagRow[] = [
  {
    name: 'a spec that is null',
    spec: () => null,
    issue: { path: '(dag)', message: /^expected a DAG spec: an object with `id` and `tasks` \(got null\)$/ },
  },
  {
    name: 'a spec that is a number',
    spec: () => 42,
    issue: { path: '(dag)', message: /^expected a DAG spec: an object with `id` and `tasks` \(got 42\)$/ },
  },
  {
    name: 'a spec that is an array',
    spec: () => [task('a')],
    issue: { path: '(dag)', message: /^expected a DAG spec: an object with `id` and `tasks` \(got an array\)$/ },
  },
  {
    name: 'a spec without a DAG id',
    spec: () => ({ tasks: [task('a')] }),
    issue: { path: 'id', message: /^expected a string id naming the DAG, which its runs go by \(`id: nightly`\) \(got nothing\)$/ },
  },
  {
    name: 'a DAG id of the wrong type',
    spec: () => ({ id: 7, tasks: [task('a')] }),
    issue: { path: 'id', message: /expected a string id/ },
  },
  { name: 'an empty DAG id', spec: () => ({ id: '', tasks: [task('a')] }), issue: { path: 'id', message: /must not be empty/ } },
  {
    name: 'a huge DAG id (1 MB)',
    spec: () => ({ id: huge(1_000_000), tasks: [task('a')] }),
    issue: { path: 'id', message: /at most 256 characters/ },
  },
  { name: 'no tasks field', spec: () => ({ id: 'd' }), issue: { path: 'tasks', message: /array of tasks/ } },
  {
    name: 'tasks that is an object, not a list',
    spec: () => ({ id: 'd', tasks: { a: task('a') } }),
    issue: { path: 'tasks', message: /array of tasks/ },
  },
  {
    name: 'a task that is a string',
    spec: () => ({ id: 'd', tasks: ['a'] }),
    issue: { path: 'tasks[0]', message: /^expected a task: an object with an `id` .*\(got "a"\)$/ },
  },
  {
    name: 'a task without an id',
    spec: () => ({ id: 'd', tasks: [{ agent: 'x' }] }),
    issue: { path: 'tasks[0].id', message: /expected a string id/ },
  },
  { name: 'an empty task id', spec: () => ({ id: 'd', tasks: [task('')] }), issue: { path: 'tasks[0].id', message: /must not be empty/ } },
  {
    name: 'a huge task id (1 MB)',
    spec: () => ({ id: 'd', tasks: [task(huge(1_000_000))] }),
    issue: { path: 'tasks[0].id', message: /at most 256 characters/ },
  },
  {
    name: 'a task id of the wrong type',
    spec: () => ({ id: 'd', tasks: [{ id: 12, agent: 'x' }] }),
    issue: { path: 'tasks[0].id', message: /expected a string id/ },
  },
  {
    name: 'duplicate task ids',
    spec: () => ({ id: 'd', tasks: [task('a'), task('b'), task('a')] }),
    issue: { path: 'tasks[2].id', code: 'duplicate-id', message: /duplicate task id "a" \(first used by tasks\[0\]\)/ },
  },
  {
    name: 'an unknown dependency',
    spec: () => ({ id: 'd', tasks: [task('a', { deps: ['ghost'] })] }),
    issue: { path: 'tasks[0].deps[0]', code: 'unknown-dependency', message: /depends on "ghost", which is not a task of this DAG/ },
  },
  {
    name: 'an unknown dependency with a huge name (1 MB)',
    spec: () => ({ id: 'd', tasks: [task('a', { deps: [huge(1_000_000)] })] }),
    issue: { path: 'tasks[0].deps[0]', code: 'unknown-dependency', message: /which is not a task of this DAG/ },
  },
  { name: 'deps that is a string', spec: () => one({ deps: 'b' }), issue: { path: 'tasks[0].deps', message: /array of task ids/ } },
  {
    name: 'a dependency that is a number',
    spec: () => one({ deps: [3] }),
    issue: { path: 'tasks[0].deps[0]', message: /expected a task id/ },
  },
  {
    name: 'a misspelt field (dependencies)',
    spec: () => one({ dependencies: ['b'] }),
    issue: { path: 'tasks[0]', message: /unknown field "dependencies"/ },
  },
  {
    name: 'a task with no agent and no default',
    spec: () => ({ id: 'd', tasks: [{ id: 'a' }] }),
    issue: { path: 'tasks[0].agent', message: /names no agent/ },
  },
  { name: 'an empty agent name', spec: () => one({ agent: '' }), issue: { path: 'tasks[0].agent', message: /must not be empty/ } },
  {
    name: 'retry.attempts = 0',
    spec: () => one({ retry: { attempts: 0 } }),
    issue: { path: 'tasks[0].retry.attempts', message: /at least 1/ },
  },
  {
    name: 'retry.attempts negative',
    spec: () => one({ retry: { attempts: -3 } }),
    issue: { path: 'tasks[0].retry.attempts', message: /at least 1/ },
  },
  {
    name: 'retry.attempts NaN',
    spec: () => one({ retry: { attempts: Number.NaN } }),
    issue: { path: 'tasks[0].retry.attempts', message: /^must be a finite number \(got / },
  },
  {
    name: 'retry.attempts Infinity',
    spec: () => one({ retry: { attempts: Number.POSITIVE_INFINITY } }),
    issue: { path: 'tasks[0].retry.attempts', message: /^must be a finite number \(got / },
  },
  {
    name: 'retry.attempts fractional',
    spec: () => one({ retry: { attempts: 1.5 } }),
    issue: { path: 'tasks[0].retry.attempts', message: /must be an integer/ },
  },
  {
    name: 'retry.attempts above the maximum',
    spec: () => one({ retry: { attempts: MAX_ATTEMPTS + 1 } }),
    issue: { path: 'tasks[0].retry.attempts', message: /at most 1000/ },
  },
  {
    name: 'retry.backoffMs negative',
    spec: () => one({ retry: { attempts: 2, backoffMs: -1 } }),
    issue: { path: 'tasks[0].retry.backoffMs', message: />= 0/ },
  },
  {
    name: 'retry.backoffMs NaN',
    spec: () => one({ retry: { attempts: 2, backoffMs: Number.NaN } }),
    issue: { path: 'tasks[0].retry.backoffMs', message: /^must be a finite number \(got / },
  },
  {
    name: 'retry.backoffFactor below 1',
    spec: () => one({ retry: { attempts: 2, backoffFactor: 0.5 } }),
    issue: { path: 'tasks[0].retry.backoffFactor', message: />= 1/ },
  },
  {
    name: 'retry.maxBackoffMs Infinity',
    spec: () => one({ retry: { attempts: 2, maxBackoffMs: Number.POSITIVE_INFINITY } }),
    issue: { path: 'tasks[0].retry.maxBackoffMs', message: /^must be a finite number \(got / },
  },
  {
    name: 'a misspelt retry field',
    spec: () => one({ retry: { attempts: 2, backoff: 10 } }),
    issue: { path: 'tasks[0].retry', message: /unknown field "backoff"/ },
  },
  { name: 'timeoutMs = 0', spec: () => one({ timeoutMs: 0 }), issue: { path: 'tasks[0].timeoutMs', message: /> 0/ } },
  { name: 'timeoutMs negative', spec: () => one({ timeoutMs: -100 }), issue: { path: 'tasks[0].timeoutMs', message: /> 0/ } },
  {
    name: 'timeoutMs NaN',
    spec: () => one({ timeoutMs: Number.NaN }),
    issue: { path: 'tasks[0].timeoutMs', message: /^must be a finite number \(got / },
  },
  {
    name: 'timeoutMs Infinity',
    spec: () => one({ timeoutMs: Number.POSITIVE_INFINITY }),
    issue: { path: 'tasks[0].timeoutMs', message: /^must be a finite number \(got / },
  },
  {
    name: 'timeoutMs as a string',
    spec: () => one({ timeoutMs: '100' }),
    issue: { path: 'tasks[0].timeoutMs', message: /expected a number of milliseconds/ },
  },
  {
    name: 'priority NaN',
    spec: () => one({ priority: Number.NaN }),
    issue: { path: 'tasks[0].priority', message: /^must be a finite number \(got / },
  },
  {
    name: 'priority Infinity',
    spec: () => one({ priority: Number.POSITIVE_INFINITY }),
    issue: { path: 'tasks[0].priority', message: /^must be a finite number \(got / },
  },
  { name: 'estimateMs negative', spec: () => one({ estimateMs: -1 }), issue: { path: 'tasks[0].estimateMs', message: />= 0/ } },
  {
    name: 'estimateMs Infinity',
    spec: () => one({ estimateMs: Number.POSITIVE_INFINITY }),
    issue: { path: 'tasks[0].estimateMs', message: /^must be a finite number \(got / },
  },
  {
    // sums of larger ones along a path would become Infinity, and the critical path's order with them
    name: 'estimateMs above 2^53 - 1',
    spec: () => one({ estimateMs: 1e308 }),
    issue: { path: 'tasks[0].estimateMs', message: /^must be at most 9007199254740991 ms \(got / },
  },
  { name: 'weight NaN', spec: () => one({ weight: Number.NaN }), issue: { path: 'tasks[0].weight', message: /^must be a finite number \(got / } },
  {
    name: 'weight as a string',
    spec: () => one({ weight: '2' }),
    issue: { path: 'tasks[0].weight', message: /^expected a positive integer weight \(got / },
  },
  {
    name: 'a bad default (defaults.timeoutMs = -1)',
    spec: () => ({ id: 'd', defaults: { timeoutMs: -1 }, tasks: [task('a')] }),
    issue: { path: 'defaults.timeoutMs', message: /> 0/ },
  },
  {
    name: 'a misspelt default',
    spec: () => ({ id: 'd', defaults: { agents: 'x' }, tasks: [task('a')] }),
    issue: { path: 'defaults', message: /unknown field "agents"/ },
  },
  {
    name: 'a self-dependency (a cycle of length 1)',
    spec: () => ({ id: 'd', tasks: [task('a', { deps: ['a'] })] }),
    issue: { path: 'tasks[0].deps[0]', code: 'self-dependency', message: /task "a" depends on itself/ },
  },
  {
    name: 'a cycle of length 2',
    spec: () => cycle(2),
    issue: { code: 'cycle', message: /^cycle: t0 -> t1 -> t0 \(each task depends on the next\)$/ },
  },
  { name: 'a cycle of length 3', spec: () => cycle(3), issue: { code: 'cycle', message: /^cycle: t0 -> t1 -> t2 -> t0 / } },
  { name: 'a cycle of length 50', spec: () => cycle(50), issue: { code: 'cycle', message: /^cycle: t0 -> t1 -> .* -> t49 -> t0 / } },
  {
    name: 'a 100,000-task cycle',
    spec: () => cycle(100_000),
    issue: { code: 'cycle', message: /^cycle: t0 -> t1 -> .* -> t99999 -> t0 / },
  },
  {
    name: 'a cycle behind a chain leading into it',
    spec: () => ({
      id: 'd',
      tasks: [task('entry', { deps: ['a'] }), task('a', { deps: ['b'] }), task('b', { deps: ['c'] }), task('c', { deps: ['a'] })],
    }),
    issue: { code: 'cycle', message: /^cycle: (a -> b -> c -> a|b -> c -> a -> b|c -> a -> b -> c) / },
  },
  {
    name: 'a deeply nested input (100,000 levels) next to a bad field',
    spec: () => ({ id: 'd', tasks: [task('a', { input: deep, timeoutMs: -1 })] }),
    issue: { path: 'tasks[0].timeoutMs', message: /> 0/ },
  },
  {
    name: 'many problems at once',
    spec: () => ({ id: '', tasks: [task('a', { deps: ['ghost'] }), task('a'), task('b', { retry: { attempts: 0 } }), { id: 'c' }] }),
    issue: { code: 'duplicate-id', message: /duplicate task id "a"/ },
    atLeast: 5,
  },
  {
    name: 'a task with a bad field whose dependents are otherwise fine (no false unknown-dependency)',
    spec: () => ({ id: 'd', tasks: [task('a', { timeoutMs: -1 }), task('b', { deps: ['a'] })] }),
    issue: { path: 'tasks[0].timeoutMs', message: /> 0/ },
  },
  {
    name: 'a task with a bad field that is also part of a cycle (both reported)',
    spec: () => ({ id: 'd', tasks: [task('a', { timeoutMs: -1, deps: ['b'] }), task('b', { deps: ['a'] })] }),
    issue: { code: 'cycle', message: /^cycle: (a -> b -> a|b -> a -> b) / },
  },
  // limits and wording: times, messages, unknown fields, duplicates, control characters
  ...messageRows,
];

/** Issues that must not be reported for the rows above: false alarms. */
function falseAlarms(row: DagRow, issues: readonly DagIssue[]): DagIssue[] {
  if (row.name.startsWith('a task with a bad field whose dependents')) return issues.filter((i) => i.code === 'unknown-dependency');
  // the default agent is valid: no task may be blamed for naming none
  if (row.name.startsWith('a misspelt default next to bad tasks')) return issues.filter((i) => /names no agent/.test(i.message));
  return [];
}

/** Control characters: no message may hold one raw (a line feed, an escape…). */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/;

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error, but none was thrown');
}

describe('bad-input catalogue: DAG definitions', () => {
  it.each(rows)(
    'should reject $name with an error naming it, and run nothing',
    (row) => {
      const spec = row.spec();
      const started = Date.now();
      const error = thrown(() => defineDag(spec as DagSpec));
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(error).toBeInstanceOf(DagValidationError);
      const { issues, message } = error as DagValidationError;
      const matching = issues.filter(
        (issue) =>
          row.issue.message.test(issue.message) &&
          (row.issue.path === undefined || formatIssuePath(issue.path) === row.issue.path) &&
          (row.issue.code === undefined || issue.code === row.issue.code),
      );
      const reported = issues.map((i) => `${formatIssuePath(i.path)}: [${i.code}] ${i.message.slice(0, 200)}`);
      if (matching.length === 0)
        throw new Error(`no issue matches ${row.issue.path ?? '(any path)'} ${row.issue.message}; reported:\n  ${reported.join('\n  ')}`);
      expect(issues.length).toBeGreaterThanOrEqual(row.atLeast ?? 1);
      expect(falseAlarms(row, issues)).toEqual([]);
      for (const also of row.also ?? []) {
        const found = issues.some((i) => formatIssuePath(i.path) === also.path && also.message.test(i.message));
        if (!found) throw new Error(`no issue matches ${also.path} ${also.message}; reported:\n  ${reported.join('\n  ')}`);
      }
      for (const issue of issues) {
        // every message says what was expected in words, never zod's own text, and holds no control character
        expect(issue.message).not.toMatch(/Invalid input|, received /);
        expect(issue.message).not.toMatch(CONTROL);
      }
      if (!/cycle/.test(row.name)) expect(message.length).toBeLessThan(READABLE);
      // nothing runs: runDag refuses the same spec before calling an agent
      const agent = jest.fn(() => 1);
      expect(() => runDag(spec as DagSpec, { agents: { x: agent }, healthCheckIntervalMs: 0 })).toThrow(DagValidationError);
      expect(agent).not.toHaveBeenCalled();
    },
    60_000,
  );

  it('should name any cycle of 1 to 50 tasks inside a random DAG as a path of real dependencies', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 0, max: 60 }),
        fc.array(fc.nat(), { maxLength: 120 }),
        (length, extra, picks) => {
          // an acyclic part (each extra task depends on earlier ones), then a ring, with edges into it
          const tasks: { id: string; agent: string; deps: string[] }[] = [];
          for (let i = 0; i < extra; i++) tasks.push({ id: `e${i}`, agent: 'x', deps: i === 0 ? [] : [`e${(picks[i] ?? 0) % i}`] });
          for (let i = 0; i < length; i++)
            tasks.push({
              id: `c${i}`,
              agent: 'x',
              deps: [`c${(i + 1) % length}`, ...(extra > 0 ? [`e${(picks[extra + i] ?? 0) % extra}`] : [])],
            });
          const error = thrown(() => defineDag({ id: 'd', tasks }));
          if (!(error instanceof DagValidationError)) throw new Error(`expected a DagValidationError, got ${String(error)}`);
          const issue = error.issues.find((i) => i.code === 'cycle' || i.code === 'self-dependency');
          if (issue === undefined) throw new Error(`no cycle reported: ${error.message}`);
          if (length === 1) return issue.code === 'self-dependency' && /"c0" depends on itself/.test(issue.message);
          const path = /^cycle: (.*) \(each task depends on the next\)$/.exec(issue.message)?.[1]?.split(' -> ');
          if (path === undefined || path[0] !== path[path.length - 1] || path.length !== length + 1) return false;
          const byId = new Map(tasks.map((t) => [t.id, t]));
          return path.slice(0, -1).every((id, i) => byId.get(id)?.deps.includes(path[i + 1]!) === true);
        },
      ),
      propertyParameters(100),
    );
  }, 120_000);
});
