import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { CLI, ensureBuilt } from './support/builtCli';
import { tempDir, writeText } from './support/files';

/**
 * A stop signal while `rxdag` waits for a reader to take what it printed, its run ended: it
 * exits with the run's own code, saying what is dropped, not by the signal's default (143 and
 * nothing said), which turned a run that succeeded into a failed CI step at its timeout.
 */
describe('a stop signal while the output of a command that ended is flushed', () => {
  const tmp = tempDir();
  beforeAll(() => ensureBuilt(), 120_000);
  afterAll(() => tmp.remove());

  it('should exit with the run’s code and say what is dropped', async () => {
    // thousands of plain lines (far over what a pipe and its reader's buffer hold) into a pipe nobody reads
    const tasks = Array.from({ length: 3000 }, (_, i) => `  - id: task-with-a-rather-long-name-${i}\n    sleep: 0`).join('\n');
    const dag = writeText(tmp.file('many.yaml'), `id: many\ntasks:\n${tasks}\n`);
    const store = tmp.file('store');
    const child = spawn(process.execPath, [CLI, 'run', dag, '--store', store, '-c', '50'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pause(); // read by nobody: the pipe fills
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const ended = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      // the run ended: its journal has its end
      const deadline = Date.now() + 30_000;
      const completed = () => {
        const files = existsSync(store) ? readdirSync(store).filter((name) => name.endsWith('.jsonl')) : [];
        return files.length === 1 && readFileSync(`${store}/${files[0]!}`, 'utf8').includes('"dag.completed"');
      };
      while (!completed()) {
        if (Date.now() > deadline) throw new Error(`the run did not end: ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await new Promise((resolve) => setTimeout(resolve, 300)); // past its last writes
      expect(child.exitCode).toBeNull(); // still waiting for the reader
      child.kill('SIGTERM');
      expect(await ended).toBe(0);
      expect(stderr).toContain('rxdag: stopping on SIGTERM: the command had ended; what the reader of its output did not take is dropped');
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);
});
