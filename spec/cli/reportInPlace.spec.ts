import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CLI, ensureBuilt } from './support/builtCli';

/**
 * `--report` into a folder the user cannot write into, at a file the user can (a file mounted on
 * its own into a container, a shared report a CI step may overwrite): accepted and written in
 * place, as the docs say, not refused before the run for its folder. The built CLI, run as
 * `nobody` when the specs run as root (access checks ask for the real user).
 */
describe('rxdag run --report into a folder only the file in it is writable in', () => {
  let base: string;
  beforeEach(() => {
    base = mkdtempSync(path.join(os.tmpdir(), 'rxdag-report-in-place-'));
    chmodSync(base, 0o755);
  });
  afterEach(() => {
    chmodSync(base, 0o755);
    rmSync(base, { recursive: true, force: true });
  });

  it('should write the report in place, and refuse a report there that does not exist yet', async () => {
    await ensureBuilt();
    const dag = path.join(base, 'one.yaml');
    writeFileSync(dag, 'id: one\ntasks:\n  - { id: a, sleep: 0 }\n');
    const report = path.join(base, 'r.html');
    writeFileSync(report, 'old');
    chmodSync(report, 0o666);
    const root = process.getuid?.() === 0;
    if (!root) chmodSync(base, 0o555);
    const rxdag = (...args: string[]) => {
      const [file, prefix] = root
        ? ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath]]
        : [process.execPath, []];
      return promisify(execFile)(file, [...prefix, CLI, ...args], { cwd: base, timeout: 30_000 }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
      );
    };
    const written = await rxdag('run', dag, '--no-journal', '--quiet', '--report', report);
    expect(written).toMatchObject({ code: 0, stderr: expect.stringContaining(`wrote ${report}`) });
    expect(readFileSync(report, 'utf8')).toMatch(/^<!doctype html>/i);
    const missing = await rxdag('run', dag, '--no-journal', '--quiet', '--report', path.join(base, 'new.html'));
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining(`folder "${base}" is not writable`) });
  }, 60_000);
});
