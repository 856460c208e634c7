import { fork } from 'node:child_process';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type CaseResult, type CaseSpec, runCase } from './cases';
import type { WorkerMessage } from './worker';

/** Runs a case and returns its result: in a fresh child process or in this one. */
export type CaseRunner = (spec: CaseSpec) => Promise<CaseResult>;

const WORKER = path.join(__dirname, 'worker.ts');
/** tsx's loader, named explicitly so children work whatever started this process (jest, npm, tsx). */
const TSX_LOADER = pathToFileURL(require.resolve('tsx')).href;

/**
 * Runs each case in a fresh Node process (tsx loader, `--expose-gc`), so
 * peak RSS is the case's own and no case inherits another's heap, JIT state or pending timers.
 */
export function childRunner(options: { readonly quiet: boolean; readonly extraNodeArgs?: readonly string[] }): CaseRunner {
  return (spec) =>
    new Promise<CaseResult>((resolve, reject) => {
      const child = fork(WORKER, [JSON.stringify(spec)], {
        // Not this process's execArgv: an `--inspect` or jest flag must not leak into every case.
        execArgv: ['--import', TSX_LOADER, '--expose-gc', ...(options.extraNodeArgs ?? [])],
        stdio: ['ignore', options.quiet ? 'ignore' : 'inherit', 'inherit', 'ipc'],
      });
      let message: WorkerMessage | undefined;
      child.on('message', (received) => (message = received as WorkerMessage));
      child.on('error', reject);
      child.on('exit', (code, signal) => {
        if (message?.ok === true) resolve(message.result as CaseResult);
        else if (message?.ok === false) reject(new Error(`benchmark case failed in its child process:\n${message.error}`));
        else reject(new Error(`benchmark child exited (${signal ?? `code ${code}`}) without a result for ${JSON.stringify(spec)}`));
      });
    });
}

/** Runs cases in this process: fast (tiny mode, the smoke test), but RSS is then not reported. */
export const inProcessRunner: CaseRunner = (spec) => runCase(spec, false);
