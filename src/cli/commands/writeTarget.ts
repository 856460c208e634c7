/**
 * The checks made on the files a command will write, before anything runs (exit 2 when one
 * fails): that each path is given (not empty), that each can really be written, and that no
 * output names the DAG file, another output, a file in the store's folder, or a run's journal of
 * another store.
 * Also how a failed write is described in one line (`ENOSPC (no space left on device)`).
 *
 * A check opens the path for appending, never truncating it, and removes a file it had to
 * create, so a refused command leaves every file as it was. It does not write the outputs,
 * and it cannot promise the later writes succeed (a full disk, `/dev/full`): the commands
 * handle those failures themselves. It does not refuse a file only because it exists (but for a
 * journal): a report or an events log is often written again on purpose.
 */
import {
  accessSync,
  closeSync,
  constants,
  lstatSync,
  openSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  statSync,
  type Stats,
  unlinkSync,
} from 'node:fs';
import path from 'node:path';
import { HEAD_BYTES, headerRunIdOf } from '../../journal/headerHead';
import { fileStart } from '../fileStart';
import { pathSlip } from '../pathSlips';
import { InvalidInputError, type Problem } from '../problems';
import type { StoreLocation } from '../store/storeLocation';

/** An output file of a command: the option that names it and the path as given. */
export interface OutputTarget {
  readonly flag: string;
  readonly file: string;
}

/** The outputs of `rxdag run` or `rxdag resume`, and what they must not overwrite. */
export interface RunOutputs {
  /** The DAG file (`resume` has none). */
  readonly dagFile?: string | undefined;
  /** `--events`, `--report`: paths as given. */
  readonly events?: string | undefined;
  readonly report?: string | undefined;
  /** The store runs are journaled into: no output may be a file of its folder. */
  readonly store?: StoreLocation | undefined;
}

/**
 * Fails early (exit 2, nothing run) when an output file cannot be written: no path, a file of
 * the store's folder, a missing or read-only folder, a path that is a folder, or a folder that
 * takes no new files (`/proc`).
 */
export function checkWritable(flag: string, file: string, store?: StoreLocation): void {
  const problem = placeProblem({ flag, file }, store);
  if (problem !== undefined) throw new InvalidInputError([problem]);
  const reason = folderReason(file) ?? openReason(file);
  if (reason !== undefined) throw new InvalidInputError([{ message: `${flag}: cannot write "${file}": ${reason}` }]);
}

/**
 * Fails early (exit 2, nothing written) when the output `file` of `flag` is one of the command's
 * inputs (`rxdag report`'s events log or DAG file), by real path, through symlinks, or by inode.
 */
export function checkNotAnInput(flag: string, file: string, inputs: readonly { readonly what: string; readonly file: string }[]): void {
  const clash = inputs.find((input) => sameFile(file, input.file));
  if (clash === undefined) return;
  const which = clash.file === file ? 'itself' : `"${clash.file}"${how(file, clash.file)}`;
  throw new InvalidInputError([
    { message: `${flag} "${file}" is ${clash.what} ${which}: writing it would overwrite it; give another path` },
  ]);
}

/**
 * Every problem with the outputs of `rxdag run` and `rxdag resume`, all at once, one per output:
 * an empty path, an output in the store's folder, an output that is the DAG file itself or the
 * same file as another output (compared by real path, through symlinks, and by inode), else an
 * output that cannot be opened for writing. The events log, opened as soon as the run starts, is
 * named by the system's error (`ENOENT (…)`); the report, written only at the end, gets the
 * folder checks of {@link checkWritable} first. An output with a problem already is not opened:
 * one in the store's folder would create a file among the journals.
 */
export function outputProblems({ dagFile, events, report, store }: RunOutputs): Problem[] {
  const outputs: OutputTarget[] = [];
  if (events !== undefined) outputs.push({ flag: '--events', file: events });
  if (report !== undefined) outputs.push({ flag: '--report', file: report });
  const placed = outputs.map((output) => placeProblem(output, store));
  const wellPlaced = outputs.filter((_, i) => placed[i] === undefined);
  const clashes = sameFileProblems(dagFile, wellPlaced);
  const unwritable = wellPlaced.flatMap(({ flag, file }, i) => {
    if (clashes[i] !== undefined) return [];
    const reason = flag === '--events' ? openReason(file) : (folderReason(file) ?? openReason(file));
    return reason === undefined ? [] : [{ message: `${flag}: cannot write "${file}": ${reason}` }];
  });
  return [...[...placed, ...clashes].filter((problem) => problem !== undefined), ...unwritable];
}

/**
 * Where an output must not be: nowhere (an empty path), `-` (not standard output here), a path not meant as written
 * (`pathSlips.ts`), or in the store's folder, where writing would replace a run's journal or
 * lock (also through a symlink, or a hard link to one of its files). A database store has no
 * folder to protect.
 */
