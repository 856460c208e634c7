/**
 * `rxdag worker --redis URL`: runs the attempts that `rxdag run --redis` schedulers send through
 * Redis, on the CLI's built-in shell and sleep agents, until SIGTERM or Ctrl-C. Checks its
 * options here (exit 2 with every problem); the worker itself (`worker/serveWorker.ts`) is loaded
 * only now, so no other command loads BullMQ.
 */
import { loadRemoteModule } from '../remote/openRemote';
import type { CliIo } from './cliIo';
import { type RawWorkerOptions, resolveWorkerOptions } from '../worker/workerOptions';

export type { RawWorkerOptions } from '../worker/workerOptions';

/**
 * Serves jobs and resolves with the exit code once stopped: 0 after a stop signal. Invalid
 * options, a Redis that is refused or does not answer, or a metrics port that cannot be had
 * throw `InvalidInputError` (exit 2) before any job is taken.
 */
export async function workerCommand(raw: RawWorkerOptions, io: CliIo): Promise<number> {
  const options = resolveWorkerOptions(raw, process.env);
  const { serveWorker } = loadRemoteModule(() => require('../worker/serveWorker') as typeof import('../worker/serveWorker'));
  return serveWorker(options, io);
}
