#!/usr/bin/env node
/**
 * The `rxdag` executable: wires the command line to the real process (argv, stdout, stderr,
 * exit code). Everything else lives in `program.ts` and below.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { installCommand } from '../peerDependency';
import { ExitCode } from './exitCodes';
import { guardedStdout } from './output/guardedStdout';
import { cli } from './program';
import { exitAfterStop, exitOnStopWhileFlushing, READER_WAIT_AFTER_STOP_MS, stopSignalled } from './commands/interrupts';

function packageVersion(): string {
  try {
    const manifest: unknown = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
    const version = (manifest as { version?: unknown }).version;
    return typeof version === 'string' ? version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

// stderr is where failures are told: if even it fails (EPIPE or worse), there is no one to tell
process.stderr.on('error', () => undefined);
// a full disk or a closed pipe on stdout is told once on stderr; a run goes on
const stdout = guardedStdout(process.stdout, process.stderr);

/**
 * Resolves once what was written to `stream` has gone out (a piped reader may be slow); after
 * a stop signal, within {@link READER_WAIT_AFTER_STOP_MS} at most.
 */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  const out = new Promise<void>((resolve) => (stream.destroyed ? resolve() : stream.write('', () => resolve())));
  if (!stopSignalled()) return out;
  return Promise.race([out, new Promise<void>((resolve) => setTimeout(resolve, READER_WAIT_AFTER_STOP_MS))]);
}

cli(process.argv.slice(2), { stdout, stderr: process.stderr }, packageVersion()).then(
  (code) => {
    // what the command printed is incomplete (a write may fail only as it is flushed): a
    // success says so with the output-failure code
    const finalCode = () => (stdout.lost && code === ExitCode.ok ? ExitCode.outputFailed : code);
    exitOnStopWhileFlushing(finalCode);
    // Exit as soon as the output is flushed: a run leaves no work behind, and a stray timer
    // (a library's, a reporter's) must not keep the process alive after its outcome is known.
    void flushed(process.stdout)
      .then(() => flushed(process.stderr))
      .then(() => exitAfterStop(finalCode()));
  },
  (error: unknown) => {
    // a missing peer is the installation's fault, as a missing pg is: nothing ran (2)
    const missing = missingRxjs(error);
    process.stderr.write(
      `rxdag: ${missing ?? `internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`}\n`,
    );
    process.exit(missing === undefined ? 1 : ExitCode.invalid);
  },
);

/**
 * What to say when RxJS, a peer dependency npm installs beside rxdag, is not there (an install
 * with `--legacy-peer-deps` leaves peers out): one line with the command, not Node's require stack.
 */
function missingRxjs(error: unknown): string | undefined {
  const { code, message } = (error ?? {}) as NodeJS.ErrnoException;
  if (code !== 'MODULE_NOT_FOUND' || !String(message).startsWith("Cannot find module 'rxjs")) return undefined;
  return `the package "rxjs" is not installed (a peer dependency of rxdag, which npm leaves out with --legacy-peer-deps): ${installCommand(['rxjs'])}`;
}
