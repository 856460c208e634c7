/**
 * Rows of the DAG bad-input catalogue (`spec/reliability/catalogue/dag.spec.ts`, which runs them
 * with its own) about limits and wording: times past the longest timer Node keeps, messages that
 * name the value given and never quote zod, unknown fields with the field meant, trigger rules
 * written another tool's way with the rule meant, every problem of
 * a task reported, control characters refused in ids and escaped in messages. Data only.
 */
import type { DagIssueCode } from '../../src';

/** One kind of bad spec and the issue it must give. */
export interface DagRow {
  readonly name: string;
  readonly spec: () => unknown;
  /** The issue that must be among those reported. */
  readonly issue: { readonly path?: string; readonly code?: DagIssueCode; readonly message: RegExp };
  /** How many issues at least (for specs with several problems). */
  readonly atLeast?: number;
  /** Other issues that must be among those reported (every problem of a task, not only the first). */
  readonly also?: readonly { readonly path: string; readonly message: RegExp }[];
}

/** A task run by the agent `x`. */
export const task = (id: string, extra: Record<string, unknown> = {}) => ({ id, agent: 'x', ...extra });
/** A DAG of one task `a` with these fields. */
export const one = (extra: Record<string, unknown>) => ({ id: 'd', tasks: [task('a', extra)] });

