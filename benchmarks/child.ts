import { fork } from 'node:child_process';
import * as path from 'node:path';
import { type CaseResult, type CaseSpec, runCase } from './cases';
import type { WorkerMessage } from './worker';

/** Runs a case and returns its result: in a fresh child process or in this one. */
export type CaseRunner = (spec: CaseSpec) => Promise<CaseResult>;

const WORKER = path.join(__dirname, 'worker.ts');

/**
 * Runs each case in a fresh Node process (same loader flags as this one, plus `--expose-gc`), so
 * peak RSS is the case's own and no case inherits another's heap, JIT state or pending timers.
 */
export function childRunner(options: { readonly quiet: boolean; readonly extraNodeArgs?: readonly string[] }): CaseRunner {
  return (spec) =>
    new Promise<CaseResult>((resolve, reject) => {
      const child = fork(WORKER, [JSON.stringify(spec)], {
        execArgv: [...process.execArgv, '--expose-gc', ...(options.extraNodeArgs ?? [])],
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
