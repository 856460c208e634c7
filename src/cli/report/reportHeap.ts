/**
 * Whether the memory Node gives this process holds the report of an events log (and of the DAG
 * file `rxdag report --dag` reads with it): a log too big for it is refused in one line that says
 * how much to give, rather than left to kill Node halfway through. It reads neither file; the
 * figures behind it are in benchmarks/README.md ("The heap `rxdag report` needs").
 */
import fs from 'node:fs';
import v8 from 'node:v8';
import { InvalidInputError } from '../problems';

/**
 * The heap a report of a log needs: the process's own (its modules, the page's making; up to
 * 1.5 times a small log), and per byte of the log (its events, then the run's model). Logs of
 * small events (~112 bytes a line) of 35, 64, 142 and 244 MiB needed at most 188, 270–278,
 * 500–548 and 848–948 MiB of heap.
 */
const HEAP_FOR_REPORT = 72 * 2 ** 20;
const HEAP_PER_LOG_BYTE = 3.25;
/**
 * The heap per byte of a DAG file a report reads (`--dag`): its tasks parsed, built into a DAG,
 * and each task's dependencies and settings for the page. 100k-task files of 4.2 MB (JSON) and
 * 4.7 MB (YAML) took 60–100 MiB more than their log alone.
 */
const HEAP_PER_DAG_BYTE = 24;

/** Throws an {@link InvalidInputError} naming `logFile` when its report, with `dagFile`'s, needs more heap than there is. */
export function checkReportHeap(logFile: string, logBytes: number, dagFile: string | undefined): void {
  const dagBytes = dagFile === undefined ? 0 : fileSize(dagFile); // (a DAG file that cannot be read is reported when it is read)
  // the process's own share counts once the log is big enough to need it (a small log fits any heap Node runs with)
  const needed = Math.min(HEAP_FOR_REPORT, 1.5 * logBytes) + logBytes * HEAP_PER_LOG_BYTE + dagBytes * HEAP_PER_DAG_BYTE;
  const heap = v8.getHeapStatistics().heap_size_limit;
  if (needed <= heap) return;
  const more = Math.ceil((needed * 1.25) / 2 ** 20 / 64) * 64;
  const withDag = dagBytes === 0 ? '' : ` and the DAG file ${size(dagBytes, Math.ceil)}`;
  // what it needs rounded up, what it has rounded down: never "176 MiB, more than … (176 MiB)"
  throw new InvalidInputError([
    {
      file: logFile,
      message:
        `the events log is ${size(logBytes, Math.ceil)}${withDag}: its report takes about ${size(needed, Math.ceil)} of memory, ` +
        `more than Node gives this process (${size(heap, Math.floor)}); give it more with NODE_OPTIONS=--max-old-space-size=${more}`,
    },
  ]);
}

/** `n` bytes in KiB, MiB or GiB, rounded by `round`. */
function size(n: number, round: (x: number) => number): string {
  if (n < 2 ** 20) return `${round(n / 2 ** 10)} KiB`;
  return n < 2 ** 30 ? `${round(n / 2 ** 20)} MiB` : `${(round(n / 2 ** 27) / 8).toFixed(1)} GiB`;
}

/** The size of `file` in bytes; 0 when it cannot be read. */
function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}
