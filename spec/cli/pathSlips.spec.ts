import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import os, { homedir } from 'node:os';
import { tildeSlip } from '../../src/cli/pathSlips';
import path from 'node:path';
import { ensureBuilt, runCli } from './support/builtCli';
import { tempDir, writeText } from './support/files';
import { rxdagInProcess as rxdag } from './support/inProcessCli';

/**
 * Output paths a user cannot have meant as written, refused before anything runs (exit 2) and
 * before anything is made: a `~` the shell did not expand (`--report=~/r.html`), and white space
 * at either end, as `--store` refuses them.
 */
describe('output paths not meant as written', () => {
  const tmp = tempDir();
  const cwd = process.cwd();
  beforeAll(() => process.chdir(tmp.dir));
  afterAll(() => {
    process.chdir(cwd);
    tmp.remove();
  });
  const dagFile = () => writeText(tmp.file('quick.yaml'), 'id: quick\ntasks:\n  - id: a\n    sleep: 1\n');

  it('should refuse a ~ the shell did not expand in --report, --events and --logs, making no folder named ~', async () => {
    const refused = await rxdag('run', dagFile(), '--no-journal', '--report=~/r.html', '--events=~/e.jsonl', '--logs=~/lg');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      `rxdag: --report ~/r.html: rxdag does not expand ~ (write the whole path, ${path.join(homedir(), 'r.html')}; ./~/r.html for one named ~ here)`,
    );
    expect(refused.stderr).toContain('rxdag: --events ~/e.jsonl: rxdag does not expand ~');
    expect(refused.stderr).toContain('rxdag: --logs ~/lg: rxdag does not expand ~');
    expect(existsSync(tmp.file('~'))).toBe(false);
    // named as a folder here, it is one
    mkdirSync(tmp.file('~'));
    expect((await rxdag('run', dagFile(), '--no-journal', '--quiet', '--report=./~/r.html')).code).toBe(0);
    expect(readdirSync(tmp.file('~'))).toEqual(['r.html']);
  });

  it('should name no whole path for ~ when this user has no home to tell (HOME set empty)', async () => {
    await ensureBuilt();
    const refused = await runCli(['run', dagFile(), '--no-journal', '--report=~/r.html'], { HOME: '' }, { cwd: tmp.dir });
    expect(refused.stderr).toContain(
      'rxdag: --report ~/r.html: rxdag does not expand ~ (write the whole path; ./~/r.html for one named ~ here)',
    );
    const store = await runCli(['runs', '--store', '~/runs'], { HOME: '' }, { cwd: tmp.dir });
    expect(store.stderr).toContain('rxdag does not expand ~ (write the whole path; ./~/runs for a folder named ~ here)');
    // a home that is no whole path (HOME=rel) names none either
    const relative = await runCli(['run', dagFile(), '--no-journal', '--report=~/r.html'], { HOME: 'rel' }, { cwd: tmp.dir });
    expect(relative.stderr).toContain('rxdag does not expand ~ (write the whole path; ./~/r.html for one named ~ here)');
  }, 60_000);

  it("should refuse a ~ with no whole path, not crash, for a user the system has no home for (a container's --user 12345, no HOME)", async () => {
    const homedir = jest.spyOn(os, 'homedir').mockImplementation(() => {
      throw Object.assign(new Error('A system error occurred: uv_os_homedir returned ENOENT'), { code: 'ERR_SYSTEM_ERROR' });
    });
    try {
      expect(await rxdag('run', dagFile(), '--store', '~/st')).toEqual({
        code: 2,
        stdout: '',
        stderr: 'rxdag: --store ~/st: rxdag does not expand ~ (write the whole path; ./~/st for a folder named ~ here)\n',
      });
      expect(tildeSlip('~/r.html', 'one')).toBe('rxdag does not expand ~ (write the whole path; ./~/r.html for one named ~ here)');
    } finally {
      homedir.mockRestore();
    }
  });

  it('should refuse an output path, and say why a DAG file is not found, whose name holds bytes that are not UTF-8', async () => {
    // what Node makes of `caf\xe9` under LANG=C: U+FFFD, by which no file of those bytes can be named
    const refused = await rxdag('run', dagFile(), '--no-journal', '--report', 'rep\ufffd.html');
    expect(refused).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('rxdag: --report rep\ufffd.html: the path holds bytes that are not UTF-8 (shown as \ufffd)'),
    });
    expect(await rxdag('run', dagFile(), '--store', 'caf\ufffd-runs')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('rxdag: --store caf\ufffd-runs: the path holds bytes that are not UTF-8'),
    });
    expect(readdirSync(tmp.dir).filter((name) => name.includes('\ufffd'))).toEqual([]);
    expect(await rxdag('validate', 'caf\ufffd.yaml')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('cannot read DAG file: no such file (its name holds bytes that are not UTF-8'),
    });
  });

  it('should refuse white space at either end of an output path, and of prune --logs', async () => {
    const refused = await rxdag('run', dagFile(), '--no-journal', '--report', ' r.html', '--events', 'e.jsonl ', '--logs', ' lg ');
    expect(refused.code).toBe(2);
    for (const [flag, given] of [
      ['--report', ' r.html'],
      ['--events', 'e.jsonl '],
      ['--logs', ' lg '],
    ])
      expect(refused.stderr).toContain(
        `rxdag: ${flag} ${JSON.stringify(given)} begins or ends with white space, which no message would show: remove it`,
      );
    expect(readdirSync(tmp.dir).filter((name) => name.trim() !== name)).toEqual([]);
    const prune = await rxdag('prune', '--logs', 'lg ', '--dry-run');
    expect(prune).toMatchObject({ code: 2, stderr: expect.stringContaining('--logs "lg " begins or ends with white space') });
  });
});
