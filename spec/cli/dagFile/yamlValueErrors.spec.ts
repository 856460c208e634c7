import { parseYaml } from '../../../src/cli/dagFile/sourceText';

/** The problems of parsing `text` as the YAML DAG file `dag.yaml`. */
function problemsOf(text: string) {
  const result = parseYaml(text, 'dag.yaml');
  return result.ok ? [] : result.problems;
}

describe('errors of making a YAML document a value', () => {
  it('should place an alias whose anchor is not set at the alias', () => {
    expect(problemsOf('id: a\ntasks: *nope\n')).toEqual([
      { file: 'dag.yaml', line: 2, column: 8, message: 'YAML error: Unresolved alias (the anchor must be set before the alias): nope' },
    ]);
  });

  it('should place an alias used before its anchor at the alias, not at the anchor', () => {
    expect(problemsOf('id: a\ntasks:\n  - id: b\n    sleep: *ms\n  - id: c\n    sleep: &ms 5\n')).toMatchObject([{ line: 4, column: 12 }]);
  });

  it('should place a merge key whose value is not a mapping at that value', () => {
    const tasks = Array.from({ length: 7 }, (_, i) => `  - id: t${i}\n    sleep: 1\n`).join('');
    expect(problemsOf(`id: m\ntasks:\n${tasks}  - id: h\n    <<: 5\n    sleep: 1\n`)).toEqual([
      {
        file: 'dag.yaml',
        line: 18,
        column: 9,
        message: expect.stringMatching(/^YAML error: Merge sources must be maps or map aliases \(`<<:` takes the alias of a mapping/),
      },
    ]);
  });

  it('should place a merge of a list holding an alias of a list at that alias', () => {
    expect(problemsOf('id: x\nbase: &b [1]\ntasks:\n  - id: a\n    <<: [*b]\n    sleep: 1\n')).toMatchObject([{ line: 5, column: 10 }]);
  });

  it('should place an alias bomb at the alias past the most aliases expanded', () => {
    // the 100th alias makes the anchor's 101st use
    const aliases = Array.from({ length: 110 }, () => '*a').join(', ');
    expect(problemsOf(`id: x\na: &a 1\nl: [${aliases}]\ntasks: []\n`)).toEqual([
      {
        file: 'dag.yaml',
        line: 3,
        column: 5 + 4 * 99,
        message:
          'YAML error: the aliases expand past 100 uses of anchors (each counting the aliases inside it), the guard against alias bombs: share fields among many tasks with `defaults:` instead',
      },
    ]);
  });

  it('should place a nested alias bomb at the alias the library stopped at', () => {
    const levels = ['  a: &a [1,1,1,1,1,1,1,1,1,1]'];
    'bcdefghij'.split('').forEach((name, i) => {
      const previous = 'abcdefghij'[i]!;
      levels.push(`  ${name}: &${name} [${Array.from({ length: 10 }, () => `*${previous}`).join(',')}]`);
    });
    // b's ninth alias of a: 10 uses of b, each standing for 11 uses of a
    expect(problemsOf(`id: bomb\nx:\n${levels.join('\n')}\ntasks: []\n`)).toMatchObject([{ line: 5, column: 34 }]);
  });

  it('should place at its alias a bomb of few uses of a big anchor, past the values the aliases may add', () => {
    // 99 uses, under the 100 the library counts; each a copy of a mapping of 2,000 entries
    const env = Array.from({ length: 2000 }, (_, i) => `V${i}: x`).join(', ');
    const tasks = Array.from({ length: 99 }, (_, i) => `  - { id: t${i}, run: 'true', env: *e }\n`).join('');
    expect(problemsOf(`id: bomb\ndefaults:\n  env: &e { ${env} }\ntasks:\n${tasks}`)).toEqual([
      {
        file: 'dag.yaml',
        // the 25th use passes 100,000 values (25 × 4,001: the mapping, 2,000 keys and their values)
        line: 4 + 25,
        column: "  - { id: t24, run: 'true', env: ".length + 1,
        message:
          'YAML error: the aliases expand to more than 100000 values (each a copy of its anchor), the guard against alias bombs: share fields among many tasks with `defaults:` instead',
      },
    ]);
    // the same anchor used as often, a task's worth of fields, is read
    const small = Array.from({ length: 99 }, (_, i) => `  - { id: t${i}, run: 'true', env: *e }\n`).join('');
    expect(problemsOf(`id: fine\ndefaults:\n  env: &e { A: x, B: y }\ntasks:\n${small}`)).toEqual([]);
  });

  it('should still read merges and aliases that resolve', () => {
    const result = parseYaml('id: x\ntasks:\n  - &t { id: a, sleep: 1 }\n  - <<: *t\n    id: b\n', 'dag.yaml');
    expect(result.ok && result.file.value).toEqual({
      id: 'x',
      tasks: [
        { id: 'a', sleep: 1 },
        { id: 'b', sleep: 1 },
      ],
    });
  });
});
