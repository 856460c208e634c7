import { tempDir } from '../support/files';
import { loadProblems } from '../support/loadProblems';

/** Values of a DAG file that are not what a place expects (`null`, numbers, strings, lists): one problem each, never a crash. */
describe('loadDagFile (values that are not mappings)', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  const problemsOf = (name: string, text: string) => loadProblems(tmp.file(name), text);

  const EXPECTED_TASK = 'expected a task: a mapping with `id` and one of `run`, `sleep` or `agent`';

  it('should report a task written as `-` alone at its dash, once, with the file’s other problems', () => {
    expect(problemsOf('dash.yaml', 'id: x\ntasks:\n  - id: a\n    sleep: 1\n  -\n  - id: b\n    deps: [zz]\n    sleep: 1\n')).toEqual([
      `5:3: tasks[1]: ${EXPECTED_TASK} (got null)`,
      '7:12: tasks[2].deps[0]: task "b" depends on "zz", which is not a task of this DAG',
    ]);
  });

  it('should report `- null`, `~` and a JSON null task, each once', () => {
    expect(problemsOf('null.yaml', 'id: x\ntasks:\n  - null\n  - ~\n')).toEqual([
      `3:5: tasks[0]: ${EXPECTED_TASK} (got null)`,
      `4:5: tasks[1]: ${EXPECTED_TASK} (got null)`,
    ]);
    expect(problemsOf('null.json', '{"id":"x","tasks":[null]}')).toEqual([`1:20: tasks[0]: ${EXPECTED_TASK} (got null)`]);
  });

  it('should give a string, a number or a list in place of a task one message, not two', () => {
    expect(problemsOf('scalars.yaml', 'id: x\ntasks:\n  - id: a\n    sleep: 1\n  - just a string\n  - 5\n  - [1, 2]\n')).toEqual([
      `5:5: tasks[1]: ${EXPECTED_TASK} (got "just a string")`,
      `6:5: tasks[2]: ${EXPECTED_TASK} (got 5)`,
      `7:5: tasks[3]: ${EXPECTED_TASK} (got a list)`,
    ]);
  });

  it('should point at the key of a field written without a value', () => {
    expect(problemsOf('empty.yaml', 'id: x\ntasks:\n  - id: a\n    sleep:\n')).toEqual([
      '4:5: tasks[0].sleep: expected a number of milliseconds (got null)',
    ]);
  });

  it('should report null and other non-mappings for the defaults, env, input, retry and limits without crashing', () => {
    const text = [
      'id: x',
      'defaults: { env: null, cwd: 5, retry: [1] }',
      'limits: { a: null, b: { rate: 5 } }',
      'tasks:',
      '  - { id: t, run: "true", env: { A: null, B: [1] }, cwd: null }',
      '  - { id: u, agent: shell, input: null }',
      '  - { id: v, agent: shell, input: { command: "true", cwd: /, env: null } }',
      '  - { id: w, sleep: 1, retry: null, deps: null, limits: [a] }',
      '',
    ].join('\n');
    expect(problemsOf('values.yaml', text)).toEqual([
      '2:18: defaults.env: expected a mapping of variable names to values (got null)',
      '2:29: defaults.cwd: expected a directory path (got 5; write it in quotes to make it text)',
      '2:39: defaults.retry: expected a retry policy: an object with `attempts` (got an array)',
      '3:14: limits.a: expected a limit: a mapping with `concurrency`, `rate: { limit, intervalMs }` or both (got null)',
      '3:31: limits.b.rate: expected a rate: a mapping `{ limit, intervalMs }` (got 5)',
      '5:37: tasks[0].env.A: expected a string, number or boolean value (got null)',
      '5:46: tasks[0].env.B: expected a string, number or boolean value (got a list)',
      '5:58: tasks[0].cwd: expected a directory path (got null)',
      '6:35: tasks[1].input: the shell agent takes a mapping with `command` and `cwd` (or write `run:` instead of `agent: shell`) (got null)',
      '7:67: tasks[2].input.env: expected a mapping of variable names to strings (got null)',
      '8:31: tasks[3].retry: expected a retry policy: an object with `attempts` (got null)',
      '8:43: tasks[3].deps: expected an array of task ids (got null)',
    ]);
  });

  it("should name an unknown field of the shell agent's input, which would be dropped, with the field meant", () => {
    const text = [
      'id: x',
      'tasks:',
      '  - { id: u, agent: shell, input: { command: "true", cwd: /, envs: { A: b }, shell: bash } }',
      '',
    ].join('\n');
    expect(problemsOf('input.yaml', text)).toEqual([
      '3:62: tasks[0].input: unknown field "envs" (did you mean "env"?)',
      '3:78: tasks[0].input: unknown field "shell"',
    ]);
  });
});
