import { Writable } from 'node:stream';
import { cli } from '../../../src/cli/program';

/** How a command ended when run in this process: its exit code and everything it printed. */
export interface InProcessResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `rxdag ...argv` in this process (no build, no child process): what a command prints
 * and returns, for commands that need no terminal and run no Ctrl-C. Stores and paths must be
 * named in `argv` (the process's `RXDAG_STORE` and working directory apply).
 */
export async function rxdagInProcess(...argv: string[]): Promise<InProcessResult> {
  let stdout = '';
  let stderr = '';
  const code = await cli(argv, { stdout: textSink((text) => (stdout += text)), stderr: textSink((text) => (stderr += text)) }, '0.0.0');
  return { code, stdout, stderr };
}

/** A stream that hands each chunk written to it to `add`, as text: a command's stdout or stderr in a spec. */
export function textSink(add: (text: string) => void): Writable {
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      add(chunk.toString());
      done();
    },
  });
}
