import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
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
}

/** Starts `node dist/cli/main.js ...args` in the repository root, stdin closed. */
export function startCli(args: readonly string[], env: Readonly<Record<string, string>> = {}): RunningCli {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const stdoutWaiters: (() => void)[] = [];
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
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
  return { child, done, waitForStdout };
}

/** Runs the CLI to its end. */
export function runCli(args: readonly string[], env?: Readonly<Record<string, string>>): Promise<CliResult> {
  return startCli(args, env).done;
}
