import { readFileSync } from 'node:fs';
import path from 'node:path';
import { format } from 'node:util';
import ts from 'typescript';

/**
 * The README's code, run as written: every ```ts block marked `<!-- tested -->` is type-checked
 * (as CommonJS and as an ES module, against src/) and run, with `rxdag` mapped to src/ as
 * jest.config.js maps it. A block passes when it neither throws nor logs an error, and prints
 * each line its `// → text` comments promise.
 */

const ROOT = path.join(__dirname, '..');
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

interface Block {
  /** The README line the code starts on. */
  readonly line: number;
  readonly code: string;
  /** What the block's `// → text` comments say it prints. */
  readonly prints: readonly string[];
}

function testedBlocks(markdown: string): Block[] {
  return [...markdown.matchAll(/^<!-- tested -->\n```ts\n([\s\S]*?)^```$/gm)].map((m) => ({
    line: markdown.slice(0, m.index).split('\n').length + 2,
    code: m[1]!,
    prints: [...m[1]!.matchAll(/^\/\/ → (.*)$/gm)].map((p) => p[1]!),
  }));
}

/** Runs a block as a CommonJS module, its `require` being this spec's (so `rxdag` is src/). */
async function run(block: Block): Promise<{ readonly printed: string[]; readonly errors: string[] }> {
  const { outputText } = ts.transpileModule(block.code, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    fileName: `README.md:${block.line}.ts`,
  });
  const printed: string[] = [];
  const errors: string[] = [];
  const console = {
    log: (...args: unknown[]) => printed.push(format(...args)),
    error: (...args: unknown[]) => errors.push(format(...args)),
  };
  const module = { exports: {} };
  new Function('require', 'module', 'exports', 'console', outputText)(require, module, module.exports, console);
  // asynchronous blocks: wait until they printed what they promise (or failed)
  for (let waited = 0; waited < 10_000 && errors.length === 0 && !block.prints.every((line) => printed.includes(line)); waited += 10) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { printed, errors };
}

const blocks = testedBlocks(README);

describe('the README', () => {
  it('should mark its runnable examples: the quick start from code, replay and marble testing', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    expect(blocks.map((block) => block.code)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('runDag(dag, {\n  agents: {'),
        expect.stringContaining('initialRunState(dag, '),
        expect.stringContaining("import { TestScheduler } from 'rxjs/testing';"),
      ]),
    );
  });

  it('should type-check every tested block as a user file, both as CommonJS and as an ES module', () => {
    const config = ts.parseJsonConfigFileContent(ts.readConfigFile(path.join(ROOT, 'tsconfig.json'), ts.sys.readFile).config, ts.sys, ROOT);
    const files = new Map(
      blocks.flatMap((block) => ['ts', 'mts'].map((ext) => [path.join(ROOT, `README.line-${block.line}.${ext}`), block.code] as const)),
    );
    const options = { ...config.options, noEmit: true, types: ['node'], noUnusedLocals: false };
    const host = ts.createCompilerHost(options);
    const { getSourceFile, fileExists, readFile } = host;
    host.fileExists = (file) => files.has(file) || fileExists.call(host, file);
    host.readFile = (file) => files.get(file) ?? readFile.call(host, file);
    host.getSourceFile = (file, language, ...rest) => {
      const text = files.get(file);
      return text === undefined ? getSourceFile.call(host, file, language, ...rest) : ts.createSourceFile(file, text, language);
    };
    const program = ts.createProgram([...files.keys()], options, host);
    const problems = [...files.keys()]
      .flatMap((file) => [
        ...program.getSyntacticDiagnostics(program.getSourceFile(file)),
        ...program.getSemanticDiagnostics(program.getSourceFile(file)),
      ])
      .map((d) => {
        const at = d.file === undefined || d.start === undefined ? undefined : d.file.getLineAndCharacterOfPosition(d.start);
        return `${path.basename(d.file?.fileName ?? '?')}:${at === undefined ? '?' : at.line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      });
    expect(problems).toEqual([]);
  }, 60_000);

  it.each(blocks.map((block) => [block.line, block]))(
    'should run the block at line %i as written',
    async (_, block) => {
      const { printed, errors } = await run(block);
      expect(errors).toEqual([]);
      expect(printed).toEqual(expect.arrayContaining([...block.prints]));
    },
    15_000,
  );
});
