import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

/**
 * Smoke test of `npm run bench:spawn`, tiny: two sizes of each shape once. Only that it runs each
 * run to its end (it throws otherwise) and prints a row per size, and refuses a bad option; no
 * timing is asserted.
 */

const ROOT = path.resolve(__dirname, '../..');
const SCRIPT = path.join(ROOT, 'benchmarks/spawn.ts');
const TSX_LOADER = pathToFileURL(require.resolve('tsx')).href;
const run = (args: readonly string[]) =>
  promisify(execFile)(process.execPath, ['--import', TSX_LOADER, SCRIPT, ...args], { cwd: ROOT, timeout: 60_000 });

describe('npm run bench:spawn (tiny, once)', () => {
  it.each([
    [
      'children',
      [
        ['20', '40', '20'],
        ['40', '80', '40'],
      ],
    ],
    [
      'chain',
      [
        ['20', '21', '20'],
        ['40', '41', '40'],
      ],
    ],
    [
      'tree',
      [
        ['20', '201', '21'],
        ['40', '401', '41'],
      ],
    ],
  ])(
    'should print a row per size of shape %s, its tasks, spawns and times',
    async (shape, expected) => {
      const { stdout } = await run(['--shape', shape, '--sizes', '20,40', '--runs', '1']);
      const rows = stdout.split('\n').filter((line) => /^\| \d/.test(line));
      expect(
        rows.map((row) =>
          row
            .split('|')
            .slice(1, 4)
            .map((cell) => cell.trim()),
        ),
      ).toEqual(expected);
      for (const row of rows) expect(Number(row.split('|')[4])).toBeGreaterThan(0);
    },
    70_000,
  );

  it('should refuse a size that is not a positive integer, and an unknown shape, with exit 2', async () => {
    await expect(run(['--sizes', '20,x'])).rejects.toMatchObject({
      code: 2,
      stderr: 'bench:spawn: `--sizes` takes a positive integer (got x)\n',
    });
    await expect(run(['--shape', 'star'])).rejects.toMatchObject({
      code: 2,
      stderr: 'bench:spawn: `--shape` takes one of children, chain, tree (got star)\n',
    });
  }, 70_000);
});
