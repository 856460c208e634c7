import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';

const REPO = path.join(__dirname, '..', '..', '..');

/**
 * Starts `spec/journal/fixtures/<fixture>` (through tsx) with `args`, and resolves once it says
 * `owned`: it holds a run then, until it is killed. `track` gets the child at once, so the
 * spec's clean-up kills it even when this fails (it did not take the run in 20 s, or exited).
 */
export async function ownerChild(fixture: string, args: readonly string[], track: (child: ChildProcess) => void): Promise<ChildProcess> {
  const started = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', 'fixtures', fixture), ...args], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(started);
  let stderr = '';
  started.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await new Promise<void>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`child did not take the run in 20 s: ${stderr}`)), 20_000);
    started.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().startsWith('owned')) (clearTimeout(timer), done());
    });
    started.once('exit', (code) => (clearTimeout(timer), fail(new Error(`child exited (${code}): ${stderr}`))));
  });
  return started;
}
