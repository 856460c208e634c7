import { loadDagFile } from '../../../src/cli/dagFile/loadDagFile';
import { tempDir, writeText } from '../support/files';
import { loadProblems } from '../support/loadProblems';

/**
 * What the environment cannot hold: a variable name that is empty or holds `=` or NUL (the task
 * would see another variable, or none), and a NUL in a command, directory or value (every
 * attempt would fail). Each is refused when the file is read, where it is written.
 */
describe('loadDagFile (environment names and NUL characters)', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  const problemsOf = (name: string, text: string) => loadProblems(tmp.file(name), text);

  it('should refuse an empty env name and one with `=`, at its key', () => {
    expect(problemsOf('env.yaml', 'id: e\ntasks:\n  - id: d\n    run: env\n    env: { "A=B": x, "": y, GOOD: z }\n')).toEqual([
      '5:12: tasks[0].env: invalid environment variable name "A=B": it contains "="',
      '5:22: tasks[0].env: invalid environment variable name "": it is empty',
    ]);
    expect(problemsOf('env.json', '{"id":"e","tasks":[{"id":"d","run":"env","env":{"A=B":"x"}}]}')).toEqual([
      '1:49: tasks[0].env: invalid environment variable name "A=B": it contains "="',
    ]);
  });

  it('should refuse bad names in the defaults and in the input of agent: shell, and a NUL in a name', () => {
    const text = [
      'id: e',
      'defaults:',
      '  env: { "=X": 1 }',
      'tasks:',
      '  - id: d',
      '    run: env',
      '    env: { "N\\0UL": 3 }',
      '  - id: s',
      '    agent: shell',
      '    input: { command: env, cwd: /, env: { "": "1" } }',
      '',
    ].join('\n');
    expect(problemsOf('more.yaml', text)).toEqual([
      '3:10: defaults.env: invalid environment variable name "=X": it contains "="',
      '7:12: tasks[0].env: invalid environment variable name "N\\u0000UL": it contains a NUL character',
      '10:43: tasks[1].input.env: invalid environment variable name "": it is empty',
    ]);
  });

  it('should refuse a NUL in a command, a cwd or an env value, once each', () => {
    const text = [
      'id: n',
      'tasks:',
      '  - { id: a, run: "echo a\\0b" }',
      '  - { id: b, run: "true", cwd: "/tmp\\0x" }',
      '  - { id: c, run: "true", env: { A: "x\\0y" } }',
      '  - { id: d, agent: shell, input: { command: "a\\0", cwd: / } }',
      '',
    ].join('\n');
    expect(problemsOf('nul.yaml', text)).toEqual([
      '3:19: tasks[0].run: must not contain a NUL character (got "echo a\\u0000b")',
      '4:32: tasks[1].cwd: must not contain a NUL character (got "/tmp\\u0000x")',
      '5:37: tasks[2].env.A: must not contain a NUL character (got "x\\u0000y")',
      '6:46: tasks[3].input.command: must not contain a NUL character (got "a\\u0000")',
    ]);
  });

  it('should refuse the names rxdag sets for every attempt, which the task would never see', () => {
    const text = [
      'id: e',
      'defaults:',
      '  env: { RXDAG_RUN_ID: mine }',
      'tasks:',
      '  - id: d',
      '    run: env',
      '    env: { RXDAG_ATTEMPT: 1, RXDAG_STORE: ok, rxdag_task_id: ok }',
      '  - id: s',
      '    agent: shell',
      '    input: { command: env, cwd: /, env: { RXDAG_IDEMPOTENCY_KEY: k } }',
      '',
    ].join('\n');
    expect(problemsOf('reserved.yaml', text)).toEqual([
      "3:10: defaults.env: RXDAG_RUN_ID is set by rxdag for every attempt (the run's id); give the variable another name",
      '7:12: tasks[0].env: RXDAG_ATTEMPT is set by rxdag for every attempt (the attempt number); give the variable another name',
      "10:43: tasks[1].input.env: RXDAG_IDEMPOTENCY_KEY is set by rxdag for every attempt (the task's idempotency key); give the variable another name",
    ]);
  });

  it('should refuse __proto__ as a name, in a task and in the defaults, YAML or JSON, rather than lose it', () => {
    const why =
      'invalid environment variable name "__proto__": rxdag cannot pass a variable of that name (set it in the CLI\'s environment)';
    expect(
      problemsOf(
        'proto.yaml',
        'id: e\ndefaults:\n  env: { __proto__: d }\ntasks:\n  - id: d\n    run: env\n    env:\n      __proto__: t\n',
      ),
    ).toEqual([`3:8: defaults.env: ${why}`, `8:7: tasks[0].env: ${why}`]);
    expect(problemsOf('proto.json', '{"id":"e","tasks":[{"id":"d","run":"env","env":{"__proto__":"t"}}]}')).toEqual([
      `1:48: tasks[0].env: ${why}`,
    ]);
  });

  it('should keep names that only look odd: lower case, digits first, dots, spaces', () => {
    const file = writeText(
      tmp.file('odd.yaml'),
      'id: e\ntasks:\n  - id: d\n    run: env\n    env: { lower: 1, 9LIVES: 2, a.b: 3, "A B": 4 }\n',
    );
    expect(loadDagFile(file).dag.tasks[0]!.input).toMatchObject({ env: { lower: '1', '9LIVES': '2', 'a.b': '3', 'A B': '4' } });
  });
});
