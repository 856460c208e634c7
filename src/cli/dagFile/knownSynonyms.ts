/**
 * The names that people who wrote DAGs for other workflow tools bring to a DAG file, and what
 * the file calls them: fields (`needs` → `deps`, `trigger_rule` → `when`, `command` → `run`,
 * `name` → `id`, `jobs` → `tasks`);
 * and a list written as text (`deps: a, b` → `[a, b]`). One table, for problems to say the name
 * meant where edit distance guesses wrong (`cmd` is not `cwd`) or not at all. It suggests only
 * names the file has; it decides nothing about whether a file is valid. Trigger rules written
 * their way (`all_done`, `one_failed`) are the library's to say: `defineDag` gives the rule meant
 * (and so does the hint for a `trigger_rule` field: `when: all-done`).
 */
import type { z } from 'zod';
import type { DagIssue } from '../../dag/errors';
import { attemptsFor, durationMs, fieldsAt, meantRule, type Misspelt, misspeltFields, retriesText, valueAt } from '../../dag/issues';
import { dagHeadSchema, taskDefaultsSchema, taskSpecSchema } from '../../dag/schema';
import { MAX_TIMER_MS, TRIGGER_RULES } from '../../dag/specLimits';
import { closestName, oddSpaceIn, quoted, quotedVisibly, unknownFieldMessage } from '../../dag/text';
import { dagFileSchema, fileDefaultsSchema, fileTaskSchema } from './fileSchema';

/**
 * Field names of other tools, lower case, by the field they stand for where that field exists
 * (`retries` is `attempts` inside `retry`). Names that edit distance already leads to the right
 * field (`depends_on`, `dependsOn`, `timeout_ms`, `cwd_dir`) need no entry; `timeout` has one, so
 * that its value is said in milliseconds (`30m`, `30` meant as seconds).
 */
const FIELD_SYNONYMS: ReadonlyMap<string, string> = new Map([
  ['trigger_rule', 'when'],
  ['trigger-rule', 'when'],
  ['triggerrule', 'when'],
  ['command', 'run'],
  ['cmd', 'run'],
  ['script', 'run'],
  ['bash_command', 'run'],
  ['bash', 'run'],
  ['timeout', 'timeoutMs'],
  ['execution_timeout', 'timeoutMs'],
  ['timeout_seconds', 'timeoutMs'],
  ['timeout_secs', 'timeoutMs'],
  ['timeout_sec', 'timeoutMs'],
  ['execution_timeout_seconds', 'timeoutMs'],
  ['retry_delay_seconds', 'backoffMs'],
  ['pool', 'limits'],
  ['pools', 'limits'],
  ['pool_slots', 'weight'],
  ['delay', 'backoffMs'],
  ['retry_delay', 'backoffMs'],
  ['working_dir', 'cwd'],
  ['workdir', 'cwd'],
  ['working-directory', 'cwd'],
  ['working_directory', 'cwd'],
  ['timeout-minutes', 'timeoutMs'],
  ['timeout_minutes', 'timeoutMs'],
  ['if', 'when'],
  ['needs', 'deps'],
  ['wait_for', 'deps'],
  ['requires', 'deps'],
  ['after', 'deps'],
  ['upstream', 'deps'],
  ['retries', 'attempts'],
  ['name', 'id'],
  ['task_id', 'id'],
  ['dag_id', 'id'],
  ['jobs', 'tasks'],
  ['steps', 'tasks'],
]);

/** Names whose field in a task is not the one they stand for elsewhere: a job's `steps` are a task's `run`. */
const TASK_SYNONYMS: ReadonlyMap<string, string> = new Map([['steps', 'run']]);

/** The field of `known` that the unknown field `field` stands for in other tools, if it is one of theirs. */
export function synonymField(field: string, known: readonly string[]): string | undefined {
  const name = field.toLowerCase();
  const meant = (known.includes('retry') ? TASK_SYNONYMS.get(name) : undefined) ?? FIELD_SYNONYMS.get(name);
  return meant !== undefined && known.includes(meant) ? meant : undefined;
}

/**
 * The list that text standing for a list of task ids means, as the file would write it:
 * `a, b` → `[a, b]` (`["a", "b"]` in JSON); ids apart by commas, else by spaces. `undefined`
 * when it holds none, or is too long to be a list someone wrote as text.
 */
