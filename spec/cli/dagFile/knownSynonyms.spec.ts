import { meantList } from '../../../src/cli/dagFile/knownSynonyms';
import { durationMs, meantRule } from '../../../src/dag/issues';
import { tempDir } from '../support/files';
import { loadProblems } from '../support/loadProblems';

/**
 * Names people bring from other workflow tools: an unknown field of theirs is given the field it
 * stands for (also where edit distance would guess another), and that field is not also said
 * to be missing; a trigger rule written their way is given the rule; `deps` written as text is
 * given the list.
 */
describe('loadDagFile (names from other workflow tools)', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  const problemsOf = (name: string, text: string) => loadProblems(tmp.file(name), text);
  /** A DAG whose second task has `line` added. */
  const withField = (line: string) => `id: d\ntasks:\n  - id: a\n    sleep: 1\n  - id: b\n    sleep: 1\n    ${line}\n`;

  it.each([
    ['trigger_rule', 'when'],
    ['trigger-rule', 'when'],
    ['triggerRule', 'when'],
    ['command', 'run'],
    ['cmd', 'run'],
    ['script', 'run'],
    ['working_dir', 'cwd'],
    ['workdir', 'cwd'],
    ['cwd_dir', 'cwd'],
    ['depends_on', 'deps'],
    ['dependsOn', 'deps'],
    ['needs', 'deps'],
    ['upstream', 'deps'],
    ['timeout_ms', 'timeoutMs'],
    ['bash_command', 'run'],
    ['bash', 'run'],
    ['pool', 'limits'],
    ['pool_slots', 'weight'],
  ])('should take the task field %s for %s', (field, meant) => {
    expect(problemsOf(`${field}.yaml`, withField(`${field}: x`))).toEqual([
      `7:5: tasks[1]: unknown field "${field}" (did you mean "${meant}"?)`,
    ]);
  });

  it.each([
    ['all_done', '`when: all-done`'],
    ['one_failed', '`when: any-failed`'],
    ['ALL_SUCCESS', '`when: all-succeeded`'],
    // another tool's rule that no rule here stands for: only the field
    ['all_failed', '"when"'],
  ])('should give the rule as `when` writes it for trigger_rule: %s', (rule, meant) => {
    expect(problemsOf(`rule-${rule}.yaml`, withField(`trigger_rule: ${rule}`))).toEqual([
      `7:5: tasks[1]: unknown field "trigger_rule" (did you mean ${meant}?)`,
    ]);
  });

  it("should take `name` for a DAG's or a task's `id`, and `jobs` or `steps` for `tasks`, without saying the id or the tasks are missing", () => {
    expect(problemsOf('named.yaml', 'name: ci\ntasks:\n  - name: build\n    sleep: 1\n')).toEqual([
      '1:1: top level: unknown field "name" (did you mean "id"?)',
      '3:5: tasks[0]: unknown field "name" (did you mean "id"?)',
    ]);
    expect(problemsOf('jobs.yaml', 'id: ci\njobs:\n  - id: build\n    sleep: 1\n')).toEqual([
      '2:1: top level: unknown field "jobs" (did you mean "tasks"?)',
    ]);
    expect(problemsOf('steps.json', '{"id": "ci", "steps": []}')).toEqual([
      '1:14: top level: unknown field "steps" (did you mean "tasks"?)',
    ]);
  });

  it('should say how to write tasks given as a mapping keyed by id, as other tools write jobs', () => {
    expect(problemsOf('keyed.yaml', 'id: ci\ntasks:\n  build:\n    run: make\n')).toEqual([
      '3:3: tasks: expected a list of tasks, each with its `id` inside (YAML `- id: build`, JSON `[{"id": "build"}]`), not tasks keyed by id (got a mapping)',
    ]);
    expect(problemsOf('text.yaml', 'id: ci\ntasks: build\n')).toEqual(['2:8: tasks: expected a list of tasks (got "build")']);
  });

  it('should not also say that a task needs `run` when `command` stood for it, nor that a retry needs `attempts` for `retries`', () => {
    const text = [
      'id: d',
      'defaults:',
      '  working_dir: /tmp',
      '  retry: { retries: 2 }',
      'tasks:',
      '  - id: a',
      '    command: echo a',
      '  - id: b',
      '    sleep: 1',
      '    retry: { retries: 3 }',
      '',
    ].join('\n');
    expect(problemsOf('fields.yaml', text)).toEqual([
      '3:3: defaults: unknown field "working_dir" (did you mean "cwd"?)',
      '4:12: defaults.retry: unknown field "retries" (did you mean "attempts"? It counts the first attempt too: `attempts: 3` for 2 retries)',
      '7:5: tasks[0]: unknown field "command" (did you mean "run"?)',
      '10:14: tasks[1].retry: unknown field "retries" (did you mean "attempts"? It counts the first attempt too: `attempts: 4` for 3 retries)',
    ]);
  });

  it('should give the trigger rule written in another case, with underscores or under another name', () => {
    const rules = ['all_done', 'ALL-DONE', 'one_failed', 'one-failed', 'all_success', 'none_failed'];
    const text = [
      'id: d',
      'tasks:',
      '  - { id: a, sleep: 1 }',
      ...rules.map((rule, i) => `  - { id: t${i}, sleep: 1, deps: [a], when: ${rule} }`),
      '',
    ];
    const oneOf = 'must be one of "all-succeeded", "all-done", "any-failed", "none-failed"';
    expect(problemsOf('rules.yaml', text.join('\n'))).toEqual([
      `4:42: tasks[1].when: ${oneOf} (got "all_done"; did you mean "all-done"?)`,
      `5:42: tasks[2].when: ${oneOf} (got "ALL-DONE"; did you mean "all-done"?)`,
      `6:42: tasks[3].when: ${oneOf} (got "one_failed"; did you mean "any-failed"?)`,
      `7:42: tasks[4].when: ${oneOf} (got "one-failed"; did you mean "any-failed"?)`,
      `8:42: tasks[5].when: ${oneOf} (got "all_success"; did you mean "all-succeeded"?)`,
      `9:42: tasks[6].when: ${oneOf} (got "none_failed"; did you mean "none-failed"?)`,
    ]);
    // GitLab's and GitHub's words for the same rules
    const ci = ['on_failure', 'on_success', 'always'].map((rule, i) => `  - { id: c${i}, sleep: 1, deps: [a], when: ${rule} }`);
    expect(problemsOf('ci.yaml', ['id: d', 'tasks:', '  - { id: a, sleep: 1 }', ...ci, ''].join('\n'))).toEqual([
      `4:42: tasks[1].when: ${oneOf} (got "on_failure"; did you mean "any-failed"?)`,
      `5:42: tasks[2].when: ${oneOf} (got "on_success"; did you mean "all-succeeded"?)`,
      `6:42: tasks[3].when: ${oneOf} (got "always"; did you mean "all-done"?)`,
    ]);
    expect(problemsOf('later.yaml', withField('when: later'))).toEqual([`7:11: tasks[1].when: ${oneOf} (got "later")`]);
  });

  it('should not give a rule close in spelling for a rule of other tools that none here stands for', () => {
    const unmatched = ['all_failed', 'none_skipped', 'ONE_SUCCESS'];
    const text = [
      'id: d',
      'tasks:',
      '  - { id: a, sleep: 1 }',
      ...unmatched.map((rule, i) => `  - { id: t${i}, sleep: 1, deps: [a], when: ${rule} }`),
    ];
    const oneOf = 'must be one of "all-succeeded", "all-done", "any-failed", "none-failed"';
    const none = 'no rule here means what that rule means in other tools';
    expect(problemsOf('unmatched.yaml', `${text.join('\n')}\n`)).toEqual([
      `4:42: tasks[1].when: ${oneOf} (got "all_failed"; ${none})`,
      `5:42: tasks[2].when: ${oneOf} (got "none_skipped"; ${none})`,
      `6:42: tasks[3].when: ${oneOf} (got "ONE_SUCCESS"; ${none})`,
    ]);
    expect(meantRule('all_failed')).toBeUndefined();
    expect(meantRule('all-succeded')).toBe('all-succeeded');
  });

  it("should say where a task's retry count and retry delay go, written as the task's own fields", () => {
    expect(problemsOf('airflow.yaml', withField('retries: 3\n    retry_delay: 300'))).toEqual([
      '7:5: tasks[1]: unknown field "retries" (retries are `retry: { attempts: N }`, N counting the first attempt too: write `retry: { attempts: 4 }` for 3 retries)',
      '8:5: tasks[1]: unknown field "retry_delay" (the wait before a retry is `retry: { backoffMs: MS }`)',
    ]);
    expect(problemsOf('delay.yaml', withField('retry: { attempts: 2, delay: 300 }'))).toEqual([
      '7:27: tasks[1].retry: unknown field "delay" (did you mean "backoffMs"? It is in milliseconds)',
    ]);
    // other tools give these in seconds: the unit of the field meant is said
    expect(problemsOf('execution_timeout.yaml', withField('execution_timeout: 300'))).toEqual([
      '7:5: tasks[1]: unknown field "execution_timeout" (did you mean "timeoutMs"? It is in milliseconds)',
    ]);
    // GitHub's `shell` names the interpreter beside `run`, not the command: the interpreter is said
    expect(problemsOf('shell.yaml', withField('shell: bash'))).toEqual([
      "7:5: tasks[1]: unknown field \"shell\" (a task's `run` goes to /bin/sh -c: for bash, write `run: bash -c '…'`, or a script whose first line is #!/bin/bash)",
    ]);
    expect(problemsOf('dag_id.yaml', 'dag_id: ci\ntasks:\n  - { id: a, sleep: 1 }\n')).toEqual([
      '1:1: top level: unknown field "dag_id" (did you mean "id"?)',
    ]);
  });

  it('should give milliseconds for a duration written as text, and the list that `limits` written as text stands for', () => {
    expect(
      problemsOf('durations.yaml', withField('timeoutMs: 30m\n    retry: { attempts: 2, backoffMs: "1.5s" }\n    estimateMs: "5000"')),
    ).toEqual([
      '7:16: tasks[1].timeoutMs: expected a number of milliseconds (got "30m"; in milliseconds that is 1800000)',
      '8:38: tasks[1].retry.backoffMs: expected a number of milliseconds (got "1.5s"; in milliseconds that is 1500)',
      '9:17: tasks[1].estimateMs: expected a number of milliseconds (got "5000"; write it without quotes)',
    ]);
    // a no-break space after the number (pasted) makes it text, not a quote
    const pasted = (what: string, written: number) =>
      `it holds ${what}, as text copied from a web page or a chat often has: write ${written}`;
    const nbsp = 'U+00A0, a space that is not the plain one';
    expect(problemsOf('pasted.yaml', 'id: d\ntasks:\n  - { id: a, sleep: 5\u00a0}\n')).toEqual([
      `3:21: tasks[0].sleep: expected a number of milliseconds (got "5\u00a0"; ${pasted(nbsp, 5)})`,
    ]);
    // any number, not only milliseconds, a count of a limit too
    expect(
      problemsOf(
        'weights.yaml',
        'id: d\nlimits: { gpu: { concurrency: 2 } }\ntasks:\n  - { id: a, sleep: 1, weight: 4\u00a0, retry: { attempts: 2\u00a0}, limits: { gpu: 1\u00a0} }\n',
      ),
    ).toEqual([
      `4:32: tasks[0].weight: expected a positive integer weight (got "4\u00a0"; ${pasted(nbsp, 4)})`,
      `4:55: tasks[0].retry.attempts: expected an integer number of attempts (got "2\u00a0"; ${pasted(nbsp, 2)})`,
      `4:75: tasks[0].limits.gpu: expected a positive integer number of units (got "1\u00a0"; ${pasted(nbsp, 1)})`,
    ]);
    // thousands set apart by a thin space, a zero-width space or a BOM beside it: not said to be quoted
    expect(
      problemsOf('thousands.yaml', 'id: d\ntasks:\n  - { id: a, sleep: 1\u2009000, timeoutMs: 5\u200b, estimateMs: "\ufeff5" }\n'),
    ).toEqual([
      `3:21: tasks[0].sleep: expected a number of milliseconds (got "1\u2009000"; ${pasted('U+2009, a space that is not the plain one', 1000)})`,
      `3:39: tasks[0].timeoutMs: expected a number of milliseconds (got "5\u200b"; ${pasted('U+200B, a character that does not show', 5)})`,
      `3:55: tasks[0].estimateMs: expected a number of milliseconds (got "\ufeff5"; ${pasted('U+FEFF, a character that does not show', 5)})`,
    ]);
    // not where text was expected: a rule's name, a limit's name, are no number to write
    expect(
      problemsOf(
        'names.yaml',
        'id: d\nlimits: { gpu: { concurrency: 2 } }\ntasks:\n  - { id: a, sleep: 1, limits: ["5\u00a0", "5\u00a0"] }\n',
      ).filter((line) => line.includes('write 5')),
    ).toEqual([]);
    expect(problemsOf('rule.yaml', 'id: d\ntasks:\n  - { id: a, sleep: 1, when: "1\u00a0000" }\n')).toEqual([
      expect.not.stringContaining('write 1000'),
    ]);
    // a number in a YAML block (`sleep: >` with the number on the line below) is text too
    expect(problemsOf('block.yaml', 'id: d\ntasks:\n  - id: a\n    sleep: >\n      5\n')).toEqual([
      '4:12: tasks[0].sleep: expected a number of milliseconds (got "5\\n"; write the number after the colon)',
    ]);
    // past the longest timer, or less than a millisecond: said so, or no number given
    expect(problemsOf('far.yaml', 'id: d\ntasks:\n  - { id: a, sleep: 5s }\n  - { id: b, sleep: 1, timeoutMs: 30d }\n')).toEqual([
      '3:21: tasks[0].sleep: expected a number of milliseconds (got "5s"; in milliseconds that is 5000)',
      '4:35: tasks[1].timeoutMs: expected a number of milliseconds (got "30d"; that is 2592000000 ms, longer than the longest timer Node keeps)',
    ]);
    expect(problemsOf('limits.yaml', `id: d\nlimits:\n  db: { concurrency: 1 }\ntasks:\n  - { id: a, sleep: 1, limits: db }\n`)).toEqual([
      expect.stringMatching(/^5:32: tasks\[0\]\.limits: expected a list of limit names .*\(got "db"; write a list: \[db\]\)$/),
    ]);
  });

  it('should read durations in the forms people write them, and give fields in seconds their milliseconds', () => {
    const forms = ['"5 mins"', '"1h30m"', '"2h 5m"', 'PT30S', '"00:00:30"', '"10 seconds"'];
    const text = ['id: d', 'tasks:', ...forms.map((form, i) => `  - { id: t${i}, sleep: ${form} }`), ''].join('\n');
    expect(problemsOf('forms.yaml', text).map((line) => line.replace(/^.*\(got (.*)\)$/, '$1'))).toEqual([
      '"5 mins"; in milliseconds that is 300000',
      '"1h30m"; in milliseconds that is 5400000',
      '"2h 5m"; in milliseconds that is 7500000',
      '"PT30S"; in milliseconds that is 30000',
      '"00:00:30"; in milliseconds that is 30000',
      '"10 seconds"; in milliseconds that is 10000',
    ]);
    expect(problemsOf('seconds.yaml', withField('timeout_seconds: 60\n    retry_delay_seconds: 5\n    execution_timeout: 30m'))).toEqual([
      '7:5: tasks[1]: unknown field "timeout_seconds" (did you mean "timeoutMs"? It is in milliseconds: 60000 for 60 s)',
      '8:5: tasks[1]: unknown field "retry_delay_seconds" (the wait before a retry is `retry: { backoffMs: MS }`: 5000 for 5 s)',
      '9:5: tasks[1]: unknown field "execution_timeout" (did you mean "timeoutMs"? It is in milliseconds: "30m" is 1800000)',
    ]);
    expect(problemsOf('timeout.yaml', withField('timeout: 30m'))).toEqual([
      '7:5: tasks[1]: unknown field "timeout" (did you mean "timeoutMs"? It is in milliseconds: "30m" is 1800000)',
    ]);
  });

  it("should give Airflow's max_active_tasks the command's concurrency, and weight_rule no look-alike", () => {
    expect(problemsOf('airflow.yaml', `id: d\nmax_active_tasks: 4\ntasks:\n  - { id: a, sleep: 1, weight_rule: downstream }\n`)).toEqual([
      '2:1: top level: unknown field "max_active_tasks" (the run\'s concurrency is not set in the file: rxdag run -c N; to bound some tasks only, declare a limit (`limits`) they name)',
      '4:24: tasks[0]: unknown field "weight_rule" (no counterpart: a task waiting with others starts by its `priority`, then by the longest path of tasks still to run after it)',
    ]);
  });

  it("should say that a run's failure policy is the command's, and a time limit for every task a default", () => {
    expect(problemsOf('policy.yaml', 'id: d\nfailurePolicy: fail-fast\ntaskTimeoutMs: 5000\ntasks:\n  - { id: a, sleep: 1 }\n')).toEqual([
      '2:1: top level: unknown field "failurePolicy" (what a failure does to the rest is the run\'s: rxdag run --fail-fast (by default the failed task\'s dependents are skipped; one with `when: all-done` runs whatever its dependencies did))',
      '3:1: top level: unknown field "taskTimeoutMs" (a time limit for every task is a default of the tasks: `timeoutMs: MS` under `defaults`)',
    ]);
  });

  it("should say that a task's field written at the top level, a time limit or a retry policy for every task, is a default of the tasks", () => {
    expect(
      problemsOf('defaults.yaml', 'id: d\ntimeoutMs: 5000\nretry: { attempts: 3 }\ntask_timeout_ms: 1\ntasks:\n  - { id: a, sleep: 1 }\n'),
    ).toEqual([
      '2:1: top level: unknown field "timeoutMs" (a time limit for every task is a default of the tasks: `timeoutMs: MS` under `defaults`)',
      '3:1: top level: unknown field "retry" (a retry policy for every task is a default of the tasks: `retry: { attempts: N }` under `defaults`, N counting the first attempt too)',
      '4:1: top level: unknown field "task_timeout_ms" (a time limit for every task is a default of the tasks: `timeoutMs: MS` under `defaults`)',
    ]);
  });

  it("should give Prefect's names their fields", () => {
    expect(problemsOf('prefect.yaml', withField('wait_for: [a]\n    max_retries: 2'))).toEqual([
      '7:5: tasks[1]: unknown field "wait_for" (did you mean "deps"?)',
      '8:5: tasks[1]: unknown field "max_retries" (retries are `retry: { attempts: N }`, N counting the first attempt too: write `retry: { attempts: 3 }` for 2 retries)',
    ]);
  });

  it("should give GitHub Actions' names their fields, their status checks their rules, and say what has no counterpart", () => {
    const job = [
      'steps:\n      - run: make',
      'working-directory: pkg',
      'timeout-minutes: 5',
      'continue-on-error: true',
      'if: failure()',
      'when: ${{ always() }}',
    ];
    expect(problemsOf('actions.yaml', `id: d\nenv: { A: "1" }\ntasks:\n  - id: a\n    ${job.join('\n    ')}\n`)).toEqual([
      '2:1: top level: unknown field "env" (variables for every task are a default of the tasks: `env:` under `defaults`)',
      '5:5: tasks[0]: unknown field "steps" (a task is one command: write the steps as the lines of `run: |` (`set -e` as its first line stops it at the first step that fails), or make each a task of its own with `deps`)',
      '7:5: tasks[0]: unknown field "working-directory" (did you mean "cwd"?)',
      '8:5: tasks[0]: unknown field "timeout-minutes" (did you mean "timeoutMs"? It is in milliseconds: 300000 for 5 min)',
      '9:5: tasks[0]: unknown field "continue-on-error" (no counterpart: a task that fails for good fails the run; for one whose failure must not, end its command with `|| true` (it then completes), and give what must run whatever it did `when: all-done`)',
      '10:5: tasks[0]: unknown field "if" (did you mean `when: any-failed`?)',
      '11:11: tasks[0].when: must be one of "all-succeeded", "all-done", "any-failed", "none-failed" (got "${{ always() }}"; did you mean "all-done"?)',
    ]);
    // a condition on something else than the dependencies' outcomes has no counterpart
    expect(problemsOf('if.yaml', withField("if: github.ref == 'main'"))).toEqual([
      '7:5: tasks[1]: unknown field "if" (`when` takes a rule on the dependencies\' outcomes only, `all-succeeded`, `all-done`, `any-failed`, `none-failed`: another condition has no counterpart; test it in the task\'s command)',
    ]);
    // a job's machine has no counterpart; minutes as text, or past the longest timer, are said so
    expect(problemsOf('runs-on.yaml', withField('runs-on: ubuntu-latest\n    timeout-minutes: "10"'))).toEqual([
      '7:5: tasks[1]: unknown field "runs-on" (no counterpart in the file: a task runs where rxdag runs it, or with --redis on the worker that takes its job (rxdag worker --agents chooses which agents a worker runs))',
      '8:5: tasks[1]: unknown field "timeout-minutes" (did you mean "timeoutMs"? It is in milliseconds: 600000 for 10 min)',
    ]);
    // a workflow's `runs-on` at the top of the file likewise
    expect(problemsOf('top-runs-on.yaml', 'id: d\nruns-on: ubuntu-latest\ntasks:\n  - { id: a, sleep: 1 }\n')).toEqual([
      '2:1: top level: unknown field "runs-on" (no counterpart in the file: tasks run where rxdag runs them, or with --redis on the workers that take their jobs (rxdag worker --agents chooses which agents a worker runs))',
    ]);
    expect(problemsOf('long.yaml', withField('timeout-minutes: 100000'))).toEqual([
      '7:5: tasks[1]: unknown field "timeout-minutes" (did you mean "timeoutMs"? It is in milliseconds: 100000 min is longer than the longest timer Node keeps)',
    ]);
  });

  it("should say that the run's concurrency is the command's, and how to write a retry count", () => {
    expect(problemsOf('concurrency.yaml', 'id: d\nconcurrency: 4\ntasks:\n  - { id: a, sleep: 1, retry: 2 }\n')).toEqual([
      '2:1: top level: unknown field "concurrency" (the run\'s concurrency is not set in the file: rxdag run -c N; to bound some tasks only, declare a limit (`limits`) they name)',
      '4:31: tasks[0].retry: expected a retry policy: an object with `attempts` (got 2; write { attempts: 3 } for the first attempt and 2 retries)',
    ]);
  });

  it('should give the list that `deps` written as text stands for, in YAML and in JSON', () => {
    expect(problemsOf('deps.yaml', withField('deps: a, b'))).toEqual([
      '7:11: tasks[1].deps: expected an array of task ids (got "a, b"; write a list: [a, b])',
    ]);
    expect(problemsOf('deps.json', '{"id": "d", "tasks": [{"id": "a", "sleep": 1}, {"id": "b", "sleep": 1, "deps": "a"}]}')).toEqual([
      '1:80: tasks[1].deps: expected an array of task ids (got "a"; write a list: ["a"])',
    ]);
  });

  it('should say a rule or a list only when the text stands for one', () => {
    expect(meantRule('All_Succeeded')).toBe('all-succeeded');
    expect(meantRule('always')).toBe('all-done');
    expect(meantRule('later')).toBeUndefined();
    expect([durationMs('2 hours 30 minutes'), durationMs('P1D'), durationMs('10 msec')]).toEqual([9_000_000, 86_400_000, 10]);
    // no unit made up of another's letters, no ISO time part without a time, no text past a slip's length
    for (const text of ['5ss', '5 mss', '3 hs', 'P1DT', 'PT', '5', `${'1'.repeat(80_000)}!`]) expect(durationMs(text)).toBeUndefined();
    expect(meantList('a,b , c', false)).toBe('[a, b, c]');
    expect(meantList('build test', false)).toBe('[build, test]');
    expect(meantList('a: b, c', false)).toBe('["a: b", c]');
    expect(meantList('a,,b', false)).toBeUndefined();
    expect(meantList('', false)).toBeUndefined();
  });
});