export const messageRows: readonly DagRow[] = [
  // times past the longest timer Node keeps (2^31 - 1 ms): Node would fire them after 1 ms
  ...(
    [
      ['tasks[0].timeoutMs', () => one({ timeoutMs: 3e9 })],
      ['tasks[0].retry.backoffMs', () => one({ retry: { attempts: 2, backoffMs: 3e9 } })],
      ['tasks[0].retry.maxBackoffMs', () => one({ retry: { attempts: 2, maxBackoffMs: 3e9 } })],
      ['defaults.timeoutMs', () => ({ id: 'd', defaults: { timeoutMs: 3e9 }, tasks: [task('a')] })],
      ['defaults.retry.backoffMs', () => ({ id: 'd', defaults: { retry: { attempts: 2, backoffMs: 3e9 } }, tasks: [task('a')] })],
    ] as const
  ).map(([path, spec]): DagRow => ({
    name: `${path} above the longest timer Node keeps (3,000,000,000 ms)`,
    spec,
    issue: { path, message: /^must be at most 2147483647 ms \(about 24\.8 days\), the longest timer Node keeps \(got 3000000000\)$/ },
  })),
  {
    name: 'a bad value, named in the message (timeoutMs -5)',
    spec: () => one({ timeoutMs: -5 }),
    issue: { path: 'tasks[0].timeoutMs', message: /^must be > 0 \(got -5\)$/ },
  },
  {
    name: 'a retry policy that is a number (no raw zod text)',
    spec: () => one({ retry: 5 }),
    issue: {
      path: 'tasks[0].retry',
      message:
        /^expected a retry policy: an object with `attempts` \(got 5; write \{ attempts: 6 \} for the first attempt and 5 retries\)$/,
    },
  },
  {
    name: 'defaults that are a number, next to a bad task (both reported)',
    spec: () => ({ id: 'd', defaults: 5, tasks: [task('a', { timeoutMs: -1 })] }),
    issue: { path: 'defaults', message: /^expected an object of task defaults \(`agent`, .*\) \(got 5\)$/ },
    also: [{ path: 'tasks[0].timeoutMs', message: /^must be > 0 \(got -1\)$/ }],
  },
  {
    name: 'a misspelt default next to bad tasks (all reported, the good default still applied)',
    spec: () => ({
      id: 'd',
      defaults: { agent: 'x', timout: 5 },
      tasks: [
        { id: 'a', timeoutMs: -1 },
        { id: 'b', deps: ['ghost'] },
      ],
    }),
    issue: { path: 'defaults', message: /^unknown field "timout" \(did you mean "timeoutMs"\?\)$/ },
    also: [
      { path: 'tasks[0].timeoutMs', message: /must be > 0/ },
      { path: 'tasks[1].deps[0]', message: /depends on "ghost"/ },
    ],
  },
  {
    name: 'a misspelt field (dep), with the field meant',
    spec: () => one({ dep: ['b'] }),
    issue: { path: 'tasks[0]', message: /^unknown field "dep" \(did you mean "deps"\?\)$/ },
  },
  {
    name: 'a misspelt field (timeout), with the field meant',
    spec: () => one({ timeout: 100 }),
    issue: { path: 'tasks[0]', message: /^unknown field "timeout" \(did you mean "timeoutMs"\?\)$/ },
  },
  {
    name: 'a misspelt top-level field (task), with the field meant',
    spec: () => ({ id: 'd', task: [task('a')], tasks: [] }),
    issue: { path: '(dag)', message: /^unknown field "task" \(did you mean "tasks"\?\)$/ },
  },
  {
    name: 'the named limits given in the DAG (as a DAG file gives them), told to give them to the run',
    spec: () => ({ id: 'd', limits: { api: { concurrency: 1 } }, tasks: [task('a')] }),
    issue: {
      path: '(dag)',
      message:
        /^unknown field "limits": it is an option of the run, given to runDag or createScheduler \(options\.limits\), not a field of the DAG$/,
    },
  },
  {
    name: 'two misspelt fields, one issue each',
    spec: () => one({ dep: ['b'], retries: 2 }),
    issue: { path: 'tasks[0]', message: /^unknown field "retries" \(did you mean "retry"\?\)$/ },
    also: [{ path: 'tasks[0]', message: /^unknown field "dep" / }],
  },
  // a trigger rule written as other tools write it, with the rule meant (as a DAG file is told)
  ...(
    [
      ['all_done', 'all-done'],
      ['ONE_FAILED', 'any-failed'],
      ['all-success', 'all-succeeded'],
      ['none-faild', 'none-failed'],
    ] as const
  ).map(([written, meant]): DagRow => ({
    name: `a trigger rule written "${written}", with the rule meant`,
    spec: () => ({ id: 'd', tasks: [task('a'), task('b', { deps: ['a'], when: written })] }),
    issue: {
      path: 'tasks[1].when',
      code: 'invalid-value',
      message: new RegExp(
        `^must be one of "all-succeeded", "all-done", "any-failed", "none-failed" \\(got "${written}"; did you mean "${meant}"\\?\\)$`,
      ),
    },
  })),
  {
    name: 'a trigger rule that stands for none, with no rule offered',
    spec: () => ({ id: 'd', tasks: [task('a'), task('b', { deps: ['a'], when: 'sometimes' })] }),
    issue: {
      path: 'tasks[1].when',
      message: /^must be one of "all-succeeded", "all-done", "any-failed", "none-failed" \(got "sometimes"\)$/,
    },
  },
  {
    name: 'a duplicate id whose task has other problems (all reported)',
    spec: () => ({ id: 'd', tasks: [task('a'), { id: 'a', deps: ['ghost', 'a'], timeoutMs: -1 }] }),
    issue: { path: 'tasks[1].id', code: 'duplicate-id', message: /duplicate task id "a"/ },
    also: [
      { path: 'tasks[1].timeoutMs', message: /must be > 0/ },
      { path: 'tasks[1].agent', message: /names no agent/ },
      { path: 'tasks[1].deps[0]', message: /depends on "ghost", which is not a task of this DAG/ },
      { path: 'tasks[1].deps[1]', message: /task "a" depends on itself/ },
    ],
  },
  {
    name: 'a task id with a line feed',
    spec: () => ({ id: 'd', tasks: [task('a\nb')] }),
    issue: {
      path: 'tasks[0].id',
      message: /^must not contain control characters: a line feed \(U\+000A\) at character 2 \(got "a\\nb"\)$/,
    },
  },
  {
    name: 'a DAG id with an escape character',
    spec: () => ({ id: 'x\u001b[2J', tasks: [task('a')] }),
    issue: { path: 'id', message: /^must not contain control characters: an escape \(U\+001B\) at character 2 / },
  },
  {
    name: 'an agent name with a tab',
    spec: () => one({ agent: 'llm\t' }),
    issue: { path: 'tasks[0].agent', message: /^must not contain control characters: a tab \(U\+0009\) at character 4 / },
  },
  {
    name: 'a task id with a bidirectional override',
    spec: () => ({ id: 'd', tasks: [task('abc\u202e')] }),
    issue: { path: 'tasks[0].id', message: /a bidirectional control \(U\+202E\) at character 4/ },
  },
  {
    name: 'an unknown dependency holding control characters (escaped in the message)',
    spec: () => ({ id: 'd', tasks: [task('a', { deps: ['\u001b[31mred\r\n'] })] }),
    issue: { path: 'tasks[0].deps[0]', message: /depends on "\\u001b\[31mred\\r\\n", which is not a task of this DAG/ },
  },
];
