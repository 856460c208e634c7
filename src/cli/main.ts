#!/usr/bin/env node
/**
 * The `rxdag` executable: wires the command line to the real process (argv, stdout, stderr,
 * exit code). Everything else lives in `program.ts` and below.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { cli } from './program';

function packageVersion(): string {
  try {
    const manifest: unknown = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
    const version = (manifest as { version?: unknown }).version;
    return typeof version === 'string' ? version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

// `rxdag run … | head` closes stdout early: the run goes on (its events log and report still
// matter), only what would have been printed is lost. Without this, Node throws on EPIPE.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}

/** Resolves once what was written to `stream` has gone out (a piped reader may be slow). */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => (stream.destroyed ? resolve() : stream.write('', () => resolve())));
}

cli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }, packageVersion()).then(
  (code) => {
    // Exit as soon as the output is flushed: a run leaves no work behind, and a stray timer
    // (a library's, a reporter's) must not keep the process alive after its outcome is known.
    void flushed(process.stdout)
      .then(() => flushed(process.stderr))
      .then(() => process.exit(code));
  },
  (error: unknown) => {
    process.stderr.write(`rxdag: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
