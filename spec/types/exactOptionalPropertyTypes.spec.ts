import path from 'node:path';
import ts from 'typescript';

/**
 * rxdag's option types under a user's `strict` and `exactOptionalPropertyTypes`: every optional
 * option rxdag reads as "not given" when it is `undefined` says so in its type, so an option
 * given a `T | undefined` value compiles (fixtures/undefinedOptions.ts). One program checks both
 * fixtures, against src/ through the project's `rxdag` paths; fixtures/exactOptionalError.ts
 * shows the check does report the error those options would have without `| undefined`.
 */

const ROOT = path.join(__dirname, '..', '..');
const FIXTURES = path.join(__dirname, 'fixtures');
const allowed = path.join(FIXTURES, 'undefinedOptions.ts');
const refused = path.join(FIXTURES, 'exactOptionalError.ts');

/** `file:line: TS1234 message` for each problem of `file`. */
function problemsOf(program: ts.Program, file: string): string[] {
  const source = program.getSourceFile(file);
  if (source === undefined) return [`${path.basename(file)}: not in the program`];
  return [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)].map((d) => {
    const line = d.start === undefined ? '?' : source.getLineAndCharacterOfPosition(d.start).line + 1;
    return `${path.basename(file)}:${line}: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

describe('option types under exactOptionalPropertyTypes', () => {
  let program: ts.Program;

  beforeAll(() => {
    const config = ts.parseJsonConfigFileContent(ts.readConfigFile(path.join(ROOT, 'tsconfig.json'), ts.sys.readFile).config, ts.sys, ROOT);
    const options: ts.CompilerOptions = {
      ...config.options,
      noEmit: true,
      types: ['node'],
      strict: true,
      exactOptionalPropertyTypes: true,
    };
    program = ts.createProgram([allowed, refused], options);
  }, 60_000);

  it('should take `undefined` for every optional option rxdag treats as not given', () => {
    expect([...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()]).toEqual([]);
    expect(problemsOf(program, allowed)).toEqual([]);
  });

  it('should report an optional field without `| undefined` given `undefined`', () => {
    expect(problemsOf(program, refused)).toEqual([
      expect.stringMatching(/^exactOptionalError\.ts:13: TS2375 .*with 'exactOptionalPropertyTypes: true'/),
    ]);
  });
});
