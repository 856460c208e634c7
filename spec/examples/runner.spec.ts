import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensureBuilt, ROOT } from '../cli/support/builtCli';
import { tempDir } from '../cli/support/files';

const EXAMPLES = path.join(ROOT, 'examples');
const TSX = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const sources = readdirSync(EXAMPLES).filter((name) => name.endsWith('.ts'));

/**
 * The examples as a user takes them: copied into a project of their own (CommonJS or ES module),
 * with rxdag and rxjs installed (here: linked to this repository, whose `exports` give dist/),
 * run through `examples/run.ts` with tsx.
 */
describe('examples/run.ts', () => {
  const tmp = tempDir();
  beforeAll(() => ensureBuilt(), 120_000);
  afterAll(() => tmp.remove());

  const projects = new Map<string, string>();
  function project(type: 'commonjs' | 'module'): string {
    const made = projects.get(type);
    if (made !== undefined) return made;
    const dir = path.join(tmp.dir, type);
    projects.set(type, dir);
    mkdirSync(path.join(dir, 'node_modules'), { recursive: true });
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `user-${type}`, private: true, type }));
    symlinkSync(ROOT, path.join(dir, 'node_modules', 'rxdag'), 'dir');
    symlinkSync(path.join(ROOT, 'node_modules', 'rxjs'), path.join(dir, 'node_modules', 'rxjs'), 'dir');
    // the trace-run example's optional peer dependency, as a user who wants it installs it
    symlinkSync(path.join(ROOT, 'node_modules', '@opentelemetry'), path.join(dir, 'node_modules', '@opentelemetry'), 'dir');
    for (const name of sources) copyFileSync(path.join(EXAMPLES, name), path.join(dir, name));
    return dir;
  }

  const run = (cwd: string, ...args: string[]) =>
    promisify(execFile)(process.execPath, [TSX, 'run.ts', ...args], { cwd, encoding: 'utf8', timeout: 60_000 });

  it('should run nothing on import: no require.main, import.meta or __dirname in the examples', () => {
    expect(sources).toEqual(expect.arrayContaining(['etl.ts', 'multi-agent.ts', 'run.ts']));
    for (const name of sources)
      expect([name, readFileSync(path.join(EXAMPLES, name), 'utf8')]).not.toEqual([
        name,
        expect.stringMatching(/require\.main|import\.meta|__dirname|__filename/),
      ]);
  });

  it.each(['commonjs', 'module'] as const)(
    'should run both examples copied into a %s project',
    async (type) => {
      const dir = project(type);
      const etl = await run(dir, 'etl');
      expect(etl.stdout).toContain('outcome: succeeded { total: 6, completed: 6, failed: 0, skipped: 0, cancelled: 0 }');
      expect(etl.stdout).toContain('report: {"loaded":2,"totals":[{"customer":"Ada","total":38},{"customer":"Grace","total":12}]}');
      const multiAgent = await run(dir, 'multi-agent');
      expect(multiAgent.stdout.match(/dag\.completed\s+succeeded/g)).toHaveLength(2);
    },
    60_000,
  );

  it('should name the examples when given an unknown one', async () => {
    await expect(run(project('commonjs'), 'nope')).rejects.toMatchObject({
      code: 2,
      stderr: 'unknown example "nope": try etl or multi-agent or trace-run\n',
    });
  });
});
