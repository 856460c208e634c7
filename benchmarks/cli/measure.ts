import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { trackChild } from '../children';

/**
 * One measured process of `npm run bench:cli`: `node --require peakRss.cjs ARGS…` started
 * fresh, timed from spawn to exit by the parent (the total wall time a user waits, Node's own
 * start included), its peak RSS and CPU time written by the preloaded `peakRss.cjs` at exit; and
 * the untimed processes around them (`runNode`: `--help` probes, the runs that fill the store).
 * Children are tracked so that an error or Ctrl-C ends them (by pid) and none is left behind; none
 * blocks the parent's event loop, which must stay free to answer a signal.
 */

const PRELOAD = path.join(__dirname, 'peakRss.cjs');
/** Kept of a child's stderr for the error message. */
const STDERR_TAIL_CHARS = 4000;

export interface Measured {
  /** From spawn to the child's exit, as the parent saw it. */
  readonly wallMs: number;
  readonly maxRssBytes: number;
  /** User + system CPU time of the process: less moved than wall time by other work on the machine. */
  readonly cpuMs: number;
  readonly stdout: string;
  /** The end of its stderr (what a command says of itself: `wrote report.html (…)`). */
  readonly stderr: string;
}

export interface MeasureOptions {
  /** Working directory of the child (where a journal would go). */
  readonly cwd: string;
  /** Where the child's stdout goes: `/dev/null` (not a terminal, nothing kept) or captured. */
  readonly stdout: 'null' | 'capture';
  /** A file for the preload's numbers; removed after. */
  readonly rusageFile: string;
  readonly timeoutMs: number;
}

/** Runs `node ...args` once; rejects when it exits non-zero, times out or leaves no measurement. */
export function measure(args: readonly string[], options: MeasureOptions): Promise<Measured> {
  rmSync(options.rusageFile, { force: true });
  const env: NodeJS.ProcessEnv = { ...process.env, RXDAG_BENCH_RUSAGE: options.rusageFile };
  delete env.NODE_OPTIONS; // nothing of the parent's (a loader, a heap size) leaks into the measured process
  const devNull = options.stdout === 'null' ? openSync('/dev/null', 'w') : undefined;
  return new Promise<Measured>((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--require', PRELOAD, ...args], {
      cwd: options.cwd,
      env,
      stdio: ['ignore', devNull ?? 'pipe', 'pipe'],
    });
    trackChild(child);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-STDERR_TAIL_CHARS)));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    const done = () => {
      clearTimeout(timer);
      if (devNull !== undefined) closeSync(devNull);
    };
    child.on('error', (error) => {
      done();
      reject(error);
    });
    child.on('close', (code, signal) => {
      const wallMs = performance.now() - started;
      done();
      const command = `node ${args.join(' ')}`;
      const tail = stderr.trim() === '' ? '' : `\n${stderr.trim()}`;
      if (timedOut) return reject(new Error(`${command}: timed out after ${options.timeoutMs / 1000} s (killed)${tail}`));
      if (code !== 0) return reject(new Error(`${command}: exited with ${signal ?? `code ${code}`}${tail}`));
      if (!existsSync(options.rusageFile)) return reject(new Error(`${command}: exited without its peak RSS${tail}`));
      const usage = JSON.parse(readFileSync(options.rusageFile, 'utf8')) as { maxRssBytes: number; cpuMs: number };
      rmSync(options.rusageFile, { force: true });
      resolve({ wallMs, maxRssBytes: usage.maxRssBytes, cpuMs: usage.cpuMs, stdout, stderr });
    });
  });
}

/** How an untimed process ended: its exit code (`null` when a signal ended it) and its output. */
export interface Ran {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `node ...args` to its end, untimed (a `--help` probe, a run that fills the store), its
 * stdout kept or ignored (`stdout: 'ignore'`, '' then); rejects only when it cannot start.
 */
export function runNode(
  args: readonly string[],
  options: { readonly cwd?: string; readonly stdout?: 'ignore' | 'capture' } = {},
): Promise<Ran> {
  return new Promise<Ran>((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: options.cwd,
      stdio: ['ignore', options.stdout === 'ignore' ? 'ignore' : 'pipe', 'pipe'],
    });
    trackChild(child);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-STDERR_TAIL_CHARS)));
    child.on('error', (error) => {
      reject(error);
    });
    child.on('close', (code) => {
      resolve({ status: code, stdout, stderr });
    });
  });
}