function placeProblem(output: OutputTarget, store: StoreLocation | undefined): Problem | undefined {
  return storePlaceProblem(output, store) ?? journalProblem(output);
}

/**
 * An existing output that is a run's journal, of another store than the command's (read from its
 * first bytes, as a listing reads a header): writing it would lose that run.
 */
function journalProblem({ flag, file }: OutputTarget): Problem | undefined {
  const start = fileStart(file, HEAD_BYTES);
  const runId = start === undefined ? undefined : headerRunIdOf(start.toString('utf8'));
  if (runId === undefined) return undefined;
  return {
    message: `${flag} "${file}" is the journal of run ${JSON.stringify(runId)}: writing it would overwrite the run's record; give another path`,
  };
}

/** The place problems of an output, but that it is a journal (see {@link placeProblem}). */
function storePlaceProblem({ flag, file }: OutputTarget, store: StoreLocation | undefined): Problem | undefined {
  if (file === '') return { message: `${flag} needs a file path` };
  // `-` is not standard output here: a file of that name would be made
  if (file === '-') {
    const instead =
      flag === '--events'
        ? 'for the events on standard output use --json'
        : "standard output has the command's own lines: write the report to a file (rxdag report EVENTS.jsonl -o - writes one to standard output)";
    return { message: `${flag} - would write a file named "-": ${instead}` };
  }
  const slip = pathSlip(flag, file);
  if (slip !== undefined) return { message: slip };
  if (store?.kind !== 'folder') return undefined;
  const folder = realTarget(store.dir);
  const target = realTarget(file);
  const refuse = (what: string) => ({
    message: `${flag} "${file}" is ${what}, where runs are journaled: writing it could overwrite a run's journal; give a path outside it`,
  });
  if (target === folder || target.startsWith(`${folder}${path.sep}`)) {
    const written = path.resolve(file);
    const direct = written === store.dir || written.startsWith(`${store.dir}${path.sep}`);
    return refuse(`in the store ${store.label}${direct ? '' : ' (through a symlink)'}`);
  }
  const stats = statOf(file);
  if (stats === undefined || stats.nlink < 2) return undefined;
  const linked = filesOf(store.dir).find((name) => {
    const other = statOf(path.join(store.dir, name));
    return other !== undefined && other.dev === stats.dev && other.ino === stats.ino;
  });
  return linked === undefined ? undefined : refuse(`a hard link to "${linked}" of the store ${store.label}`);
}

/** The names in `folder`, none when it cannot be read (then nothing in it is at risk either). */
function filesOf(folder: string): string[] {
  try {
    return readdirSync(folder);
  } catch {
    return [];
  }
}

/**
 * Outputs that would overwrite the DAG file (when there is one: `resume` has none), or an
 * earlier output: the problem of each output, at its index (`undefined` for none).
 */
function sameFileProblems(dagFile: string | undefined, outputs: readonly OutputTarget[]): (Problem | undefined)[] {
  return outputs.map((output, i) => {
    if (dagFile !== undefined && sameFile(output.file, dagFile)) {
      const which = output.file === dagFile ? 'itself' : `"${dagFile}"${how(output.file, dagFile)}`;
      return { message: `${output.flag} "${output.file}" is the DAG file ${which}: writing it would overwrite the DAG; give another path` };
    }
    const earlier = outputs
      .slice(0, i)
      .find((other) => sameFile(other.file, output.file) && (dagFile === undefined || !sameFile(other.file, dagFile)));
    if (earlier === undefined) return undefined;
    const which = earlier.file === output.file ? 'the same file' : `the same file${how(output.file, earlier.file)}`;
    return { message: `${earlier.flag} "${earlier.file}" and ${output.flag} "${output.file}" are ${which}: give each its own path` };
  });
}

/**
 * The mode a new output file is made with (the umask applies): what tasks wrote is in the events
 * log and the report, so, as in the journal, the user's group may read them and others may not.
 */
export const OUTPUT_MODE = 0o660;

/**
 * Opens an output file for writing (`w` truncates, `a` appends); a FIFO only while a process reads
 * it: opening one that none reads would wait for a reader with the whole process, deaf to Ctrl-C
 * and SIGTERM. Throws the error of the open (ENXIO for a FIFO without a reader).
 */
export function openOutput(file: string, flags: 'w' | 'a'): number {
  if (statOf(file)?.isFIFO() !== true) return openSync(file, flags, OUTPUT_MODE);
  const held = heldWriteEnd(file);
  heldFifos.delete(path.resolve(file));
  try {
    return openSync(file, flags);
  } finally {
    closeSync(held); // once the real one is open: the last writer closing ends the reader's input
  }
}

/**
 * Write ends of the FIFOs checked, held open from their check to their output's open: closing
 * the check's would end the reader's input, and a check that did not open would find no missing reader.
 */
const heldFifos = new Map<string, number>();

