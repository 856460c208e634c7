/**
 * Standard output that cannot crash the CLI. A write that fails — a full disk
 * (`rxdag run … > /dev/full`), a closed pipe — never throws into the run: the first failure is
 * reported on stderr in one line, later writes are dropped, and the run goes on (its journal,
 * events log and report still matter). A reader that left on purpose (`| head`, EPIPE) is not
 * reported. It does not buffer, retry or decide the exit code: `lost` tells the caller that
 * something meant for stdout was not written.
 */
import { describeIoError } from '../commands/writeTarget';
import type { TextSink } from './reporter';

/** Standard output as the commands see it, and whether some of it was lost. */
export interface GuardedStdout extends TextSink {
  readonly isTTY: boolean;
  /** A write failed for another reason than the reader leaving: what was printed is incomplete. */
  readonly lost: boolean;
}

/** The stream's own failure, as Node reports it (synchronously for files, as an event for pipes). */
type StreamError = Error & { readonly code?: string };

/** Whether the terminal is gone (a SIGHUP): writes to it fail, and nobody is left to read them or the line saying so. */
let terminalGone = false;

/** The terminal is gone: what fails to reach it from now on is dropped, not said. */
export function dropWritesToGoneTerminal(): void {
  terminalGone = true;
}

/** Wraps `stdout`; failures are told on `stderr`. */
export function guardedStdout(stdout: NodeJS.WriteStream, stderr: TextSink): GuardedStdout {
  let dropping = false;
  let lost = false;
  const fail = (error: StreamError) => {
    if (dropping) return;
    dropping = true;
    // (on the gone terminal only: a file or pipe that fails after a SIGHUP is said as ever)
    if (error.code === 'EPIPE' || (terminalGone && stdout.isTTY === true)) return;
    lost = true;
    stderr.write(`rxdag: cannot write to standard output: ${describeIoError(error)}; the rest of what is printed there is lost\n`);
  };
  stdout.on('error', fail);
  return {
    isTTY: stdout.isTTY === true,
    get lost() {
      return lost;
    },
    write(text: string) {
      if (dropping) return false;
      try {
        return stdout.write(text);
      } catch (error) {
        fail(error as StreamError);
        return false;
      }
    },
  };
}
