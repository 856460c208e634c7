import { fork, spawn } from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CaseResult, CaseSpec } from '../cases';
import type { WorkerMessage } from '../worker';
import { trackChild } from '../children';

/**
 * Child processes of an A/B run: builds (git, tsc) and benchmark children. Every live one is
 * tracked (`../children.ts`) so that an error, a timeout or ctrl-c ends them (by pid) and none is left behind.
 */

/** Runs a command to its end; resolves with its exit code and output (stdout and stderr, interleaved). */
export function runCommand(
  command: string,
  args: readonly string[],
  cwd: string,
): Promise<{ readonly code: number; readonly output: string }> {
  return new Promise((resolve, reject) => {
    const child = trackChild(spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] }));
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal === null ? 1 : 128), output }));
  });
}

/** The full suite's child entry: runs one case given as JSON and sends the result over IPC. */
const WORKER = path.resolve(__dirname, '../worker.ts');
const TSX_LOADER = pathToFileURL(require.resolve('tsx')).href;
const LIB_REDIRECT = pathToFileURL(path.join(__dirname, 'libRedirect.ts')).href;
/** Kept of a child's stderr for the error message. */
const STDERR_TAIL_CHARS = 4000;

/**
 * Runs one benchmark case in a fresh Node process on the rxdag build in `distDir`: the suite's
 * own `worker.ts` → `cases/` code (tsx loader, `--expose-gc`, as `npm run bench` runs it), with
 * `libRedirect.ts` preloaded so that the benchmark's `src/` imports load `distDir` instead.
 * SIGKILLed after `timeoutMs`.
 */
export function runCaseOnBuild(spec: CaseSpec, distDir: string, timeoutMs: number): Promise<CaseResult> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, RXDAG_AB_DIST: distDir };
    delete env.RXDAG_BENCH_LIB; // the build is chosen by RXDAG_AB_DIST alone
    delete env.NODE_OPTIONS; // nothing of the parent's (an --inspect, a heap size) leaks into the runs
    const child = trackChild(
      fork(WORKER, [JSON.stringify(spec)], {
        execArgv: ['--import', TSX_LOADER, '--import', LIB_REDIRECT, '--expose-gc'],
        env,
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      }),
    );
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-STDERR_TAIL_CHARS)));
    let message: WorkerMessage | undefined;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('message', (received) => (message = received as WorkerMessage));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const tail = stderr.trim() ? `\n${stderr.trim()}` : '';
      if (timedOut) reject(new Error(`timed out after ${timeoutMs / 1000} s (child killed)${tail}`));
      else if (message?.ok === false) reject(new Error(`the case failed in its child:\n${message.error}`));
      else if (message?.ok !== true) reject(new Error(`child exited (${signal ?? `code ${code}`}) without a result${tail}`));
      else if (code !== 0) reject(new Error(`child exited with code ${code} after its result${tail}`));
      else resolve(message.result as CaseResult);
    });
  });
}
