import { rxdagInProcess, type InProcessResult } from './inProcessCli';
import { setProcessEnv } from './liveInProcessCli';

/**
 * What the CLI specs ask a store in this process instead of in a `rxdag` process of their own:
 * a command run with the environment (and working directory) a real process would have been
 * given. It may not run beside another test of the same file (`it.concurrent`): it changes
 * `process.env` and the working directory while it runs.
 */

/** Where an in-process command runs: variables it sees in `process.env` and its working directory. */
export interface InProcessSetting {
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
}

/**
 * Runs `rxdag ...argv` in this process (see {@link rxdagInProcess}) with `setting.env` in
 * `process.env` and in `setting.cwd`, both restored after it: a command that reads its store
 * from `RXDAG_STORE` or `.rxdag/` of its working directory, or runs shell tasks that read
 * variables of their own.
 *
 * @example
 * const listed = await rxdagWith({ env: { RXDAG_STORE: store } }, 'runs', '--json');
 */
export async function rxdagWith(setting: InProcessSetting, ...argv: string[]): Promise<InProcessResult> {
  const restoreEnv = setProcessEnv(setting.env ?? {});
  const cwd = process.cwd();
  try {
    if (setting.cwd !== undefined) process.chdir(setting.cwd);
    return await rxdagInProcess(...argv);
  } finally {
    process.chdir(cwd);
    restoreEnv();
  }
}