export function meantList(text: string, json: boolean): string | undefined {
  if (text.length > MAX_LIST_TEXT) return undefined;
  const ids = (text.includes(',') ? text.split(',') : text.split(/\s+/)).map((id) => id.trim());
  if (ids.some((id) => id === '')) return undefined;
  const written = ids.map((id) => (json || !/^[A-Za-z0-9_][\w./-]*$/.test(id) ? JSON.stringify(id) : id));
  return `[${written.join(', ')}]`;
}

/** Longest text taken for a list written as text: past it, the hint would be longer than the problem. */
const MAX_LIST_TEXT = 500;

/**
 * Settings other tools take in the file that rxdag takes elsewhere, lower case, by where: a
 * run's concurrency is the command's (`-c`), as it may differ between machines.
 */
const FIELDS_ELSEWHERE: ReadonlyMap<string, string> = new Map(
  [
    'concurrency',
    'maxconcurrency',
    'max_concurrency',
    'parallelism',
    'max_parallel',
    'max-parallel',
    'workers',
    'max_workers',
    'max_active_tasks',
    'max_active_tis_per_dag',
    'concurrency_limit',
  ]
    .map((name): [string, string] => [
      name,
      "the run's concurrency is not set in the file: rxdag run -c N; to bound some tasks only, declare a limit (`limits`) they name",
    ])
    .concat(
      ['failurepolicy', 'failure_policy', 'fail_fast', 'failfast'].map((name) => [
        name,
        "what a failure does to the rest is the run's: rxdag run --fail-fast (by default the failed task's dependents are skipped; one with `when: all-done` runs whatever its dependencies did)",
      ]),
      ['tasktimeoutms', 'task_timeout', 'task_timeout_ms', 'default_timeout', 'timeoutms', 'timeout_ms', 'timeout'].map((name) => [
        name,
        'a time limit for every task is a default of the tasks: `timeoutMs: MS` under `defaults`',
      ]),
      ['retry', 'retries', 'max_retries', 'default_retry'].map((name) => [
        name,
        'a retry policy for every task is a default of the tasks: `retry: { attempts: N }` under `defaults`, N counting the first attempt too',
      ]),
      ['env', 'environment', 'variables'].map((name) => [
        name,
        'variables for every task are a default of the tasks: `env:` under `defaults`',
      ]),
      [
        [
          'runs-on',
          'no counterpart in the file: tasks run where rxdag runs them, or with --redis on the workers that take their jobs (rxdag worker --agents chooses which agents a worker runs)',
        ],
      ],
    ),
);

/**
 * Settings of a task that other tools write as its own fields and a task holds in its `retry`,
 * or has no counterpart for, lower case, with what to write (given the value written).
 */
const TASK_FIELDS_ELSEWHERE: ReadonlyMap<string, (value: unknown) => string> = new Map([
  ...['retries', 'max_retries'].map(
    (name) =>
      [
        name,
        (value: unknown) => {
          const attempts = attemptsFor(value);
          const example = attempts === undefined ? '' : `: write \`retry: { attempts: ${attempts} }\` for ${retriesText(attempts - 1)}`;
          return `retries are \`retry: { attempts: N }\`, N counting the first attempt too${example}`;
        },
      ] as const,
  ),
  ['shell', () => "a task's `run` goes to /bin/sh -c: for bash, write `run: bash -c '…'`, or a script whose first line is #!/bin/bash"],
  ...['retry_delay', 'retry_delay_ms', 'retrydelay', 'retry_backoff', 'retry_delay_seconds'].map(
    (name) => [name, (value: unknown) => `the wait before a retry is \`retry: { backoffMs: MS }\`${inMilliseconds(name, value)}`] as const,
  ),
  ...['continue-on-error', 'continue_on_error', 'allow_failure', 'allow-failure', 'ignore_errors'].map(
    (name) =>
      [
        name,
        () =>
          'no counterpart: a task that fails for good fails the run; for one whose failure must not, end its command with `|| true` (it then completes), and give what must run whatever it did `when: all-done`',
      ] as const,
  ),
  [
    'runs-on',
    () =>
      'no counterpart in the file: a task runs where rxdag runs it, or with --redis on the worker that takes its job (rxdag worker --agents chooses which agents a worker runs)',
  ],
  [
    'steps',
    () =>
      'a task is one command: write the steps as the lines of `run: |` (`set -e` as its first line stops it at the first step that fails), or make each a task of its own with `deps`',
  ],
  [
    'weight_rule',
    () => 'no counterpart: a task waiting with others starts by its `priority`, then by the longest path of tasks still to run after it',
  ],
]);

