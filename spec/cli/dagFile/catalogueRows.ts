/**
 * Rows of the command-line bad-input catalogue (`spec/reliability/catalogue/cli.spec.ts`, which
 * runs them with its own) about DAG files: empty and binary files, times past the longest timer
 * Node keeps, messages that name the value given, every problem of a file at once and in its
 * order, unknown fields at their key with the field meant, control characters, working
 * directories that do not exist, named limits and what tasks ask of them. Data only.
 */

/**
 * One bad DAG file or option given to `rxdag`, and what stderr must say. A row runs in the
 * spec's own process unless it asks for the built CLI in a process of its own.
 */
export interface CliRow {
  readonly name: string;
  readonly command: 'validate' | 'run';
  /** The DAG file; `PROBE` is replaced by the probe file's path. Undefined: a file that does not exist. */
  readonly file: { readonly name: string; readonly text: () => string } | undefined;
  readonly args?: readonly string[];
  /** What stderr must say. */
  readonly stderr: RegExp;
  /** What stderr must not say. */
  readonly notStderr?: RegExp;
  /**
   * Run the built CLI (`node dist/cli/main.js`) in a process of its own, for what only a process
   * shows: its exit code and stderr as the executable gives them, its own stack depth.
   */
  readonly ownProcess?: boolean;
  /** In a process of its own whose stderr is a busy pipe, read only after a second: output must not be lost. */
  readonly slowReader?: boolean;
}

/** The task every file starts with: it would create the probe file if anything ran. */
export const probeTask = '  - id: probe\n    run: touch PROBE\n';
/** A YAML DAG file: `head`, the probe task, then `tasks`. */
export const yaml = (name: string, tasks: string, head = 'id: bad\ntasks:\n') => ({ name, text: () => `${head}${probeTask}${tasks}` });

