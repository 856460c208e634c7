import { loadDagFile } from '../../../src/cli/dagFile/loadDagFile';
import { readPlainYaml } from '../../../src/cli/dagFile/plainYaml';
import type { ShellInput } from '../../../src/cli/agents/shellAgent';
import { tempDir, writeText } from '../support/files';
import { loadProblems } from '../support/loadProblems';

/**
 * A number or boolean written where text is taken reaches the task as JavaScript writes it:
 * `ZIP: 02134` would be `2134`. Each one whose text changes on the way (an `env` value, a
 * mapping's key) is a problem where it is written, asking for quotes; one that reads back as
 * written (`PORT: 8080`) is taken.
 */
describe('loadDagFile (numbers written where text is taken)', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  const problemsOf = (name: string, text: string) => loadProblems(tmp.file(name), text);
  const envOf = (name: string, text: string) => (loadDagFile(writeText(tmp.file(name), text)).spec.tasks[0]!.input as ShellInput).env;

  it('should refuse env values whose number is not what is written, at each value', () => {
    const text = [
      'id: env',
      'tasks:',
      '  - id: a',
      '    run: echo $ZIP',
      '    env: { AWS_ACCOUNT: 012345678901, VERSION: 1.10, ZIP: 02134, BIG: 12345678901234567890, PORT: 8080 }',
      '',
    ].join('\n');
    expect(problemsOf('flow.yaml', text)).toEqual([
      '5:25: tasks[0].env.AWS_ACCOUNT: 012345678901 is read as the number 12345678901; write it in quotes ("012345678901") to keep it as written',
      '5:48: tasks[0].env.VERSION: 1.10 is read as the number 1.1; write it in quotes ("1.10") to keep it as written',
      '5:59: tasks[0].env.ZIP: 02134 is read as the number 2134; write it in quotes ("02134") to keep it as written',
      '5:71: tasks[0].env.BIG: 12345678901234567890 is read as the number 12345678901234567000; write it in quotes ("12345678901234567890") to keep it as written',
    ]);
  });

  it('should refuse them in the defaults and in block mappings, and the other ways YAML writes numbers and booleans', () => {
    const text = [
      'id: env',
      'defaults:',
      '  env:',
      '    ZIP: 02134 # a comment',
      'tasks:',
      '  - id: a',
      '    run: env',
      '    env:',
      '      E: 1e3',
      '      HEX: 0x1F',
      '      PLUS: +5',
      '      DEBUG: True',
      '      ON: true',
      '      HALF: 0.5',
      '      NAN: .nan',
      '      INF: -.inf',
      '',
    ].join('\n');
    expect(problemsOf('block.yaml', text)).toEqual([
      '4:10: defaults.env.ZIP: 02134 is read as the number 2134; write it in quotes ("02134") to keep it as written',
      '9:10: tasks[0].env.E: 1e3 is read as the number 1000; write it in quotes ("1e3") to keep it as written',
      '10:12: tasks[0].env.HEX: 0x1F is read as the number 31; write it in quotes ("0x1F") to keep it as written',
      '11:13: tasks[0].env.PLUS: +5 is read as the number 5; write it in quotes ("+5") to keep it as written',
      '12:14: tasks[0].env.DEBUG: True is read as the boolean true; write it in quotes ("True") to keep it as written',
      // said once: not also "expected a string, number or boolean value"
      '15:12: tasks[0].env.NAN: .nan is read as the number NaN; write it in quotes (".nan") to keep it as written',
      '16:12: tasks[0].env.INF: -.inf is read as the number -Infinity; write it in quotes ("-.inf") to keep it as written',
    ]);
    // tagged, the text is not a number as written: refused as no value a variable can hold
    expect(problemsOf('tagged.yaml', 'id: env\ntasks:\n  - id: a\n    run: env\n    env:\n      A: !!float ".inf"\n')).toEqual([
      '6:18: tasks[0].env.A: expected a string, number or boolean value (got Infinity)',
    ]);
  });

  it('should refuse them in JSON', () => {
    const text =
      '{"id": "j", "tasks": [{"id": "a", "run": "env", "env": {"V": 1.10, "BIG": 12345678901234567890, "E": 1E3, "PORT": 8080}}]}';
    expect(problemsOf('env.json', text)).toEqual([
      '1:62: tasks[0].env.V: 1.10 is read as the number 1.1; write it in quotes ("1.10") to keep it as written',
      '1:75: tasks[0].env.BIG: 12345678901234567890 is read as the number 12345678901234567000; write it in quotes ("12345678901234567890") to keep it as written',
      '1:102: tasks[0].env.E: 1E3 is read as the number 1000; write it in quotes ("1E3") to keep it as written',
    ]);
  });

  it('should take numbers and booleans that read back as written, and the same text quoted', () => {
    const flow = 'id: ok\ntasks:\n  - id: a\n    run: env\n    env: { PORT: 8080, RATIO: 0.25, ON: true, NEG: -3, ZIP: "02134" }\n';
    expect(envOf('ok.yaml', flow)).toEqual({ PORT: '8080', RATIO: '0.25', ON: 'true', NEG: '-3', ZIP: '02134' });
    const block = 'id: ok\ndefaults:\n  env:\n    PORT: 8080\ntasks:\n  - id: a\n    run: env\n    env:\n      VERSION: "1.10"\n';
    expect(envOf('okBlock.yaml', block)).toEqual({ PORT: '8080', VERSION: '1.10' });
    expect(envOf('ok.json', '{"id": "ok", "tasks": [{"id": "a", "run": "env", "env": {"PORT": 8080, "ZIP": "02134"}}]}')).toEqual({
      PORT: '8080',
      ZIP: '02134',
    });
  });

  it('should refuse a key written as a number whose text the key does not keep, at the key', () => {
    const text = [
      'id: keys',
      'limits:',
      '  01: { concurrency: 1 }',
      '  2024: { concurrency: 1 }',
      'tasks:',
      '  - id: a',
      '    run: env',
      '    env: { 1.10: x }',
      '    limits: [2024]',
      '',
    ].join('\n');
    expect(problemsOf('keys.yaml', text)).toEqual([
      '3:3: limits: the key 01 is read as the number 1 (the name "1"); write it in quotes ("01") to keep it as written',
      '8:12: tasks[0].env: the key 1.10 is read as the number 1.1 (the name "1.1"); write it in quotes ("1.10") to keep it as written',
      '9:14: tasks[0].limits[0]: expected a string, the name of a limit (got 2024; write it in quotes to make it text)',
    ]);
  });

  it('should say the other problems of a mapping beside a key it asks to quote, each at its own key, and that key once', () => {
    const text = [
      'id: keys',
      'tasks:',
      '  - id: a',
      '    run: env',
      '    01: x',
      '    bogus: 2',
      '    env:',
      '      01: x',
      '      "A=B": y',
      '      "": z',
      '',
    ];
    expect(problemsOf('siblings.yaml', text.join('\n'))).toEqual([
      '5:5: tasks[0]: the key 01 is read as the number 1 (the name "1"); write it in quotes ("01") to keep it as written',
      '6:5: tasks[0]: unknown field "bogus"',
      '8:7: tasks[0].env: the key 01 is read as the number 1 (the name "1"); write it in quotes ("01") to keep it as written',
      '9:7: tasks[0].env: invalid environment variable name "A=B": it contains "="',
      '10:7: tasks[0].env: invalid environment variable name "": it is empty',
    ]);
  });

  it('should refuse a key that is a list or a mapping, at the key, with no warning of the YAML library on stderr', () => {
    const warnings: string[] = [];
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation((warning: string | Error) => void warnings.push(String(warning)));
    try {
      const text = [
        'id: keys',
        'tasks:',
        '  - id: a',
        '    run: env',
        '    env:',
        '      ? [A, B]',
        '      : x',
        '      ? { C: 1 }',
        '      : y',
        '',
      ];
      expect(problemsOf('collections.yaml', text.join('\n'))).toEqual([
        '6:9: tasks[0].env: a key must be a name, not a list (a `? ` key of YAML)',
        '8:9: tasks[0].env: a key must be a name, not a mapping (a `? ` key of YAML)',
      ]);
      // an alias of a list, as a key: the same
      const alias = ['id: keys', 'tasks:', '  - id: a', '    deps: &m []', '    run: env', '    env:', '      *m : 1', ''];
      expect(problemsOf('aliasKey.yaml', alias.join('\n'))).toEqual([
        '7:7: tasks[0].env: a key must be a name, not a list (a `? ` key of YAML)',
      ]);
    } finally {
      warn.mockRestore();
    }
    expect(warnings).toEqual([]);
  });

  it('should have the plain YAML reader say whether a number or boolean it read is written otherwise', () => {
    expect(readPlainYaml('a: 1\nb: [2, -3, 0.5]\nc: { d: true }\ne: "007"\n')).toEqual({
      value: { a: 1, b: [2, -3, 0.5], c: { d: true }, e: '007' },
      rewritten: false,
    });
    for (const text of ['a: 007\n', 'a: [1, 1.50]\n', 'a: { b: { c: True } }\n', 'a:\n  - 1e3\n']) {
      expect(readPlainYaml(text)?.rewritten).toBe(true);
    }
  });
});
