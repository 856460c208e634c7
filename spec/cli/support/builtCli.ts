import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, rmdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

/** The repository root. */
export const ROOT = path.resolve(__dirname, '..', '..', '..');
/** The built CLI, as `npm install` links it (`bin.rxdag`). */
export const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
const LOCK = path.join(ROOT, 'dist', '.cli-spec-build.lock');

/**
 * Builds `dist/` when it is missing or older than a file of `src/`, so the specs always run
 * the CLI of the current source. Spec files share one build: the first takes a lock (an
 * atomic mkdir), the others wait for it and then see a fresh `dist/`.
 */
export async function ensureBuilt(): Promise<void> {
  for (;;) {
    if (!isStale()) return;
    mkdirSync(path.dirname(LOCK), { recursive: true });
    try {
      mkdirSync(LOCK);
    } catch {
      if (Date.now() - statSync(LOCK).mtimeMs > 120_000) rmdirSync(LOCK); // left by a killed run
      await new Promise((resolve) => setTimeout(resolve, 200));
      continue;
    }
    try {
      if (isStale())
        await promisify(execFile)(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT });
    } finally {
      rmdirSync(LOCK);
    }
  }
}

function isStale(): boolean {
  let built: number;
  try {
    built = statSync(CLI).mtimeMs;
  } catch {
    return true;
  }
  return newestMtime(path.join(ROOT, 'src')) > built;
}

function newestMtime(folder: string): number {
  let newest = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const full = path.join(folder, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** How a CLI process ended, with everything it printed. */
export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A running CLI process. */
export interface RunningCli {
  readonly child: ChildProcess;
  /** Resolves when the CLI exits. */
  readonly done: Promise<CliResult>;
  /** Resolves when stdout has printed something matching `pattern`. */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** What it printed on stderr so far. */
  stderrSoFar(): string;
}

/**
 * The store `rxdag run` journals into when a spec names none (`RXDAG_STORE`): one folder per
 * spec file, removed after it, so that no spec writes a journal into the repository. A spec
 * that wants the default `.rxdag/` of the working directory passes `RXDAG_STORE: ''`.
 */
export const SPEC_STORE = path.join(os.tmpdir(), `rxdag-spec-store-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
// jest's registry gives each spec file its own copy of this module, and this hook
afterAll(() => rmSync(SPEC_STORE, { recursive: true, force: true }));

/** Where the CLI runs: the repository root unless a spec says otherwise. */
export interface CliOptions {
  readonly cwd?: string;
  /** A file descriptor the CLI's stdout goes to instead of a pipe (its `stdout` is then ''). */
  readonly stdoutFd?: number;
}

/**
 * Starts `node dist/cli/main.js ...args` (in the repository root unless `options.cwd`), stdin
 * closed, journaling into {@link SPEC_STORE} unless `env` names another store.
 */
export function startCli(args: readonly string[], env: Readonly<Record<string, string>> = {}, options: CliOptions = {}): RunningCli {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, RXDAG_STORE: SPEC_STORE, ...env },
    stdio: ['ignore', options.stdoutFd ?? 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const stdoutWaiters: (() => void)[] = [];
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const check of [...stdoutWaiters]) check();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<CliResult>((resolve) => child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  const waitForStdout = (pattern: RegExp, timeoutMs = 15_000) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`stdout did not match ${pattern} within ${timeoutMs} ms:\n${stdout}\n${stderr}`)),
        timeoutMs,
      );
      const check = () => {
        if (!pattern.test(stdout)) return;
        clearTimeout(timer);
        stdoutWaiters.splice(stdoutWaiters.indexOf(check), 1);
        resolve();
      };
      stdoutWaiters.push(check);
      check();
    });
  return { child, done, waitForStdout, stderrSoFar: () => stderr };
}

/** Runs the CLI to its end. */
export function runCli(args: readonly string[], env?: Readonly<Record<string, string>>, options?: CliOptions): Promise<CliResult> {
  return startCli(args, env, options).done;
}

/** The line `rxdag run` starts a journaled run with: `rxdag: run ID (journal STORE; resume with: …)`. */
export const RUN_LINE = /^rxdag: run (\S+) \(journal (.+); resume with: rxdag resume \1(?: \S+)*\)$/;

/** What a run printed on stderr besides its run line (see {@link RUN_LINE}). */
export function notices(stderr: string): string {
  return stderr
    .split(/(?<=\n)/)
    .filter((line) => !RUN_LINE.test(line.trimEnd()))
    .join('');
}

/** The run id a journaled run printed on stderr (its run line), or undefined. */
export function printedRunId(stderr: string): string | undefined {
  for (const line of stderr.split('\n')) {
    const match = RUN_LINE.exec(line);
    if (match !== null) return match[1];
  }
  return undefined;
}