export const fileRows: readonly CliRow[] = [
  {
    name: 'a YAML file of comments only',
    command: 'validate',
    file: { name: 'comments.yaml', text: () => '# a DAG, one day\n---\n' },
    stderr: /^rxdag: .*comments\.yaml is empty: expected a mapping with `id` and `tasks`/,
    notStderr: /got null/,
  },
  {
    name: 'a YAML tag rxdag gives no meaning (it would have left the text)',
    command: 'run',
    file: yaml('envtag.yaml', '  - id: home\n    run: !env echo $HOME\n'),
    stderr: /^rxdag: .*envtag\.yaml:6:10: YAML error: unknown tag !env: DAG files take YAML 1\.2's core tags only/,
  },
  {
    name: 'a YAML tag with other problems of the file (each said once, all at once)',
    command: 'validate',
    file: yaml('tagged.yaml', '  - id: a\n    run: !env echo a\n  - id: b\n    dep: [a]\n    sleep: !!float 5\n'),
    stderr:
      /^rxdag: .*tagged\.yaml:6:10: YAML error: unknown tag !env: .*\nrxdag: .*tagged\.yaml:8:5: tasks\[2\]: unknown field "dep" \(did you mean "deps"\?\)\nrxdag: .*tagged\.yaml:9:12: YAML error: the value does not fit its tag !!float .*\n$/,
  },
  {
    name: 'an empty JSON file',
    command: 'validate',
    file: { name: 'empty.json', text: () => '  \n' },
    stderr: /^rxdag: .*empty\.json is empty: expected a mapping with `id` and `tasks`/,
  },
  {
    name: 'binary garbage without NUL bytes',
    command: 'run',
    file: { name: 'noise.yaml', text: () => String.fromCharCode(...Array.from({ length: 2048 }, (_, i) => 1 + ((i * 53) % 255))) },
    stderr: /^rxdag: .*noise\.yaml is not a text DAG file \(it looks binary\)\n$/,
  },
  {
    name: 'a file of text garbage (syntax errors capped)',
    command: 'validate',
    file: { name: 'noise2.yaml', text: () => Array.from({ length: 200 }, (_, i) => `${'}'.repeat((i % 3) + 1)}: [ {`).join('\n') },
    stderr: /YAML syntax error.*\n(.*\n){9}rxdag: .*: … and \d+ more YAML syntax errors\n$/,
  },
  {
    name: 'a negative timeoutMs, named in the message',
    command: 'run',
    file: yaml('timeout-5.yaml', '  - id: b\n    sleep: 1\n    timeoutMs: -5\n'),
    stderr: /:7:16: tasks\[1\]\.timeoutMs: must be > 0 \(got -5\)\n$/,
  },
  // times past the longest timer Node keeps (2^31 - 1 ms): Node would fire them after 1 ms
  ...(
    [
      ['timeoutMs', 'run', '  - id: b\n    sleep: 1\n    timeoutMs: 3000000000\n', 'tasks\\[1\\]\\.timeoutMs'],
      ['sleep', 'run', '  - id: b\n    sleep: 3000000000\n', 'tasks\\[1\\]\\.sleep'],
      [
        'retry.backoffMs',
        'validate',
        '  - id: b\n    sleep: 1\n    retry: { attempts: 2, backoffMs: 3000000000 }\n',
        'tasks\\[1\\]\\.retry\\.backoffMs',
      ],
      [
        'retry.maxBackoffMs',
        'validate',
        '  - id: b\n    sleep: 1\n    retry: { attempts: 2, maxBackoffMs: 3000000000 }\n',
        'tasks\\[1\\]\\.retry\\.maxBackoffMs',
      ],
      ['the input of agent: sleep', 'validate', '  - id: b\n    agent: sleep\n    input: 3000000000\n', 'tasks\\[1\\]\\.input'],
    ] as const
  ).map(([field, command, tasks, path]): CliRow => ({
    name: `${field} above the longest timer Node keeps (3,000,000,000 ms)`,
    command,
    file: yaml(`${field.replace(/\W+/g, '-')}-huge.yaml`, tasks),
    stderr: new RegExp(
      `${path}: must be at most 2147483647 ms \\(about 24\\.8 days\\), the longest timer Node keeps \\(got 3000000000\\)\\n$`,
    ),
    notStderr: /TimeoutOverflowWarning/,
  })),
  {
    name: 'defaults.timeoutMs above the longest timer Node keeps',
    command: 'validate',
    file: yaml('defaults-huge.yaml', '', 'id: bad\ndefaults:\n  timeoutMs: 3000000000\ntasks:\n'),
    stderr:
      /:3:14: defaults\.timeoutMs: must be at most 2147483647 ms \(about 24\.8 days\), the longest timer Node keeps \(got 3000000000\)/,
  },
  {
    name: 'a retry policy that is a number (no raw zod text)',
    command: 'validate',
    file: yaml('retry-number.yaml', '  - id: b\n    sleep: 1\n    retry: 5\n'),
    stderr:
      /tasks\[1\]\.retry: expected a retry policy: an object with `attempts` \(got 5; write \{ attempts: 6 \} for the first attempt and 5 retries\)/,
  },
  {
    name: 'a misspelt default, next to other problems (all reported)',
    command: 'validate',
    file: yaml('defaults-typo.yaml', '  - id: b\n    sleep: -5\n', 'id: bad\ndefaults:\n  timout: 5\ntasks:\n'),
    stderr: /:3:3: defaults: unknown field "timout" \(did you mean "timeoutMs"\?\)\n.*:8:12: tasks\[1\]\.sleep: must be >= 0 \(got -5\)\n$/,
  },
  {
    name: 'defaults that are a number, next to other problems (all reported)',
    command: 'validate',
    file: yaml('defaults-5.yaml', '  - id: b\n    deps: [ghost]\n    sleep: 1\n', 'id: bad\ndefaults: 5\ntasks:\n'),
    stderr: /:2:11: defaults: expected a mapping of task defaults .* \(got 5\)\n.*tasks\[1\]\.deps\[0\]: task "b" depends on "ghost"/,
  },
  {
    name: 'a bad env in the defaults, next to other problems (all reported)',
    command: 'validate',
    file: yaml('defaults-env.yaml', '  - id: b\n    run: echo\n    timeoutMs: 0\n', 'id: bad\ndefaults:\n  env: [A, B]\ntasks:\n'),
    stderr: /defaults\.env: expected a mapping of variable names to values \(got a list\)\n.*tasks\[1\]\.timeoutMs: must be > 0 \(got 0\)/,
  },
  {
    name: 'a duplicate id on a task with other problems (all reported)',
    command: 'validate',
    file: yaml('dup-more.yaml', '  - id: probe\n    sleep: -1\n    deps: [ghost]\n'),
    stderr:
      /tasks\[1\]\.id: duplicate task id "probe".*\n.*tasks\[1\]\.sleep: must be >= 0 \(got -1\)\n.*tasks\[1\]\.deps\[0\]: task "probe" depends on "ghost"/,
  },
  {
    name: 'a misspelt task field (dep), at its own line with the field meant',
    command: 'validate',
    file: yaml('dep.yaml', '  - id: b\n    sleep: 1\n    dep: [probe]\n'),
    stderr: /:7:5: tasks\[1\]: unknown field "dep" \(did you mean "deps"\?\)\n$/,
  },
  {
    name: 'a misspelt task field (timeout), with the field meant',
    command: 'validate',
    file: yaml('timeout-typo.yaml', '  - id: b\n    sleep: 1\n    timeout: 5\n'),
    stderr: /:7:5: tasks\[1\]: unknown field "timeout" \(did you mean "timeoutMs"\? It is in milliseconds\)\n$/,
  },
  {
    name: 'a misspelt retry field, at its own line with the field meant',
    command: 'validate',
    file: yaml('backoff.yaml', '  - id: b\n    sleep: 1\n    retry:\n      attempts: 2\n      backoff: 5\n'),
    stderr: /:9:7: tasks\[1\]\.retry: unknown field "backoff" \(did you mean "backoffMs"\?\)\n$/,
  },
  {
    name: 'a misspelt top-level field (task), with the field meant',
    command: 'validate',
    file: { name: 'task.yaml', text: () => `id: bad\ntask:\n${probeTask}` },
    stderr: /:2:1: top level: unknown field "task" \(did you mean "tasks"\?\)/,
  },
  {
    name: 'problems found by different checks, printed in the order of the file',
    command: 'validate',
    file: yaml('order.yaml', '  - id: b\n    deps: [ghost]\n    sleep: 1\n  - id: c\n    sleep: -1\n'),
    stderr: /:6:12: tasks\[1\]\.deps\[0\]: .*\n.*:9:12: tasks\[2\]\.sleep: must be >= 0 \(got -1\)\n$/,
  },
  {
    name: 'a task id with a line feed',
    command: 'validate',
    file: yaml('id-newline.yaml', '  - id: "a\\nb"\n    sleep: 1\n'),
    stderr: /tasks\[1\]\.id: must not contain control characters: a line feed \(U\+000A\) at character 2 \(got "a\\nb"\)/,
  },
  {
    name: 'a dependency holding terminal escapes (escaped, not echoed)',
    command: 'validate',
    file: yaml('escape.yaml', '  - id: b\n    deps: ["\\e[31mred\\a"]\n    sleep: 1\n'),
    stderr: /depends on "\\u001b\[31mred\\u0007", which is not a task of this DAG/,
  },
  {
    name: 'a cwd that does not exist (refused by validate as by run)',
    command: 'validate',
    file: yaml('cwd.yaml', '  - id: b\n    run: echo\n    cwd: /does/not/exist\n'),
    stderr:
      /:7:10: tasks\[1\]\.cwd: cwd "\/does\/not\/exist" is not an existing directory \(it must exist when the run starts: for a folder a task makes, `cd` into it in the command instead\)\n$/,
  },
  // named limits (`limits:` at the top) and what tasks ask of them: `limits`, `weight`, `when`
  {
    name: 'a task naming a limit the file does not declare, with the names it does',
    command: 'run',
    file: yaml(
      'limit-unknown.yaml',
      '  - id: b\n    sleep: 1\n    limits: [apii]\n',
      'id: bad\nlimits:\n  api: { concurrency: 2 }\ntasks:\n',
    ),
    stderr:
      /:9:14: tasks\[1\]\.limits\[0\]: task "b" needs limit "apii", which is not declared in `limits:` \(did you mean "api"\?\); declared: "api"\n$/,
  },
  {
    name: 'defaults naming a limit the file does not declare (said once, at the defaults)',
    command: 'validate',
    file: yaml(
      'limit-defaults.yaml',
      '  - id: b\n    sleep: 1\n',
      'id: bad\nlimits:\n  api: { concurrency: 2 }\ndefaults:\n  limits: [apii]\ntasks:\n',
    ),
    stderr:
      /^rxdag: \S+:5:12: defaults\.limits\[0\]: the defaults need limit "apii", which is not declared in `limits:` \(did you mean "api"\?\); declared: "api"\n$/,
  },
  {
    name: 'a default weight heavier than a limit the defaults name (said once, at the defaults)',
    command: 'validate',
    file: yaml(
      'limit-defaults-heavy.yaml',
      '  - id: b\n    sleep: 1\n',
      'id: bad\nlimits:\n  api: { concurrency: 2 }\ndefaults:\n  limits: [api]\n  weight: 3\ntasks:\n',
    ),
    stderr:
      /^rxdag: \S+:6:11: defaults\.weight: the defaults weigh 3, more than limit "api" allows \(concurrency 2\): the 2 tasks that take the default weight \("probe", "b"\) could never start\n$/,
  },
  {
    name: 'a default weight heavier than the concurrency (said once, at the defaults; a task’s own weight at the task)',
    command: 'run',
    file: yaml(
      'weight-defaults-heavy.yaml',
      `${Array.from({ length: 50 }, (_, i) => `  - id: t${i}\n    sleep: 1\n`).join('')}  - id: own\n    sleep: 1\n    weight: 12\n`,
      'id: bad\ndefaults:\n  weight: 10\ntasks:\n',
    ),
    args: ['-c', '4'],
    stderr:
      /^rxdag: \S+:3:11: defaults\.weight: the defaults weigh 10, more than the concurrency 4 \(`-c`\/`--concurrency`\): the 51 tasks that take the default weight \("probe", "t0", "t1" and 48 more\) could never start\nrxdag: \S+:109:13: tasks\[51\]\.weight: task "own" weighs 12, more than the concurrency 4 \(`-c`\/`--concurrency`\): it could never start\n$/,
  },
  {
    name: 'a task naming a limit in a file without limits',
    command: 'validate',
    file: yaml('limit-none.yaml', '  - id: b\n    sleep: 1\n    limits: [api]\n'),
    stderr: /:7:14: tasks\[1\]\.limits\[0\]: task "b" needs limit "api", which is not declared in `limits:`; the file declares none/,
  },
  ...(
    [
      ['a zero concurrency', '{ concurrency: 0 }', ':3:23: limits.api.concurrency: must be a positive integer (got 0)'],
      ['a negative concurrency', '{ concurrency: -2 }', ':3:23: limits.api.concurrency: must be a positive integer (got -2)'],
      ['a concurrency that is not an integer', '{ concurrency: 1.5 }', 'limits.api.concurrency: must be a positive integer (got 1.5)'],
      [
        'a rate without intervalMs',
        '{ rate: { limit: 60 } }',
        ':3:16: limits.api.rate.intervalMs: a `rate` needs `intervalMs`: the length of its window in milliseconds (got nothing)',
      ],
      [
        'a rate without limit',
        '{ rate: { intervalMs: 1000 } }',
        ':3:16: limits.api.rate.limit: a `rate` needs `limit`: the most units it lets start in each window (got nothing)',
      ],
      ['a zero rate limit', '{ rate: { limit: 0, intervalMs: 1000 } }', ':3:25: limits.api.rate.limit: must be a positive integer (got 0)'],
      ['a negative intervalMs', '{ rate: { limit: 5, intervalMs: -1 } }', ':3:40: limits.api.rate.intervalMs: must be > 0 (got -1)'],
      [
        'a limit with neither concurrency nor rate',
        '{}',
        ':3:8: limits.api: a limit needs `concurrency`, `rate: { limit, intervalMs }` or both (it has neither)',
      ],
      // the field meant, which says all: not also that the limit lacks it
      ['a misspelt limit field', '{ concurency: 2 }', ':3:10: limits.api: unknown field "concurency" (did you mean "concurrency"?)'],
      [
        'a concurrency past the largest integer a number holds',
        '{ concurrency: 1e20 }',
        ':3:23: limits.api.concurrency: must be a positive integer of at most 9007199254740991 (got 100000000000000000000)',
      ],
    ] as const
  ).map(([name, limit, stderr], i): CliRow => ({
    name: `${name} in a limit`,
    command: i % 2 === 0 ? 'run' : 'validate',
    file: yaml(`limit-${i}.yaml`, '', `id: bad\nlimits:\n  api: ${limit}\ntasks:\n`),
    // the text as written, but for `.*` (the rest of a line): the last problem printed
    stderr: new RegExp(`${stderr.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replaceAll('\\.\\*', '.*')}.*\\n$`),
  })),
  {
    name: 'a limit name no task could name',
    command: 'validate',
    file: yaml('limit-name.yaml', '', 'id: bad\nlimits:\n  "": { concurrency: 1 }\n  "re\\u001b[31md": { concurrency: 1 }\ntasks:\n'),
    stderr:
      /:3:3: limits: invalid limit name "": must not be empty\n.*:4:3: limits: invalid limit name "re\\u001b\[31md": must not contain control characters: an escape \(U\+001B\) at character 3\n$/,
  },
  {
    name: 'a limit a task names twice',
    command: 'run',
    file: yaml(
      'limit-twice.yaml',
      '  - id: b\n    sleep: 1\n    limits: [api, api]\n',
      'id: bad\nlimits:\n  api: { concurrency: 2 }\ntasks:\n',
    ),
    stderr: /:9:19: tasks\[1\]\.limits\[1\]: names limit "api" twice \(got "api"\)\n$/,
  },
  {
    name: 'limits that are a list',
    command: 'validate',
    file: yaml('limits-list.yaml', '', 'id: bad\nlimits: [api]\ntasks:\n'),
    stderr: /:2:9: limits: expected a mapping of limit names to limits .* \(got a list\)\n$/,
  },
  {
    name: 'a zero weight',
    command: 'run',
    file: yaml('weight-0.yaml', '  - id: b\n    sleep: 1\n    weight: 0\n'),
    stderr: /:7:13: tasks\[1\]\.weight: must be at least 1 \(got 0\)\n$/,
  },
  {
    name: 'a weight that is not an integer',
    command: 'validate',
    file: yaml('weight-half.yaml', '  - id: b\n    sleep: 1\n    weight: 2.5\n'),
    stderr: /tasks\[1\]\.weight: must be an integer \(got 2\.5\)\n$/,
  },
  {
    name: 'an unknown when',
    command: 'run',
    file: yaml('when.yaml', '  - id: b\n    deps: [probe]\n    sleep: 1\n    when: sometimes\n'),
    stderr: /:8:11: tasks\[1\]\.when: must be one of "all-succeeded", "all-done", "any-failed", "none-failed" \(got "sometimes"\)\n$/,
  },
  {
    name: 'a task heavier than a limit it needs, naming both',
    command: 'run',
    file: yaml(
      'too-heavy.yaml',
      '  - id: embed\n    sleep: 1\n    limits: [api]\n    weight: 4\n',
      'id: bad\nlimits:\n  api: { concurrency: 2 }\ntasks:\n',
    ),
    stderr: /:10:13: tasks\[1\]\.weight: task "embed" weighs 4, more than limit "api" allows \(concurrency 2\): it could never start\n$/,
  },
  {
    name: 'a task heavier than the concurrency of a limit whose rate is malformed (both said at once)',
    command: 'validate',
    file: yaml(
      'too-heavy-bad-rate.yaml',
      '  - id: a\n    sleep: 1\n    limits: [api]\n    weight: 3\n',
      'id: bad\nlimits:\n  api: { concurrency: 2, rate: { limit: -5, intervalMs: 1000 } }\ntasks:\n',
    ),
    stderr:
      /:3:41: limits\.api\.rate\.limit: must be a positive integer \(got -5\)\n.*:10:13: tasks\[1\]\.weight: task "a" weighs 3, more than limit "api" allows \(concurrency 2\): it could never start\n$/,
  },
  {
    name: 'a task heavier than a rate limit it needs',
    command: 'validate',
    file: yaml(
      'too-heavy-rate.yaml',
      '  - id: embed\n    sleep: 1\n    limits: [api]\n    weight: 4\n',
      'id: bad\nlimits:\n  api: { rate: { limit: 3, intervalMs: 1000 } }\ntasks:\n',
    ),
    stderr: /tasks\[1\]\.weight: task "embed" weighs 4, more than limit "api" allows \(rate limit 3 per 1000 ms\)/,
  },
  {
    name: 'limit problems in a JSON file, at their places',
    command: 'run',
    file: {
      name: 'limits.json',
      text: () =>
        JSON.stringify(
          {
            id: 'bad',
            limits: { api: { rate: { limit: 60 } } },
            tasks: [
              { id: 'probe', run: 'touch PROBE' },
              { id: 'b', sleep: 1, limits: ['db'], when: 'sometimes' },
            ],
          },
          null,
          2,
        ),
    },
    stderr:
      /:5:15: limits\.api\.rate\.intervalMs: a `rate` needs `intervalMs`.*\n.*:19:9: tasks\[1\]\.limits\[0\]: task "b" needs limit "db".*\n.*:21:15: tasks\[1\]\.when: must be one of/,
  },
  {
    name: 'a default cwd that does not exist',
    command: 'run',
    file: yaml('default-cwd.yaml', '', 'id: bad\ndefaults:\n  cwd: no-such-folder\ntasks:\n'),
    stderr:
      /:3:8: defaults\.cwd: cwd "no-such-folder" \(".*\/no-such-folder"\) is not an existing directory \(it must exist when the run starts: for a folder a task makes, `cd` into it in the command instead\)\n$/,
  },
];