/** The FIFO's write end held for its output, opened without waiting: ENXIO when no process reads it. */
function heldWriteEnd(file: string): number {
  const key = path.resolve(file);
  let fd = heldFifos.get(key);
  if (fd !== undefined) return fd;
  try {
    fd = openSync(file, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENXIO') throw error;
    throw Object.assign(new Error('ENXIO: a FIFO no process reads: start its reader first'), { code: 'ENXIO' });
  }
  heldFifos.set(key, fd);
  return fd;
}

/**
 * A failed write in a few words, its code first: `ENOSPC (no space left on device)`. Node's
 * own message adds the call and the path, which the caller already names.
 */
export function describeIoError(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  if (typeof code !== 'string') return error instanceof Error ? error.message : String(error);
  if (code === 'EPIPE') return 'EPIPE (its reader went away)'; // Node's words say only `write EPIPE`
  const what = String(message)
    .replace(new RegExp(`^${code}: `), '')
    .replace(/, \w+(?: '.*')?$/s, '');
  return `${code} (${what})`;
}

/** The folder checks: a missing or read-only folder, or a path that is a folder. */
function folderReason(file: string): string | undefined {
  const folder = path.dirname(path.resolve(file));
  try {
    if (!statSync(folder).isDirectory()) return `"${folder}" is not a directory`;
    accessSync(folder, constants.W_OK);
    if (statOf(file)?.isDirectory() === true) return 'it is a directory';
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return `folder "${folder}" does not exist`;
    // a file there that can be written is written in place (`wholeFile.ts`): one mounted on its own, say
    if ((code === 'EACCES' || code === 'EROFS') && writableFile(file)) return undefined;
    if (code === 'EACCES') return `folder "${folder}" is not writable`;
    return describeIoError(error);
  }
}

/** Whether `file` is a regular file this process may write. */
function writableFile(file: string): boolean {
  try {
    accessSync(file, constants.W_OK);
    return statOf(file)?.isFile() === true;
  } catch {
    return false;
  }
}

/**
 * Opens `file` for appending (creating it if needed, truncating nothing), closes it, and
 * removes it again if it did not exist: undefined when that worked, else why not. A FIFO must
 * have a reader (ENXIO), whose input is kept open until the output is (see {@link openOutput}).
 */
function openReason(file: string): string | undefined {
  const before = statOf(file);
  if (before?.isFIFO() === true) {
    try {
      accessSync(file, constants.W_OK);
      heldWriteEnd(file);
      return undefined;
    } catch (error) {
      return describeIoError(error);
    }
  }
  let fd: number;
  try {
    fd = openSync(file, 'a', OUTPUT_MODE);
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    if (code === 'ENOENT') {
      const folder = path.dirname(path.resolve(file));
      const exists = statOf(folder)?.isDirectory() === true;
      return `ENOENT (${exists ? `folder "${folder}" does not take new files` : `folder "${folder}" does not exist`})`;
    }
    if (code === 'EISDIR') return 'EISDIR (it is a directory)';
    return describeIoError(error);
  }
  closeSync(fd);
  if (before === undefined) {
    try {
      unlinkSync(realpathSync(file)); // through a dangling symlink, the file it created
    } catch {
      // gone already, or cannot be removed: the run writes it anyway
    }
  }
  return undefined;
}

/** Whether two paths name the same file: same real path (symlinks followed), or same inode. */
function sameFile(a: string, b: string): boolean {
  if (realTarget(a) === realTarget(b)) return true;
  const [statA, statB] = [statOf(a), statOf(b)];
  return statA !== undefined && statB !== undefined && statA.dev === statB.dev && statA.ino === statB.ino;
}

/** Why two differently written paths are one file: ` (through a symlink)`, ` (a hard link)`, or nothing. */
function how(a: string, b: string): string {
  const [realA, realB] = [realTarget(a), realTarget(b)];
  if (realA !== realB) return ' (a hard link to it)';
  return realA !== path.resolve(a) || realB !== path.resolve(b) ? ' (through a symlink)' : '';
}

/**
 * The absolute path `file` leads to once every symlink is followed, also when it does not
 * exist yet: a dangling symlink leads where it points, a new file into its folder's real path.
 */
function realTarget(file: string, depth = 0): string {
  const absolute = path.resolve(file);
  try {
    return realpathSync(absolute);
  } catch {
    // does not exist (yet)
  }
  if (depth < 40) {
    try {
      if (lstatSync(absolute).isSymbolicLink()) return realTarget(path.resolve(path.dirname(absolute), readlinkSync(absolute)), depth + 1);
    } catch {
      // not there at all
    }
  }
  const folder = path.dirname(absolute);
  return folder === absolute ? absolute : path.join(realTarget(folder, depth + 1), path.basename(absolute));
}

/** The file's stats (its target's, for a link), or undefined when it cannot be read. */
export function statOf(file: string): Stats | undefined {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}
