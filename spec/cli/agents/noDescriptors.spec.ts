import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, ensureBuilt } from '../support/builtCli';

/**
 * Shell tasks the system cannot start for want of file descriptors (`ulimit -n` reached: EMFILE):
 * each waits, its slot held, for one of the CLI's tasks to end, and starts then, none failed
 * (before, each refusal failed its attempt and freed its slot at once, so most of the ready tasks
 * failed within a tenth of a second; earlier still, the child's 'error' reached no listener and
 * the CLI died). `spawnRoom.spec.ts` has a shortage none of the CLI's tasks relieves.
 */
jest.setTimeout(60_000);

describe('rxdag run out of file descriptors', () => {
  let dir: string;
  beforeAll(() => ensureBuilt());
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'rxdag-no-descriptors-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  // 40 tasks at once under 40 descriptors; under 30, room for about two, when a refused spawn has left none of them running
  it.each([
    [40, 40],
    [30, 4],
  ])('should start every task as the others end, none failed, and run each once (ulimit -n %d, -c %d)', async (limit, concurrency) => {
    const marker = path.join(dir, `ran-${limit}.log`);
    const tasks = Array.from({ length: 40 }, (_, i) => `  - { id: t${i}, run: "sleep 0.3 && echo t${i} >> '${marker}'" }`);
    const file = path.join(dir, 'many.yaml');
    writeFileSync(file, `id: many\ntasks:\n${tasks.join('\n')}\n`);
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(
        '/bin/sh',
        ['-c', `ulimit -n ${limit} && exec "$0" "$@"`, process.execPath, CLI, 'run', file, '-c', String(concurrency), '--no-journal'],
        { timeout: 50_000 },
        (error, stdout, stderr) => resolve({ code: child.exitCode ?? (error as { code?: number } | null)?.code ?? null, stdout, stderr }),
      );
    });
    expect(result.stderr).not.toMatch(/Unhandled 'error' event|internal error/);
    expect(result.stdout).not.toMatch(/cannot start/);
    expect(result.stdout).toContain('dag.completed succeeded: 40/40 completed, 0 failed');
    expect(result.code).toBe(0);
    const ran = readFileSync(marker, 'utf8').trim().split('\n');
    expect(new Set(ran).size).toBe(40);
    expect(ran).toHaveLength(40);
  });
});
