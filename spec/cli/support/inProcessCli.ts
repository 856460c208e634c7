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
  const sink = (add: (text: string) => void) =>
    new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        add(chunk.toString());
        done();
      },
    });
  const code = await cli(argv, { stdout: sink((text) => (stdout += text)), stderr: sink((text) => (stderr += text)) }, '0.0.0');
  return { code, stdout, stderr };
}
