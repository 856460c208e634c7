import fc from 'fast-check';
import { jsonPositions } from '../../../src/cli/dagFile/jsonPositions';
import { parseJson, parseYaml, yamlPositions } from '../../../src/cli/dagFile/sourceText';

/** Every path into `value` (its own included), and a few that lead nowhere. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const paths = [prefix, [...prefix, 'nowhere'], [...prefix, 99]];
  if (Array.isArray(value)) value.forEach((item, i) => paths.push(...pathsOf(item, [...prefix, i])));
  else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) paths.push(...pathsOf(item, [...prefix, key]));
  }
  return paths;
}

describe('parsing a DAG file', () => {
  it('should place the parts of a JSON file as the yaml library places them (generated JSON)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.constantFrom(0, 2, '\t', ' '), (value, indent) => {
        const text = JSON.stringify(value, null, indent);
        const mine = jsonPositions(text);
        const yaml = yamlPositions(text);
        for (const path of pathsOf(value)) {
          expect(mine.locate(path)).toEqual(yaml.locate(path));
          for (const key of ['id', 'tasks', '']) expect(mine.locateKey(path, key)).toEqual(yaml.locateKey(path, key));
        }
      }),
      { numRuns: 300, seed: 5 },
    );
  });

  it('should place a repeated JSON key at its last use, whose value JSON.parse keeps', () => {
    const text = '{\n  "id": "a",\n  "id": "b",\n  "tasks": [ {"x": 1} ]\n}';
    expect(jsonPositions(text).locateKey([], 'id')).toEqual({ line: 3, column: 3 });
    const twice = '{"tasks": [{"id": "a", "sleep": 1}],\n "tasks": [{"id": "a", "sleep": 1, "sleep": -5}]}';
    expect(jsonPositions(twice).locate(['tasks', 0, 'sleep'])).toEqual({ line: 2, column: 45 });
    expect(jsonPositions(text).locate(['tasks', 0, 'x'])).toEqual({ line: 4, column: 20 });
    expect(jsonPositions('{"a\\u0062": 1}').locateKey([], 'ab')).toEqual({ line: 1, column: 2 });
  });

  it('should refuse a JSON object that gives a key twice, at its second use, as YAML is refused', () => {
    const twice = '{"id": "d", "tasks": [\n  {"id": "a", "run": "true"},\n  {"id": "b", "deps": ["a"], "run": "true", "deps": []}\n]}';
    expect(parseJson(twice, 'dag.json')).toEqual({
      ok: false,
      problems: [
        {
          file: 'dag.json',
          line: 3,
          column: 45,
          message: 'JSON error: `deps` is given twice in this object (keys must be unique: JSON readers keep only the last)',
        },
      ],
    });
    // the same key written with an escape, and the first repeated key in the text when several are
    const escaped = parseJson('{"env": {"x": {"a": 1, "a": 2}}, "e": {"X\\u0041": 1, "XA": 2}}', 'dag.json');
    expect(escaped).toMatchObject({
      ok: false,
      problems: [{ line: 1, column: 24, message: expect.stringContaining('`a` is given twice') }],
    });
  });

  it('should take JSON whose strings hold colons and quotes, and equal keys in different objects', () => {
    const text = '{"id": "d", "tasks": [{"id": "a", "run": "echo \\"a\\": b", "env": {"a:": ":"}}, {"id": "b", "run": "x"}]}';
    expect(parseJson(text, 'dag.json')).toMatchObject({ ok: true, file: { value: JSON.parse(text) } });
  });

  it('should read a valid file without working out where anything is written', () => {
    const json = parseJson('{"id": "a", "tasks": []}', 'a.json');
    const yaml = parseYaml('id: a\ntasks: []\n', 'a.yaml');
    expect(json.ok && json.file.value).toEqual({ id: 'a', tasks: [] });
    expect(yaml.ok && yaml.file.value).toEqual({ id: 'a', tasks: [] });
    // positions are a closure over the text, made on the first question
    expect(json.ok && json.file.positions.locate(['tasks'])).toEqual({ line: 1, column: 22 });
    expect(yaml.ok && yaml.file.positions.locate(['tasks'])).toEqual({ line: 2, column: 8 });
  });

  it('should read a YAML file with Windows line ends on the fast path, to the same value and places', () => {
    const lines = [
      'id: win',
      'tasks:',
      '  - id: a',
      '    run: |',
      '      echo one',
      '      echo two',
      '  - id: b',
      '    deps: [a, c]',
      '    sleep: 5',
    ];
    const lf = parseYaml(`${lines.join('\n')}\n`, 'lf.yaml');
    const crlf = parseYaml(`${lines.join('\r\n')}\r\n`, 'crlf.yaml');
    expect(crlf.ok && crlf.file.value).toEqual(lf.ok && lf.file.value);
    expect(crlf.ok && crlf.file.value).toEqual(require('yaml').parse(`${lines.join('\r\n')}\r\n`));
    // the plain reader's mark: every number as written (the yaml library's reading says nothing of it)
    expect(crlf.ok && crlf.file.numbersAsWritten).toBe(true);
    expect(crlf.ok && crlf.file.positions.locate(['tasks', 1, 'deps', 1])).toEqual({ line: 8, column: 15 });
    // a lone carriage return is another file: the yaml library reads it
    const lone = parseYaml('id: x\rtasks: []\n', 'lone.yaml');
    expect(lone.ok && lone.file.numbersAsWritten).toBe(false);
  });

  it('should refuse YAML nested too deeply for its reader, naming a depth it surely reads', () => {
    const nested = (levels: number) =>
      `id: x\ntasks:\n  - id: a\n    input:\n${Array.from({ length: levels }, (_, i) => `${' '.repeat(6 + i)}k:\n`).join('')}${' '.repeat(6 + levels)}v\n`;
    const result = parseYaml(nested(3000), 'deep.yaml');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems.map((problem) => problem.message)).toEqual([
      'YAML syntax error: nested too deeply to read (keep nesting under 500 levels)',
    ]);
    expect(parseYaml(nested(500), 'ok.yaml').ok).toBe(true);
  });

  it('should refuse JSON nested deeper than the limit, at the bracket past it, as the syntax check does', () => {
    const deep = `{"a": ${'['.repeat(1000)}${']'.repeat(1000)}}`;
    const result = parseJson(deep, 'deep.json');
    expect(result).toEqual({
      ok: false,
      problems: [{ file: 'deep.json', line: 1, column: 1006, message: 'JSON syntax error: nested deeper than 1000 levels' }],
    });
    expect(parseJson(`{"a": ${'['.repeat(999)}${']'.repeat(999)}}`, 'ok.json').ok).toBe(true);
    // brackets in strings are not nesting
    expect(parseJson(JSON.stringify({ a: '['.repeat(5000), b: '\\"[' }), 'strings.json').ok).toBe(true);
  });

  it('should report a JSON syntax error at its line and column', () => {
    expect(parseJson('{\n  "id": "a",\n  "tasks": [1,]\n}', 'comma.json')).toEqual({
      ok: false,
      problems: [{ file: 'comma.json', line: 3, column: 15, message: 'JSON syntax error: expected a value, found "]" (trailing comma?)' }],
    });
  });

  it('should refuse a %YAML 1.1 directive, under which values would change unseen, and take %YAML 1.2', () => {
    expect(parseYaml('%YAML 1.1\n---\nid: y\ntasks: []\n', 'old.yaml')).toEqual({
      ok: false,
      problems: [
        {
          file: 'old.yaml',
          line: 1,
          column: 1,
          message: '%YAML 1.1: DAG files are read as YAML 1.2 (where `yes` is text and 0777 is 777); remove the directive',
        },
      ],
    });
    expect(parseYaml('%YAML 1.2\n---\nid: y\ntasks: []\n', 'new.yaml').ok).toBe(true);
  });

  it('should refuse, at each tag, a tag the YAML library would drop, one whose value does not fit, and one giving no JSON value', () => {
    const text = [
      'id: tags',
      'tasks:',
      '  - id: a',
      '    run: !env echo $HOME',
      '  - id: b',
      '    sleep: !!float 7',
      '  - id: c',
      '    input: !!binary aGVsbG8=',
      '  - id: d',
      '    input: !!set {x, y}',
      '  - {id: e, input: !<tag:yaml.org,2002:timestamp> 2001-12-14}',
      '',
    ].join('\n');
    const parsed = parseYaml(text, 'tags.yaml');
    // read on past them, so that the file's other problems are reported with them
    expect(parsed.ok).toBe(true);
    const problems = parsed.ok ? parsed.file.problems : [];
    expect(problems.map(({ line, column }) => [line, column])).toEqual([
      [4, 10],
      [6, 12],
      [8, 12],
      [10, 12],
      [11, 20],
    ]);
    expect(problems.map(({ message }) => message)).toEqual([
      expect.stringMatching(
        /^YAML error: unknown tag !env: DAG files take YAML 1\.2's core tags only \(!!str, !!int, !!float, !!bool, !!null, !!seq, !!map\)/,
      ),
      expect.stringMatching(/^YAML error: the value does not fit its tag !!float \(.*7\.0.*\): remove the tag/),
      expect.stringMatching(/^YAML error: tag !!binary gives bytes, which a DAG file cannot hold/),
      expect.stringMatching(/^YAML error: tag !!set gives a set, which a DAG file cannot hold/),
      expect.stringMatching(/^YAML error: tag !!timestamp gives a date, which a DAG file cannot hold/),
    ]);
  });

  it('should call a core-looking tag the library does not know unknown, and place a tag past a `!` in a comment', () => {
    const parsed = parseYaml(
      'id: t\ntasks:\n  - id: a\n    input: !!python/object x\n  - id: b\n    input: !!set # hey!\n      ? x\n',
      'c.yaml',
    );
    const problems = parsed.ok ? parsed.file.problems : [];
    expect(problems.map(({ line, column, message }) => [line, column, message.slice(0, 40)])).toEqual([
      [4, 12, 'YAML error: unknown tag !!python/object:'],
      [6, 12, 'YAML error: tag !!set gives a set, which'],
    ]);
  });

  it("should take the tags of JSON's values, and a `!` in a value that is no tag", () => {
    const text =
      'id: t\ntasks:\n  - !!map {id: a, sleep: !!int 5, input: !!seq [!!float 1.5, !!bool true, !!null ~]}\n  - {id: b, run: !!str echo hi!}\n';
    expect(parseYaml(text, 'ok.yaml')).toMatchObject({
      ok: true,
      file: {
        value: {
          tasks: [
            { id: 'a', sleep: 5, input: [1.5, true, null] },
            { id: 'b', run: 'echo hi!' },
          ],
        },
      },
    });
  });

  it('should say that a .json file starting with a key alone on its line is YAML too', () => {
    const parsed = parseJson('tasks:\n  - id: b\n', 'dag.json');
    expect(!parsed.ok && parsed.problems[0]!.message).toMatch(/\(the file reads as YAML: name it \.yaml\)$/);
  });

  it('should say that a .json file that reads as YAML is YAML', () => {
    expect(parseJson('id: a\ntasks:\n  - id: b\n    run: "true"\n', 'dag.json')).toEqual({
      ok: false,
      problems: [
        {
          file: 'dag.json',
          line: 1,
          column: 1,
          message: 'JSON syntax error: expected a value, found "i" (the file reads as YAML: name it .yaml)',
        },
      ],
    });
  });

  it('should refuse a second YAML document in the product’s words, naming its line', () => {
    expect(parseYaml('id: m\ntasks: []\n---\nid: n\ntasks: []\n', 'two.yaml')).toEqual({
      ok: false,
      problems: [
        {
          file: 'two.yaml',
          line: 3,
          column: 1,
          message:
            'more than one YAML document (the `---` at line 3 starts a second one); a DAG file is one document: remove it, or make it a comment',
        },
      ],
    });
    expect(parseYaml('id: m\ntasks: []\n...\nid: n\n', 'ended.yaml')).toEqual({
      ok: false,
      problems: [
        {
          file: 'ended.yaml',
          line: 4,
          column: 1,
          message:
            'more than one YAML document (a second one starts at line 4); a DAG file is one document: remove it, or make it a comment',
        },
      ],
    });
    // a `---` that ends the file is a second document, empty
    expect(parseYaml('id: m\ntasks: []\n---\n', 'end.yaml')).toMatchObject({
      ok: false,
      problems: [{ line: 3, message: expect.stringMatching(/the `---` at line 3 starts a second one/) }],
    });
    // a `---` that opens the one document is fine
    expect(parseYaml('---\nid: m\ntasks: []\n', 'one.yaml').ok).toBe(true);
  });

  it('should place an empty list item at its dash, and a key written without a value at the key', () => {
    const positions = yamlPositions('id: x\ntasks:\n  - id: a\n    deps:\n  -\n  -   # nothing\n');
    expect(positions.locate(['tasks', 1])).toEqual({ line: 5, column: 3 });
    expect(positions.locate(['tasks', 2])).toEqual({ line: 6, column: 3 });
    expect(positions.locate(['tasks', 0, 'deps'])).toEqual({ line: 4, column: 5 });
  });
});
