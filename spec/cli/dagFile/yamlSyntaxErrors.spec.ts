import { parseYaml } from '../../../src/cli/dagFile/sourceText';

/**
 * YAML syntax errors say what is likely wrong where the `yaml` library's words are about its
 * parser: quotes for a value holding `: ` (and only then), the indentation of a key that does
 * not line up with the key above it (placed at that key), a space after the dash of `-id:`; one
 * mistake the library reports twice is said once.
 */
describe('parseYaml (syntax errors)', () => {
  /** The problems of `lines` as `line:column: message`. */
  const errorsOf = (...lines: string[]): string[] => {
    const parsed = parseYaml(`${lines.join('\n')}\n`, 'f.yaml');
    if (parsed.ok) throw new Error('parsed without errors');
    return parsed.problems.map((problem) => `${problem.line}:${problem.column}: ${problem.message}`);
  };
  const NESTED = 'YAML syntax error: Nested mappings are not allowed in compact mappings';

  it('should ask for quotes when the value holds ": "', () => {
    expect(errorsOf('id: d', 'tasks:', '  - id: b', '    run: echo key: value')).toEqual([
      `4:10: ${NESTED} (a value holding ": " needs quotes, or \`run: |\`)`,
    ]);
  });

  it('should say that a key indented more than the key above it does not line up, at that key', () => {
    expect(errorsOf('id: d', 'tasks:', '  - id: bad', '      run: echo hi', '  - id: b', '    run: echo b')).toEqual([
      `4:7: ${NESTED} (\`run\` is at column 7 and \`id\` above it at column 5: the keys of one mapping start at the same column)`,
    ]);
    expect(errorsOf('id: d', '  tasks:', '  - id: a', '    run: echo a')).toEqual([
      `2:3: ${NESTED} (\`tasks\` is at column 3 and \`id\` above it at column 1: the keys of one mapping start at the same column)`,
    ]);
    // after a value the library does not take as the start of a key: its own words, at the key rather than its indentation
    expect(errorsOf('id: d', 'tasks:', '  - id: "bad"', '    # a comment', '      run: echo')).toEqual([
      '5:7: YAML syntax error: All mapping items must start at the same column (`run` is at column 7 and `id` above it at column 5: the keys of one mapping start at the same column)',
    ]);
  });

  it('should say that a key indented less than the key above it does not line up', () => {
    expect(errorsOf('id: d', 'tasks:', '  - id: a', '   run: echo')).toEqual([
      '4:4: YAML syntax error: Sequence item without - indicator (`run` is at column 4 and `id` above it at column 5: the keys of one mapping start at the same column)',
    ]);
  });

  it('should place a quote nothing closes where it opens, not at the end of the file it runs to', () => {
    for (const [quote, value] of [
      ['"', '"echo \\"hi\\"'],
      ["'", "'it''s"],
      ["'", "'''quoted'' word"],
    ]) {
      // a quote in a comment above is not the one that opens the value
      expect(
        errorsOf('id: d', "# the team's DAG", 'tasks:', '  - id: a', `    run: ${value!}`, '  - id: b', '    run: echo b').slice(0, 1),
      ).toEqual([
        `5:10: YAML syntax error: Missing closing ${quote!}quote: this ${quote!} opens a value nothing closes (it runs to the end of the file)`,
      ]);
      expect(errorsOf('id: d', 'tasks:', '  - id: a', `    run: ${value!}`, '  - id: b', '    run: echo b')).toEqual([
        `4:10: YAML syntax error: Missing closing ${quote!}quote: this ${quote!} opens a value nothing closes (it runs to the end of the file)`,
      ]);
    }
  });

  it("should say how a single quote is written inside '…'", () => {
    expect(errorsOf('id: d', 'tasks:', '  - id: a', "    run: 'it's here'")).toEqual([
      `4:14: YAML syntax error: Unexpected scalar at node end (inside '…' a single quote is written twice: 'it''s', or use "…")`,
    ]);
  });

  it('should name a no-break space on the line of an error, which YAML reads as a letter', () => {
    expect(errorsOf('id: d', 'tasks:', '  - id: a', '    run:\u00a0echo a')).toEqual([
      '4:5: YAML syntax error: Implicit map keys need to be followed by map values (the line holds U+00A0, a space that is not the plain one, as text copied from a web page or a chat often has, which YAML reads as a letter: write a plain space)',
    ]);
    // a line of plain spaces is not told of them
    expect(errorsOf('id: d', 'tasks:', '  - id: a', '    run: echo\u00a0a', '    run: echo b')[0]).not.toMatch(/U\+00A0/);
  });

  it('should ask for a space after the dash of `-id:`', () => {
    expect(errorsOf('id: d', 'tasks:', '  -id: b', '    run: echo b')).toEqual([
      `3:3: ${NESTED} (\`-id\` needs a space after \`-\` to start a list entry: \`- id:\`)`,
    ]);
    expect(errorsOf('id: d', 'tasks:', '  -id: a', '  -id: b')).toEqual([
      '4:3: YAML syntax error: Map keys must be unique (`-id` needs a space after `-` to start a list entry: `- id:`)',
    ]);
    // after a well-formed entry the library reports this one mistake twice: it is said once
    expect(errorsOf('id: d', 'tasks:', '  - id: a', '    run: echo', '  -id: b', '    run: echo')).toEqual([
      '5:3: YAML syntax error: All mapping items must start at the same column (`-id` needs a space after `-` to start a list entry: `- id:`)',
    ]);
  });

  it('should name the key given twice in a mapping, as written', () => {
    expect(errorsOf('id: d', 'tasks:', '  - id: a', '    run: echo', '    env: { "A b": 1, "A b": 2 }', '    run : echo')).toEqual([
      '5:22: YAML syntax error: Map keys must be unique ("A b" is given twice in this mapping)',
      '6:5: YAML syntax error: Map keys must be unique (`run` is given twice in this mapping)',
    ]);
  });

  it('should say a stray list entry inside a task once, without the hint for a value holding ": "', () => {
    expect(errorsOf('id: d', 'tasks:', '  - id: a', '    deps: [b]', '    - id: x')).toEqual([
      '5:5: YAML syntax error: A block sequence may not be used as an implicit map key',
    ]);
  });

  it("should keep the library's words where no hint fits", () => {
    expect(errorsOf('id: d', 'tasks:', '  - { id: a, run: x }', '    - id: b')).toEqual([
      '4:5: YAML syntax error: All sequence items must start at the same column',
    ]);
  });
});