/**
 * `: 30000 for 30 s` when a field of another tool in seconds (`timeout_seconds: 30`) gives a
 * number, `: "30m" is 1800000` when one gives a duration as text: what to write in milliseconds.
 */
function inMilliseconds(field: string, value: unknown): string {
  // a number of seconds or minutes (`timeout-minutes: "10"` too), or a duration as text
  const count = typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
  const unit = /sec/i.test(field) ? { ms: 1000, name: 's' } : /min/i.test(field) ? { ms: 60_000, name: 'min' } : undefined;
  if (typeof count === 'number' && Number.isFinite(count) && count > 0 && unit !== undefined) {
    const ms = Math.round(count * unit.ms);
    return ms <= MAX_TIMER_MS ? `: ${ms} for ${count} ${unit.name}` : `: ${count} ${unit.name} is longer than the longest timer Node keeps`;
  }
  const ms = typeof value === 'string' ? durationMs(value) : undefined;
  return ms === undefined ? '' : `: ${JSON.stringify(value)} is ${ms}`;
}

/**
 * The message of an unknown field among `known` (`value` is what the file gives it): the field it
 * stands for in other tools, else the closest one.
 */
export function unknownField(field: string, known: readonly string[], value?: unknown): string {
  // `-id: b` at the start of a line: a list entry without the space after its `-`
  if (/^-[A-Za-z]/.test(field)) {
    return `unknown field ${quoted(field)} (\`${field}\` needs a space after \`-\` to start a list entry: \`- ${field.slice(1)}:\`)`;
  }
  const odd = oddSpaceIn(field);
  if (odd !== undefined) return oddSpaceField(field, odd, known);
  const name = field.toLowerCase();
  // a task's own words for what it holds elsewhere, or has no counterpart for, before a field a name stands for
  const inTask = known.includes('retry') ? TASK_FIELDS_ELSEWHERE.get(name)?.(value) : undefined;
  if (inTask !== undefined && TASK_SYNONYMS.has(name)) return `unknown field ${quoted(field)} (${inTask})`;
  const meant = synonymField(field, known);
  if (meant !== undefined) return unknownFieldMeaning(field, meant, value);
  const elsewhere = known.includes('tasks') ? FIELDS_ELSEWHERE.get(name) : inTask;
  return elsewhere === undefined ? unknownFieldMessage(field, known) : `unknown field ${quoted(field)} (${elsewhere})`;
}

/**
 * An unknown field holding a space that is not U+0020 (`odd`), escaped: pasted text's no-break
 * spaces are not indentation, so `\u{a0}\u{a0}run` is a key of the mapping above, named so.
 */
function oddSpaceField(field: string, odd: string, known: readonly string[]): string {
  const plain = field.replace(/\s+/gu, ' ').trim();
  const meant = known.includes(plain) ? plain : closestName(plain, known);
  const named = meant === undefined ? '' : `did you mean ${quoted(meant)}? `;
  return `unknown field ${quotedVisibly(field)} (${named}it holds ${odd}, a space that is not the plain one, as text copied from a web page or a chat often has, and the file reads it as part of the name, not as indentation or spacing)`;
}

/**
 * `unknown field "needs" (did you mean "deps"?)`, as `unknownFieldMessage` words the closest
 * field; a retry's `retries` is told that `attempts` counts the first attempt too.
 */
function unknownFieldMeaning(field: string, meant: string, value?: unknown): string {
  const attempts = meant === 'attempts' ? attemptsFor(value) : undefined;
  const counted =
    meant !== 'attempts'
      ? ''
      : ` It counts the first attempt too${attempts === undefined ? '' : `: \`attempts: ${attempts}\` for ${retriesText(attempts - 1)}`}`;
  // other tools' durations are in seconds or timedeltas: say the unit of the field meant
  const unit = meant.endsWith('Ms') && !field.toLowerCase().endsWith('ms') ? ` It is in milliseconds${inMilliseconds(field, value)}` : '';
  // another tool's trigger rule under its field: the rule as `when` writes it (`all_done` → `all-done`)
  const rule = meant === 'when' && typeof value === 'string' ? meantRule(value) : undefined;
  if (rule !== undefined) return `unknown field ${quoted(field)} (did you mean \`when: ${rule}\`?)`;
  // a condition on anything else (`if: github.ref == 'main'`): `when` judges the dependencies' outcomes only
  if (meant === 'when' && field.toLowerCase() === 'if' && typeof value === 'string')
    return `unknown field ${quoted(field)} (\`when\` takes a rule on the dependencies' outcomes only, ${TRIGGER_RULES.map((r) => `\`${r}\``).join(', ')}: another condition has no counterpart; test it in the task's command)`;
  return `unknown field ${quoted(field)} (did you mean ${quoted(meant)}?${counted}${unit})`;
}

