import { existsSync } from 'node:fs';
import { ensureBuilt, runCli } from './support/builtCli';
import { tempDir, writeText } from './support/files';
import { rxdagInProcess } from './support/inProcessCli';

/**
 * Bad input: each problem on its own line on stderr, exit 2, nothing run. The probe file in
 * each DAG would be created by its first task: it must not exist afterwards. The commands run
 * in this process (what they print does not depend on being one), but for one in the built
 * CLI: the executable's exit code and stderr for a refused run.
 */
describe('rxdag run (invalid input)', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  /** `rxdag run` in this process, journaling (were it to get past its checks) into a store of the spec's. */
  const run = (...argv: string[]) => rxdagInProcess('run', ...argv, '--store', tmp.file('store'));

  const probe = () => tmp.file('probe');
  const dagWith = (name: string, text: string) => writeText(tmp.file(name), text.replace('PROBE', probe()));

  /** Runs `rxdag run` on a file and returns the problem lines. */
  async function problems(file: string, ...options: string[]): Promise<string[]> {
    const events = tmp.file(`${file.split('/').pop()}.jsonl`);
    const result = await run(file, '--events', events, ...options);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(existsSync(probe())).toBe(false);
    expect(existsSync(events)).toBe(false);
    expect(existsSync(tmp.file('store'))).toBe(false);
    return result.stderr.trimEnd().split('\n');
  }

  it('should name a missing file on one line, from the built CLI', async () => {
    await ensureBuilt();
    const events = tmp.file('missing.jsonl');
    const result = await runCli(['run', 'no/such/dag.yaml', '--events', events]);
    expect(result).toEqual({ code: 2, signal: null, stdout: '', stderr: 'rxdag: no/such/dag.yaml: cannot read DAG file: no such file\n' });
    expect(existsSync(events)).toBe(false);
    expect(existsSync(probe())).toBe(false);
  }, 120_000);

  it('should give the line and column of each YAML syntax error, one per line', async () => {
    const file = dagWith(
      'syntax.yaml',
      'id: broken\ntasks:\n  - id: a\n    run: touch PROBE\n  - id: b\n    run: echo error: oops\n    deps: [a\n',
    );
    expect(await problems(file)).toEqual([
      `rxdag: ${file}:6:10: YAML syntax error: Nested mappings are not allowed in compact mappings (a value holding ": " needs quotes, or \`run: |\`)`,
      `rxdag: ${file}:8:1: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]`,
    ]);
  });

  it('should say what is likely wrong with an over-indented key or `-id:`, at the key, not ask for quotes', async () => {
    const indented = dagWith('indented.yaml', 'id: d\ntasks:\n  - id: bad\n      run: touch PROBE\n  - id: b\n    run: echo b\n');
    const dash = dagWith('dash.yaml', 'id: d\ntasks:\n  -id: b\n    run: touch PROBE\n');
    const nested = 'YAML syntax error: Nested mappings are not allowed in compact mappings';
    expect(await problems(indented)).toEqual([
      `rxdag: ${indented}:4:7: ${nested} (\`run\` is at column 7 and \`id\` above it at column 5: the keys of one mapping start at the same column)`,
    ]);
    expect(await problems(dash)).toEqual([
      `rxdag: ${dash}:3:3: ${nested} (\`-id\` needs a space after \`-\` to start a list entry: \`- id:\`)`,
    ]);
  });

  it('should refuse an env value whose number would reach the task changed, and run nothing', async () => {
    const file = dagWith(
      'numbers.yaml',
      'id: numbers\ntasks:\n  - id: a\n    run: touch PROBE\n    env: { ZIP: 02134, VERSION: 1.10, PORT: 8080 }\n',
    );
    const written = (text: string, number: string) =>
      `${text} is read as the number ${number}; write it in quotes ("${text}") to keep it as written`;
    const expected = [
      `rxdag: ${file}:5:17: tasks[0].env.ZIP: ${written('02134', '2134')}`,
      `rxdag: ${file}:5:33: tasks[0].env.VERSION: ${written('1.10', '1.1')}`,
    ];
    expect(await problems(file)).toEqual(expected);
    expect(await rxdagInProcess('validate', file)).toEqual({ code: 2, stdout: '', stderr: `${expected.join('\n')}\n` });
  });

  it('should name the field or trigger rule that a name of another workflow tool stands for', async () => {
    const file = dagWith(
      'other-tools.yaml',
      'id: other\ntasks:\n  - id: a\n    command: touch PROBE\n  - id: b\n    sleep: 1\n    depends_on: a\n    trigger_rule: all_done\n',
    );
    expect(await problems(file)).toEqual([
      `rxdag: ${file}:4:5: tasks[0]: unknown field "command" (did you mean "run"?)`,
      `rxdag: ${file}:7:5: tasks[1]: unknown field "depends_on" (did you mean "deps"?)`,
      `rxdag: ${file}:8:5: tasks[1]: unknown field "trigger_rule" (did you mean \`when: all-done\`?)`,
    ]);
  });

  it('should give the line and column of a JSON syntax error', async () => {
    const file = dagWith('syntax.json', '{\n  "id": "j",\n  "tasks": [\n    {"id": "a", "run": "touch PROBE"},\n  ]\n}\n');
    expect(await problems(file)).toEqual([`rxdag: ${file}:5:3: JSON syntax error: expected a value, found "]" (trailing comma?)`]);
  });

  it('should report every schema problem at once, each on its own line where it is written', async () => {
    const file = dagWith(
      'schema.yaml',
      [
        'id: many-problems',
        'tasks:',
        '  - id: first',
        '    run: touch PROBE',
        '  - id: both',
        '    run: echo hi',
        '    sleep: 100',
        '  - id: neither',
        '    deps: [first]',
        '  - id: typo',
        '    sleep: 10',
        '    retries: 3',
        '  - id: negative',
        '    sleep: -5',
        '  - id: first',
        '    sleep: 1',
        '    deps: [ghost]',
        '',
      ].join('\n'),
    );
    expect(await problems(file)).toEqual([
      `rxdag: ${file}:7:12: tasks[1].sleep: give only one of \`run\`, \`sleep\` or \`agent\` (this task has \`run\` and \`sleep\`)`,
      `rxdag: ${file}:8:5: tasks[2]: a task needs one of \`run\` (a shell command), \`sleep\` (milliseconds) or \`agent\``,
      `rxdag: ${file}:12:5: tasks[3]: unknown field "retries" (retries are \`retry: { attempts: N }\`, N counting the first attempt too: write \`retry: { attempts: 4 }\` for 3 retries)`,
      `rxdag: ${file}:14:12: tasks[4].sleep: must be >= 0 (got -5)`,
      `rxdag: ${file}:15:9: tasks[5].id: duplicate task id "first" (first used by tasks[0])`,
      // a duplicate's other problems are its own too
      `rxdag: ${file}:17:12: tasks[5].deps[0]: task "first" depends on "ghost", which is not a task of this DAG`,
    ]);
  });

  it('should report every problem of limits, weights and trigger rules at once, each where it is written', async () => {
    const file = dagWith(
      'limits.yaml',
      [
        'id: limited',
        'limits:',
        '  api: { concurrency: 0, rate: { limit: 60 } }',
        '  gpu: { concurrency: 2 }',
        'tasks:',
        '  - id: first',
        '    run: touch PROBE',
        '  - id: embed',
        '    sleep: 1',
        '    limits: [apii, gpu]',
        '    weight: 3',
        '  - id: alert',
        '    deps: [embed]',
        '    sleep: 1',
        '    weight: -1',
        '    when: sometimes',
        '',
      ].join('\n'),
    );
    expect(await problems(file)).toEqual([
      `rxdag: ${file}:3:23: limits.api.concurrency: must be a positive integer (got 0)`,
      `rxdag: ${file}:3:32: limits.api.rate.intervalMs: a \`rate\` needs \`intervalMs\`: the length of its window in milliseconds (got nothing)`,
      `rxdag: ${file}:10:14: tasks[1].limits[0]: task "embed" needs limit "apii", which is not declared in \`limits:\` (did you mean "api"?); declared: "api", "gpu"`,
      `rxdag: ${file}:11:13: tasks[1].weight: task "embed" weighs 3, more than limit "gpu" allows (concurrency 2): it could never start`,
      `rxdag: ${file}:15:13: tasks[2].weight: must be at least 1 (got -1)`,
      `rxdag: ${file}:16:11: tasks[2].when: must be one of "all-succeeded", "all-done", "any-failed", "none-failed" (got "sometimes")`,
    ]);
  });

  it('should refuse in validate exactly what run refuses before starting, by the same check', async () => {
    const file = dagWith(
      'run-only.yaml',
      [
        'id: only-at-run',
        'defaults:',
        '  timout: 5',
        'tasks:',
        '  - id: first',
        '    run: touch PROBE',
        '    cwd: /does/not/exist',
        '  - id: later',
        '    sleep: 1',
        '    timeoutMs: 3000000000',
        '  - id: first',
        '    agent: sleep',
        '    input: 2147483648',
        '    dep: [later]',
        '',
      ].join('\n'),
    );
    const fromRun = await problems(file);
    const validate = await rxdagInProcess('validate', file);
    expect({ code: validate.code, stdout: validate.stdout }).toEqual({ code: 2, stdout: '' });
    expect(validate.stderr.trimEnd().split('\n')).toEqual(fromRun);
    const timer = 'must be at most 2147483647 ms (about 24.8 days), the longest timer Node keeps';
    expect(fromRun).toEqual([
      `rxdag: ${file}:3:3: defaults: unknown field "timout" (did you mean "timeoutMs"?)`,
      `rxdag: ${file}:7:10: tasks[0].cwd: cwd "/does/not/exist" is not an existing directory (it must exist when the run starts: for a folder a task makes, \`cd\` into it in the command instead)`,
      `rxdag: ${file}:10:16: tasks[1].timeoutMs: ${timer} (got 3000000000)`,
      `rxdag: ${file}:11:9: tasks[2].id: duplicate task id "first" (first used by tasks[0])`,
      `rxdag: ${file}:13:12: tasks[2].input: ${timer} (got 2147483648)`,
      `rxdag: ${file}:14:5: tasks[2]: unknown field "dep" (did you mean "deps"?)`,
    ]);
  });

  it('should report a cycle as a path, and an unknown dependency', async () => {
    const file = dagWith(
      'cycle.json',
      JSON.stringify(
        {
          id: 'loop',
          tasks: [
            { id: 'a', deps: ['c'], run: 'touch PROBE' },
            { id: 'b', deps: ['a', 'nope'], sleep: 1 },
            { id: 'c', deps: ['b'], sleep: 1 },
          ],
        },
        null,
        2,
      ),
    );
    const lines = await problems(file);
    expect(lines).toContainEqual(
      expect.stringMatching(/tasks\[1\]\.deps\[1\]: task "b" depends on "nope", which is not a task of this DAG$/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /: tasks\[\d\]\.deps: cycle: (a -> c -> b -> a|b -> a -> c -> b|c -> b -> a -> c) \(each task depends on the next\)$/,
      ),
    );
    for (const line of lines) expect(line).toMatch(new RegExp(`^rxdag: ${escape(file)}:\\d+:\\d+: `));
  });

  it('should report an unknown agent with the agents it knows', async () => {
    const file = dagWith(
      'agent.yaml',
      'id: agents\ntasks:\n  - id: a\n    run: touch PROBE\n  - id: ask\n    agent: llm\n    input: { prompt: hi }\n',
    );
    expect(await problems(file)).toEqual([
      `rxdag: ${file}:6:12: tasks[1].agent: unknown agent "llm" (used by "ask"); known agents: "shell", "sleep"`,
    ]);
  });

  it('should report every bad option at once', async () => {
    const file = dagWith('ok.yaml', 'id: fine\ntasks:\n  - id: a\n    run: touch PROBE\n');
    expect(await problems(file, '--concurrency', '0', '--poll-interval', 'soon', '--quiet', '--json')).toEqual([
      'rxdag: --concurrency must be a positive integer (got "0")',
      'rxdag: --poll-interval must be a positive number of milliseconds (got "soon")',
      'rxdag: --poll-interval only applies with --mode polling',
      'rxdag: --quiet and --json cannot be used together (--json already prints only events)',
    ]);
  });

  it("should report the file's problems beside a bad option's, not after it is fixed", async () => {
    // a heavy task is no problem of the file's: no concurrency was given but the bad one
    const file = dagWith('both.yaml', 'id: both\ntasks:\n  - id: a\n    run: touch PROBE\n    deps: [zz]\n    weight: 16\n');
    expect(await problems(file, '--concurrency', '0')).toEqual([
      'rxdag: --concurrency must be a positive integer (got "0")',
      `rxdag: ${file}:5:12: tasks[0].deps[0]: task "a" depends on "zz", which is not a task of this DAG`,
    ]);
  });

  it('should refuse an unknown --mode and an unknown option with exit 2', async () => {
    const file = dagWith('ok2.yaml', 'id: fine\ntasks:\n  - id: a\n    run: touch PROBE\n');
    const [mode, unknown] = [await run(file, '--mode', 'turbo'), await run(file, '--turbo')];
    expect(mode).toMatchObject({ code: 2, stdout: '' });
    // worded as rxdag's own problems, with the command's help to read
    expect(mode.stderr).toBe(
      "rxdag: option '--mode <mode>' argument 'turbo' is invalid. Allowed choices are event, polling.\n(run \"rxdag run --help\" for usage)\n",
    );
    expect(unknown).toMatchObject({
      code: 2,
      stdout: '',
      stderr: 'rxdag: unknown option \'--turbo\'\n(run "rxdag run --help" for usage)\n',
    });
    expect(await rxdagInProcess('--turbo')).toMatchObject({
      code: 2,
      stderr: 'rxdag: unknown option \'--turbo\'\n(run "rxdag --help" for usage)\n',
    });
    // other tools' flags of concurrency are given -c, not their closest name (`--jobs` is not `--logs`)
    for (const flag of ['-j4', '--jobs', '--jobs=4', '--parallel']) {
      expect(await rxdagInProcess('run', file, flag)).toMatchObject({
        code: 2,
        stderr: `rxdag: unknown option '${flag}' (-c N, --concurrency N: how many tasks run at once)\n(run "rxdag run --help" for usage)\n`,
      });
    }
    // the events log is --events, whatever it is called
    for (const flag of ['--events-log', '--event-log=e.jsonl', '--eventlog']) {
      expect(await rxdagInProcess('run', file, flag)).toMatchObject({
        code: 2,
        stderr: `rxdag: unknown option '${flag}' (--events FILE: write every event to FILE, one JSON object per line)\n(run "rxdag run --help" for usage)\n`,
      });
    }
    // BullMQ's `prefix` is --redis-prefix, not --redis; a command without it is given nothing
    expect(await rxdagInProcess('run', file, '--prefix', 'p')).toMatchObject({
      code: 2,
      stderr: `rxdag: unknown option '--prefix' (--redis-prefix PREFIX: the prefix of every Redis key)\n(run "rxdag run --help" for usage)\n`,
    });
    expect(await rxdagInProcess('--prefix', 'p')).toMatchObject({ code: 2, stderr: expect.not.stringContaining('--redis-prefix') });
    expect(await rxdagInProcess('runs', '--prefix', 'p')).toMatchObject({
      code: 2,
      stderr: `rxdag: unknown option '--prefix'\n(run "rxdag runs --help" for usage)\n`,
    });
    // flags of the run copied to its resume: what the resumed run keeps instead
    for (const [flag, kept] of [
      ['--fail-fast', 'a resumed run keeps the failure policy it began with'],
      ['--no-journal', 'a resumed run goes on in the journal it began in'],
      ['--no-history', 'a resumed run keeps the estimates it began with'],
    ]) {
      expect(await rxdagInProcess('resume', 'r', flag!)).toMatchObject({
        code: 2,
        stderr: `rxdag: unknown option '${flag}' (${kept})\n(run "rxdag resume --help" for usage)\n`,
      });
    }
    expect(existsSync(probe())).toBe(false);
  });

  it('should say what an unknown command that reads as a DAG file or as the version was meant as', async () => {
    expect(await rxdagInProcess('release.yaml')).toEqual({
      code: 2,
      stdout: '',
      stderr: 'rxdag: unknown command \'release.yaml\' (to run a DAG file: rxdag run release.yaml)\n(run "rxdag --help" for usage)\n',
    });
    expect((await rxdagInProcess('my dag.json')).stderr).toContain("(to run a DAG file: rxdag run 'my dag.json')");
    expect((await rxdagInProcess('version')).stderr).toContain("rxdag: unknown command 'version' (the version: rxdag --version)\n");
    // a near miss keeps commander's guess
    expect((await rxdagInProcess('rn')).stderr).toBe(
      'rxdag: unknown command \'rn\'\n(Did you mean run?)\n(run "rxdag --help" for usage)\n',
    );
  });

  it('should refuse an events log or report path it cannot write before running anything', async () => {
    const file = dagWith('ok3.yaml', 'id: fine\ntasks:\n  - id: a\n    run: touch PROBE\n');
    const events = await run(file, '--events', tmp.file('missing-dir/events.jsonl'));
    const report = await run(file, '--report', tmp.file('missing-dir/report.html'));
    expect(events).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^rxdag: --events: cannot write ".*missing-dir\/events\.jsonl": ENOENT/),
    });
    expect(report).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/^rxdag: --report: cannot write ".*missing-dir\/report\.html": folder ".*missing-dir" does not exist/),
    });
    expect(existsSync(probe())).toBe(false);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
