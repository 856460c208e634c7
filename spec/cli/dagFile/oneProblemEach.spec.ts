import { tempDir } from '../support/files';
import { loadProblems } from '../support/loadProblems';

describe('one bad value of a DAG file, reported once, about what the user wrote', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());
  const problemsOf = (text: string) => loadProblems(tmp.file('dag.yaml'), text);

  it('should not also refuse the estimate a sleep past the longest timer would have made', () => {
    expect(problemsOf('id: big\ntasks:\n  - id: a\n    sleep: 99999999999999999999999\n')).toEqual([
      '4:12: tasks[0].sleep: must be at most 2147483647 ms (about 24.8 days), the longest timer Node keeps (got 1e+23)',
    ]);
    // one past the longest timer, too
    expect(problemsOf('id: big\ntasks:\n  - id: a\n    sleep: 2147483648\n')).toEqual([
      '4:12: tasks[0].sleep: must be at most 2147483647 ms (about 24.8 days), the longest timer Node keeps (got 2147483648)',
    ]);
  });

  it('should say a list where a text belongs is not a text, not also that it is empty', () => {
    const text = [
      'id: c',
      'defaults:',
      '  cwd: []',
      'tasks:',
      '  - id: a',
      '    run: []',
      '  - id: b',
      '    agent: shell',
      '    input: { command: [], cwd: [] }',
      '',
    ].join('\n');
    expect(problemsOf(text)).toEqual([
      '3:8: defaults.cwd: expected a directory path (got a list)',
      '6:10: tasks[0].run: expected a shell command (a string) (got a list)',
      '9:23: tasks[1].input.command: expected a shell command (a string) (got a list)',
      '9:32: tasks[1].input.cwd: expected a directory path (got a list)',
    ]);
  });

  it('should still refuse an empty text with the value it got', () => {
    expect(problemsOf('id: e\ndefaults:\n  cwd: ""\ntasks:\n  - id: a\n    run: "  "\n')).toEqual([
      '3:8: defaults.cwd: must not be empty (got "")',
      '6:10: tasks[0].run: must not be empty (got "  ")',
    ]);
  });

  it('should not ask for the input of `agent: shell` when the task has `run` too', () => {
    expect(problemsOf('id: r\ntasks:\n  - id: a\n    run: echo hi\n    agent: shell\n')).toEqual([
      '5:12: tasks[0].agent: give only one of `run`, `sleep` or `agent` (this task has `run` and `agent`)',
    ]);
    expect(problemsOf('id: r\ntasks:\n  - id: a\n    sleep: 5\n    agent: sleep\n    input: x\n')).toEqual([
      '5:12: tasks[0].agent: give only one of `run`, `sleep` or `agent` (this task has `sleep` and `agent`)',
    ]);
  });
});
