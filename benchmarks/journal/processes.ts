import { fork } from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { JournalCaseResult, JournalCaseSpec } from './types';
import { trackChild } from '../children';

/**
 * The children of `npm run bench:journal`: each case in a fresh Node process (tsx loader,
 * `--expose-gc`, as `npm run bench` runs its cases), SIGKILLed after its timeout. Every live
 * child is tracked (`../children.ts`) so that an error or ctrl-c ends it (by its pid) and none is left behind.
 */

const CHILD = path.join(__dirname, 'child.ts');
/** tsx's loader, named explicitly so children work whatever started this process (jest, npm, tsx). */
const TSX_LOADER = pathToFileURL(require.resolve('tsx')).href;
/** Kept of a child's stderr for the error message. */
const STDERR_TAIL_CHARS = 4000;

/** The command line that runs one case by hand (its result printed as JSON). */
export function childCommand(spec: JournalCaseSpec, lib: 'src' | 'dist'): string {
  return `${lib === 'dist' ? 'RXDAG_BENCH_LIB=dist ' : ''}npx tsx --expose-gc benchmarks/journal/child.ts '${JSON.stringify(spec)}'`;
}

/** Runs one case in a fresh child on the build `lib`; rejects on its error, a crash or the timeout. */
export function runInChild(spec: JournalCaseSpec, lib: 'src' | 'dist', timeoutMs: number): Promise<JournalCaseResult> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, RXDAG_BENCH_LIB: lib };
    delete env.NODE_OPTIONS; // nothing of the parent's (an --inspect, a heap size) leaks into the runs
    const child = fork(CHILD, [JSON.stringify(spec)], {
      execArgv: ['--import', TSX_LOADER, '--expose-gc'],
      env,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    trackChild(child);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-STDERR_TAIL_CHARS)));
    let message: { ok: boolean; result?: unknown; error?: string } | undefined;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('message', (received) => (message = received as typeof message));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const tail = stderr.trim() ? `\n${stderr.trim()}` : '';
      if (timedOut) reject(new Error(`timed out after ${timeoutMs / 1000} s (child killed)${tail}`));
      else if (message?.ok === false) reject(new Error(`the case failed in its child:\n${message.error ?? ''}`));
      else if (message?.ok !== true) reject(new Error(`child exited (${signal ?? `code ${code}`}) without a result${tail}`));
      else resolve(message.result as JournalCaseResult);
    });
  });
}
