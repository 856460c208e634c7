import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, ensureBuilt } from '../support/builtCli';

/**
 * A shell task the system cannot start for want of file descriptors (`ulimit -n` reached: EMFILE)
 * fails that attempt, saying why and what to do, and the run goes on to its end: before, the
 * child's 'error' reached no listener and the CLI died, leaving the tasks it had started running.
 */
jest.setTimeout(60_000);

describe('rxdag run out of file descriptors', () => {
  let dir: string;
  beforeAll(() => ensureBuilt());
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'rxdag-no-descriptors-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('should fail the tasks it cannot start, naming the limit, and end the run with those it started', async () => {
    const marker = path.join(dir, 'ran.log');
    const tasks = Array.from({ length: 40 }, (_, i) => `  - { id: t${i}, run: "sleep 0.3 && echo t${i} >> '${marker}'" }`);
    const file = path.join(dir, 'many.yaml');
    writeFileSync(file, `id: many\ntasks:\n${tasks.join('\n')}\n`);
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(
        '/bin/sh',
        ['-c', `ulimit -n 40 && exec "$0" "$@"`, process.execPath, CLI, 'run', file, '-c', '40', '--no-journal'],
        { timeout: 50_000 },
        (error, stdout, stderr) => resolve({ code: child.exitCode ?? (error as { code?: number } | null)?.code ?? null, stdout, stderr }),
      );
    });
    expect(result.stderr).not.toMatch(/Unhandled 'error' event|internal error/);
    expect(result.code).toBe(1);
    const refusal =
      /cannot start `sleep 0\.3 && echo (t\d+) >> '[^']*'`: spawn \/bin\/sh EMFILE \(no file descriptors left: raise the limit, `ulimit -n`, or run fewer tasks at once\)/g;
    const refused = new Set([...result.stdout.matchAll(refusal)].map((match) => match[1]));
    expect(refused.size).toBeGreaterThan(0);
    // the run waited for those it started: each wrote its line before the CLI exited
    const ran = readFileSync(marker, 'utf8').trim().split('\n');
    expect(ran.length + refused.size).toBe(40);
    expect(result.stdout).toContain(`dag.completed failed: ${ran.length}/40 completed, ${refused.size} failed`);
  });
});