/**
 * The fields the unknown fields of `error` stand for in other tools (`retry.retries` stands for
 * `retry.attempts`): that such a field is missing is the same mistake, said once.
 */
export function synonymsMeant(error: z.ZodError, schema: z.ZodType): Misspelt {
  return misspeltFields(error, schema, synonymField);
}

/**
 * The library's issues about a DAG file (`file`, read from JSON when `json`), with the names
 * other tools use said: an unknown field of theirs is given the field it stands for, and the
 * field it stands for is not also said to be missing; `deps` written as text is given the list
 * (`deps: a, b`).
 */
export function withSynonymHints(issues: readonly DagIssue[], file: unknown, json: boolean): DagIssue[] {
  const meant = new Set<string>();
  const worded = issues.map((issue) => {
    if (issue.field === undefined) return issue;
    const field = synonymField(issue.field, libraryFieldsAt(issue.path));
    if (field === undefined) return issue;
    meant.add(JSON.stringify([...issue.path, field]));
    return { ...issue, message: unknownFieldMeaning(issue.field, field, valueAt(file, [...issue.path, issue.field])) };
  });
  return worded.flatMap((issue) => {
    const value = valueAt(file, issue.path);
    if (value === undefined && (meant.has(JSON.stringify(issue.path)) || writtenUnderOtherName(file, issue.path))) return [];
    if (typeof value !== 'string' || issue.field !== undefined) return [issue];
    const list = isListOfIds(issue.path) ? meantList(value, json) : undefined;
    return [list === undefined ? issue : { ...issue, message: withHint(issue.message, `write a list: ${list}`) }];
  });
}

/** Whether `path` is a task's `deps` or `limits`, or the defaults' `limits`: lists of names a file may write as text. */
function isListOfIds(path: readonly (string | number)[]): boolean {
  const field = path[path.length - 1];
  if (path[0] === 'defaults') return path.length === 2 && field === 'limits';
  return path[0] === 'tasks' && path.length === 3 && (field === 'deps' || field === 'limits');
}

/** Whether the field at `path`, missing, is in its mapping under another tool's name (`name: ci` for `id`): that name is reported, not the field. */
function writtenUnderOtherName(file: unknown, path: readonly (string | number)[]): boolean {
  const field = path[path.length - 1];
  const mapping = valueAt(file, path.slice(0, -1));
  if (typeof field !== 'string' || typeof mapping !== 'object' || mapping === null || Array.isArray(mapping)) return false;
  const known = libraryFieldsAt(path.slice(0, -1));
  const fileKnown = fileFieldsAt(path.slice(0, -1));
  // an unknown key of the file's mapping, told the field it stands for (`task_id`) or is spelt closest to (`Id`)
  return Object.keys(mapping).some(
    (name) => !fileKnown.includes(name) && (synonymField(name, known) ?? closestName(name, fileKnown)) === field,
  );
}

/** The fields of the file's schema at `path` (a task's, the defaults', the file's top level). */
function fileFieldsAt(path: readonly (string | number)[]): string[] {
  if (path[0] === 'tasks' && typeof path[1] === 'number') return fieldsAt(fileTaskSchema, path.slice(2));
  if (path[0] === 'defaults') return fieldsAt(fileDefaultsSchema, path.slice(1));
  return fieldsAt(dagFileSchema, path);
}

/** The fields of the library's spec at `path` (a task's, the defaults', the DAG's), for an unknown field there. */
function libraryFieldsAt(path: readonly (string | number)[]): string[] {
  if (path[0] === 'tasks' && typeof path[1] === 'number') return fieldsAt(taskSpecSchema, path.slice(2));
  if (path[0] === 'defaults') return fieldsAt(taskDefaultsSchema, path.slice(1));
  return fieldsAt(dagHeadSchema, path);
}

/** `message` with `hint` added inside its closing parenthesis (`(got "a, b"; write a list: [a, b])`), else in one of its own. */
function withHint(message: string, hint: string): string {
  return message.endsWith(')') ? `${message.slice(0, -1)}; ${hint})` : `${message} (${hint})`;
}
