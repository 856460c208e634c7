import type { TextSink } from '../output/reporter';
import type { ProgressStream } from '../output/progressReporter';

/** Where a command writes; `process.stdout`/`stderr` in the CLI. */
export interface CliIo {
  readonly stdout: TextSink & { readonly isTTY?: boolean };
  readonly stderr: ProgressStream;
}
