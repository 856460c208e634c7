import { formatProblem, sortProblems } from '../../../src/cli/problems';

describe('formatProblem and sortProblems', () => {
  it('should print one line with every control character escaped', () => {
    expect(formatProblem({ file: 'd\u001b.yaml', line: 2, column: 3, path: ['tasks', 0], message: 'bad "\u0007"\nnext\tline' })).toBe(
      'd\\u001b.yaml:2:3: tasks[0]: bad "\\u0007" next\\tline',
    );
  });

  it('should not repeat the "rxdag: " the CLI prints in front of each problem', () => {
    expect(formatProblem({ message: 'rxdag: invalid options: `x` must be 1' })).toBe('invalid options: `x` must be 1');
  });

  it('should sort problems by position, those about the whole file first, keeping the order of ties', () => {
    const sorted = sortProblems([
      { file: 'f', line: 9, column: 1, message: 'c' },
      { file: 'f', line: 2, column: 8, message: 'b1' },
      { message: 'a' },
      { file: 'f', line: 2, column: 8, message: 'b2' },
      { file: 'f', line: 2, column: 3, message: 'b0' },
    ]);
    expect(sorted.map((p) => p.message)).toEqual(['a', 'b0', 'b1', 'b2', 'c']);
  });
});
