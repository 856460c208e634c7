import type { TextSink } from '../output/reporter';
import type { ProgressStream } from '../output/progressReporter';

/** Where a command writes; `process.stdout`/`stderr` in the CLI. */
export interface CliIo {
  readonly stdout: TextSink & { readonly isTTY?: boolean };
  readonly stderr: ProgressStream;
}

/**
 * Whether a run shows the live progress bar: stdout and stderr are terminals, the terminal can
 * move the cursor (`TERM` is not `dumb`), and it is not a CI job's (`CI` set, as CI services do,
 * some with a pseudo-terminal whose log keeps every redraw). Otherwise, one plain line an event.
 */
export function drawsProgress(io: CliIo, env: NodeJS.ProcessEnv = process.env): boolean {
  if (io.stdout.isTTY !== true || io.stderr.isTTY !== true) return false;
  const ci = env['CI'];
  return env['TERM'] !== 'dumb' && (ci === undefined || ci === '' || ci === 'false' || ci === '0');
}
