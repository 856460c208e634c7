/**
 * Writes the HTML report of a run to its file, the step `rxdag run --report`, `rxdag resume
 * --report`, `rxdag show --report` and `rxdag report` share, and says in one line what went
 * wrong: the file could not be written (`ENOSPC (no space left on device)`, and whether the earlier
 * file was left whole: `wholeFile.ts`), or the report could not be made at all (a bug in the CLI,
 * with its stack: no file was touched). It does not check
 * the path beforehand (`writeTarget.ts` does) nor decide the exit code (the commands do).
 */
import { fstatSync, statSync } from 'node:fs';
import { renderReport } from '../report/renderReport';
import type { ReportInput } from '../report/reportInput';
import { showCommandLine, type StoreLocation } from '../store/storeLocation';
import { leftAsItWas, writeWholeFile } from './wholeFile';
import { describeIoError, statOf } from './writeTarget';

/** Where the report of run `runId` says every task is: `rxdag show` of its `store`, the events log it wrote to `eventsPath`. */
export function everyTaskIn(
  store: StoreLocation | undefined,
  runId: string | undefined,
  eventsPath: string | undefined,
): Pick<ReportInput, 'showCommand' | 'eventsLog'> {
  return {
    ...(store === undefined || runId === undefined ? {} : { showCommand: showCommandLine(runId, store) }),
    ...(eventsPath === undefined ? {} : { eventsLog: eventsPath }),
  };
}

/**
 * A page this big (bytes) takes a browser about 2 GB to open. Drawn whole, about 20,000 tasks made
 * one; a report draws every task only up to `BOUNDED_REPORT_TASKS` (5,000), so now long errors of
 * many tasks do.
 */
const LARGE_PAGE_BYTES = 25_000_000;

/** Whether `file` is this process's standard output (`/dev/stdout`, `/proc/self/fd/1`, the pipe itself). */
function isStandardOutput(file: string): boolean {
  try {
    const [target, stdout] = [statSync(file), fstatSync(1)];
    return target.dev === stdout.dev && target.ino === stdout.ino;
  } catch {
    return false;
  }
}

/** The output `rxdag report -o` takes for its standard output. */
export const STANDARD_OUTPUT = '-';

/**
 * Renders the report of `input` and writes it to `file`: undefined when both worked, else the
 * line to print (`rxdag: …`, no line feed at its end). A page a browser can hardly open is
 * said to `note` (`rxdag: out.html is 131 MB: …`).
 *
 * @example
 * writeReportFile('/dev/full', { events }) // "rxdag: cannot write the report /dev/full: ENOSPC (no space left on device)"
 */
export function writeReportFile(
  file: string,
  input: ReportInput,
  note?: (line: string) => void,
  stdout?: { write(text: string): unknown },
): string | undefined {
  let html: string;
  try {
    html = renderReport(input);
  } catch (error) {
    const why = error instanceof Error ? (error.stack ?? error.message) : String(error);
    return `rxdag: internal error while making the report ${file} (the file was not written): ${why}`;
  }
  // `-`: the command's own standard output, written as the rest of its output is (`rxdag report … -o - | gzip`)
  if (file === STANDARD_OUTPUT && stdout !== undefined) {
    stdout.write(html);
    const large = largePageNote('on standard output', Buffer.byteLength(html));
    if (large !== undefined) note?.(large);
    return undefined;
  }
  try {
    writeWholeFile(file, html);
  } catch (error) {
    // the reader of this command's own standard output that left on purpose (`-o /dev/stdout | head`); another pipe's is a failure
    if ((error as NodeJS.ErrnoException).code === 'EPIPE' && isStandardOutput(file)) return undefined;
    const left = !leftAsItWas(error) ? '' : statOf(file)?.isFile() === true ? '; the file was left as it was' : '; no file was written';
    return `rxdag: cannot write the report ${file}: ${describeIoError(error)}${left}`;
  }
  const large = largePageNote(file, Buffer.byteLength(html));
  if (large !== undefined) note?.(large);
  return undefined;
}

/** What a page of `bytes` a browser can hardly open says on stderr, else undefined. */
export function largePageNote(file: string, bytes: number): string | undefined {
  if (bytes < LARGE_PAGE_BYTES) return undefined;
  return `rxdag: the report ${file} is ${Math.round(bytes / 1e6)} MB: a browser needs several GB of memory to open it (a run of up to 5,000 tasks has each drawn, with its errors)`;
}
