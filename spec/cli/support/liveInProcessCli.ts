import { cli } from '../../../src/cli/program';
import { type InProcessResult, rxdagInProcess, textSink } from './inProcessCli';

/**
 * Commands run in this process that a spec watches while they run (what they printed so far), and
 * the environment (variables, working directory) of the commands a spec runs in this process.
 * Like `rxdagInProcess`: no build, no child process, for commands that need no terminal, no
 * signal and no exit of their own process. What changes `process.env` or the working directory
 * may not run beside another test of the same file (`it.concurrent`).
 */

/** A command started in this process. */
export interface LiveInProcess {
  /** Resolves when the command has ended, with its exit code and everything it printed. */
  readonly done: Promise<InProcessResult>;
  /** What it printed on stdout so far. */
  stdoutSoFar(): string;
  /** What it printed on stderr so far. */
  stderrSoFar(): string;
}

/** Starts `rxdag ...argv` in this process; {@link LiveInProcess.done} resolves when it ends. */
export function startInProcess(argv: readonly string[]): LiveInProcess {
  let stdout = '';
  let stderr = '';
  const done = cli(argv, { stdout: textSink((text) => (stdout += text)), stderr: textSink((text) => (stderr += text)) }, '0.0.0').then(
    (code) => ({ code, stdout, stderr }),
  );
  return { done, stdoutSoFar: () => stdout, stderrSoFar: () => stderr };
}

/**
 * Sets `env` in `process.env` (what commands run in this process read: `RXDAG_STORE`,
 * `RXDAG_WORKER_KEY`, the variables shell tasks inherit) and returns the function that puts the
 * previous values back. Not for commands that overlap with others setting the same variables.
 */
export function setProcessEnv(env: Readonly<Record<string, string>>): () => void {
  const before = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
  Object.assign(process.env, env);
  return () => {
    for (const [name, value] of Object.entries(before)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

/** {@link setProcessEnv} for every test of the `describe` it is called in. */
export function useProcessEnv(env: () => Readonly<Record<string, string>>): void {
  let restore = () => {};
  beforeAll(() => {
    restore = setProcessEnv(env());
  });
  afterAll(() => restore());
}

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
