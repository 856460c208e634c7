import * as fs from 'node:fs';
import { setImmediate as turn } from 'node:timers/promises';
import * as path from 'node:path';
import { eventLineEncoder } from './eventLine';
import { clearEndedRunLock, type ListedRun, listedRun } from './fileListing';
import { fileNameOf, placeInFile } from './fileNames';
import { type JournalRecord, readHeader, readRecord } from './fileRecord';
import { headerText } from './headerText';
import {
  type Journal,
  JournalCorruptError,
  type JournaledRun,
  type JournalHeader,
  JournalWriteError,
  type JournalWriter,
  RunExistsError,
  RunLockedError,
  RunNotResumableError,
} from './journal';
import { acquireLock, type HeldLock } from './lockFile';
import { refuseIfCut, refuseIfLost } from './writerChecks';
import { removeRun } from './removeRun';
import { asideFileOf, removeStaleAsides } from './staleAside';
import { removeDeadLockFiles } from './lockLeftovers';
import { TextBytes } from './textBytes';
import { makePrivateFolder, syncFolder } from './privateFolder';
import { isMissingFile, journalFileExists, readingFile } from './unreadableFile';
import { linkIntoPlace } from './hardLink';
import { replacedWhileRead, storeFolder, storeWayOf, untrustedJournal } from './journalOwner';

/**
 * The file journal, rxdag's embedded default: a folder with one JSON-lines file per run (the
 * header on the first line, then one event per line) and a lock file per run owned now. Each
 * group is one `write`; a durable one is then synced with one `fdatasync` (`sync: 'fsync'`, the
 * default: survives an OS crash) or not (`sync: 'none'`: survives a process crash). It never
 * rewrites a line: the only cut it makes is of a torn last line (a group whose write a crash
 * interrupted, never acknowledged), whose bytes it keeps beside the journal in `<run>.jsonl.torn`.
 * Reading a file and judging it is `fileRecord.ts`'s; ownership is `lockFile.ts`'s; forgetting a
 * run is `removeRun.ts`'s; a file the system will not read is reported as `unreadableFile.ts`
 * says, like a corrupt one. A resume takes up no file that anyone could have written
 * (`journalOwner.ts`); new files are none of other users'. A new run's header is written aside
 * first; the first `create` or `remove` of a journal removes those a killed process left
 * (`staleAside.ts`); a listing removes
 * nothing of them. Other processes may create, end, resume and remove runs while it
 * reads: a run whose file is removed before it is read is one it does not have (not an error),
 * and a listing says of each run what held at some moment while it was listed (see {@link listedRun}).
 */

/**
 * A new journal's (and a torn tail's) mode: none of other users' (it holds what tasks are given,
 * a shell task's `env`); its group's as the user's umask allows (a team's store).
 */
const JOURNAL_MODE = 0o660;

/** Options of {@link fileJournal}. */
export interface FileJournalOptions {
  /** `fsync`: each group is on disk before anything it releases starts; `none`: in the OS's cache. @default 'fsync' */
  readonly sync?: 'fsync' | 'none' | undefined;
}

/** The file journal: a {@link Journal} that can always forget a run (`remove`). */
export interface FileJournal extends Journal {
  remove(runId: string): Promise<void>;
}

/**
 * A journal in the folder `dir` (created on first use).
 *
 * @example
 * const journal = fileJournal('.rxdag');
 * runDag(dag, { agents, journal, runId: 'nightly-42' }).subscribe(log);
 * // after a crash, in any process: resumeRun(journal, 'nightly-42', { agents })
 */
export function fileJournal(dir: string, options: FileJournalOptions = {}): FileJournal {
  const sync = options.sync ?? 'fsync';
  if (sync !== 'fsync' && sync !== 'none')
    throw new TypeError(`rxdag: fileJournal \`sync\` must be 'fsync' or 'none' (got ${String(sync)})`);
  if (typeof dir !== 'string' || dir.length === 0) throw new TypeError('rxdag: fileJournal needs a folder path');
  const root = path.resolve(dir);
  const way = storeWayOf(dir); // a relative store is reached from the working directory of this call
  const files = (runId: string) => {
    const base = path.join(root, fileNameOf(runId));
    return { journal: `${base}.jsonl`, lock: `${base}.lock`, torn: `${base}.jsonl.torn` };
  };
  // what killed processes left (headers written aside, locks without their journal) is swept once
  // per journal object, at its first create, resume or remove: a sweep reads the whole folder,
  // and a file left later is the next one's (a header left beside its journal, a second link to
  // it, would keep a removed journal's data)
  let swept = false;
  const sweepOnce = () => {
    if (swept) return;
    swept = true;
    let names: string[];
    try {
      names = fs.readdirSync(root);
    } catch {
      return; // a folder it cannot read: the next journal object's sweep
    }
    removeStaleAsides(root, names);
    removeDeadLockFiles(root, names);
  };

  /** A new run's record: its header, durable before the writer is handed out. */
  const createRun = (header: JournalHeader): JournalWriter => {
    makePrivateFolder(root, { gitIgnored: true, durable: sync === 'fsync' });
    sweepOnce();
    const { journal, lock } = files(header.runId);
    if (fs.existsSync(journal)) throw new RunExistsError(header.runId);
    let held: HeldLock;
    try {
      held = acquireLock(lock, header.runId);
    } catch (error) {
      // a live owner of a run id without a journal yet is creating that run right now
      if (error instanceof RunLockedError) throw new RunExistsError(header.runId);
      throw error;
    }
    // the header is written aside and linked into place, so a journal file is never seen
    // without its whole header, even if the process dies while making it
    const aside = asideFileOf(journal);
    let fd: number | undefined;
    try {
      const asideFd = fs.openSync(aside, 'w', JOURNAL_MODE);
      try {
        const bytes = new TextBytes();
        headerText(header, (piece) => writeAll(asideFd, bytes.of(piece)));
        writeGroup(asideFd, bytes.of('\n'), sync);
      } finally {
        fs.closeSync(asideFd);
      }
      try {
        linkIntoPlace(aside, journal);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new RunExistsError(header.runId);
        throw error;
      }
      if (sync === 'fsync') syncFolder(root);
      fd = fs.openSync(journal, 'a');
    } catch (error) {
      held.release();
      throw error;
    } finally {
      fs.rmSync(aside, { force: true });
    }
    return fileWriter(fd, journal, held, sync);
  };

  return {
    location: root,
    create(header) {
      try {
        return createRun(header);
      } catch (error) {
        // what the file system refused (a file where the folder should be, no permission, a full disk)
        if (typeof (error as NodeJS.ErrnoException).code === 'string') throw new JournalWriteError(header.runId, root, error, true);
        throw error;
      }
    },
    resume(runId) {
      const { journal, lock, torn } = files(runId);
      if (!journalFileExists(journal, runId)) throw new RunNotResumableError(runId, 'unknown', undefined, root);
      sweepOnce(); // before the lock is this process's: its run's own header left aside is swept too
      const held = acquireLock(lock, runId);
      let fd: number | undefined;
      try {
        const untrusted = (because: string) => new RunNotResumableError(runId, 'untrusted', undefined, root, because);
        const folder = storeFolder(root, way);
        // judged on the file read, in the folder judged, and the file appended to must be that one
        const judged = path.join(folder.real, path.basename(journal));
        let read: fs.Stats | undefined;
        const record = readingFile(journal, runId, () =>
          readRecord(judged, runId, true, (readFd) => {
            read = fs.fstatSync(readFd);
            const because = untrustedJournal(read, journal, folder);
            if (because !== undefined) throw untrusted(because);
          }),
        );
        const last = record.events[record.events.length - 1];
        if (last?.type === 'dag.completed') throw new RunNotResumableError(runId, 'ended', last.outcome, root);
        fd = fs.openSync(judged, 'a');
        const opened = fs.fstatSync(fd);
        if (opened.ino !== read!.ino || opened.dev !== read!.dev) throw untrusted(replacedWhileRead(journal));
        // cut once the resume appends: a resume its replay refuses leaves the file as it was
        const cutTorn = record.tornBytes > 0 ? () => keepTornTail(journal, record.completeBytes, record.tornBytes, torn) : undefined;
        const taken: JournaledRun = {
          header: record.header,
          events: record.events,
          writer: fileWriter(fd, journal, held, sync, cutTorn),
          placeOf: (seq) => placeInFile(journal, seq),
        };
        return taken;
      } catch (error) {
        if (fd !== undefined) fs.closeSync(fd);
        held.release();
        // removed by another process between the check above and the lock
        if (isMissingFile(error)) throw new RunNotResumableError(runId, 'unknown', undefined, root);
        throw error;
      }
    },
    async runs(options) {
      let names: string[];
      try {
        names = fs.readdirSync(root).filter((name) => name.endsWith('.jsonl'));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
      const listed: ListedRun[] = [];
      let sliceStart = Date.now();
      for (const name of names) {
        // its reads are synchronous: a store of thousands of runs lets the process's other work in between
        if (Date.now() - sliceStart > LISTING_SLICE_MS) {
          await turn(); // node:timers/promises: a test's faked `setImmediate` would hold it
          sliceStart = Date.now();
        }
        const lock = path.join(root, `${name.slice(0, -'.jsonl'.length)}.lock`);
        let run: ListedRun | undefined;
        try {
          run = listedRun(path.join(root, name), lock, undefined, options ?? {});
        } catch (error) {
          // a file the system will not read (another user's, a folder) is left out like a corrupt one
          if (!(error instanceof JournalCorruptError) || options?.onUnreadable === undefined) throw error;
          options.onUnreadable(error);
          continue;
        }
        if (run === undefined) continue; // removed since the folder was read, or not asked for
        if (run.summary.endedAt !== undefined) clearEndedRunLock(lock, run.summary.runId);
        if (options?.dagId !== undefined && run.summary.dagId !== options.dagId) continue;
        listed.push(run);
      }
      return listed.sort((a, b) => b.createdAt - a.createdAt).map((entry) => entry.summary);
    },
    async events(runId) {
      return readExisting(files(runId).journal, runId, root).events;
    },
    async header(runId) {
      // the header alone: its events are read by `events` (a big run's file is tens of MB)
      const { journal } = files(runId);
      return readExisting(journal, runId, root, () => readHeader(journal, runId));
    },
    remove: async (runId) => {
      sweepOnce();
      removeRun(files(runId), runId, root);
    },
  };
}

/** How long a listing reads files before it lets the event loop turn. */
const LISTING_SLICE_MS = 10;

/** The most text of a group written at once: far below the longest string V8 makes (~512 MiB). */
const MAX_PIECE_CHARS = 64 * 1024 * 1024;

/** The writer of a run's journal file open at `fd`; `beforeFirst` runs once, before its first append. */
function fileWriter(fd: number, journal: string, held: HeldLock, sync: 'fsync' | 'none', beforeFirst?: () => void): JournalWriter {
  let open = true;
  let before = beforeFirst;
  const file = { path: journal, made: fs.fstatSync(fd) };
  // the bytes the file holds: this writer is the only one that writes it (`refuseIfCut`)
  let size = file.made.size;
  // a group was written without fsync since the last one
  let unsynced = false;
  const line = eventLineEncoder();
  const bytes = new TextBytes();
  // what is about to be written, once the run is known to own its record still: checked after
  // the encoding (a big group's takes a while, during which another process may take the run over)
  const stillOwned = (encoded: Buffer): Buffer => {
    refuseIfLost(held, file);
    refuseIfCut(fd, size);
    size += encoded.length;
    return encoded;
  };
  return {
    append(events, durable = true) {
      if (!open) throw new Error('rxdag: append to a closed journal writer');
      if (before !== undefined) {
        refuseIfLost(held, file);
        refuseIfCut(fd, size);
        before();
        before = undefined;
        size = fs.fstatSync(fd).size; // less a torn last line set aside
      }
      const syncs = durable && sync === 'fsync';
      if (events.length === 0) {
        refuseIfLost(held, file);
        refuseIfCut(fd, size);
        // an empty durable group makes the groups written before it durable
        if (syncs && unsynced) fs.fdatasyncSync(fd);
        unsynced = unsynced && !syncs;
        return;
      }
      let text = '';
      for (let i = 0; i < events.length; i++) {
        const next = `${line(events[i]!)}\n`;
        // a group of more text than one string holds (~512 MiB) is written a piece at a time, the last one synced
        if (text.length + next.length > MAX_PIECE_CHARS && text !== '') {
          writeAll(fd, stillOwned(bytes.of(text)));
          text = '';
        }
        text += next;
      }
      writeGroup(fd, stillOwned(bytes.of(text)), syncs ? 'fsync' : 'none');
      unsynced = !syncs;
    },
    close() {
      if (!open) return;
      open = false;
      try {
        if (sync === 'fsync' && unsynced) fs.fdatasyncSync(fd); // a durable group synced everything before it
      } finally {
        try {
          fs.closeSync(fd);
        } finally {
          held.release();
        }
      }
    },
  };
}

/** One write of the whole group, then (with `fsync`) one `fdatasync`. */
function writeGroup(fd: number, bytes: Buffer, sync: 'fsync' | 'none'): void {
  writeAll(fd, bytes);
  if (sync === 'fsync') fs.fdatasyncSync(fd);
}

/** Writes all of `bytes`: one `write` unless the system takes fewer bytes than given. */
function writeAll(fd: number, bytes: Buffer): void {
  let written = 0;
  while (written < bytes.length) written += fs.writeSync(fd, bytes, written, bytes.length - written);
}

/**
 * Moves the torn tail of the journal file `journal` (never acknowledged) to `tornPath`, then cuts
 * it off: the cut is made once the tail is on disk in `tornPath` (synced, and its name with its folder).
 */
function keepTornTail(journal: string, completeBytes: number, tornBytes: number, tornPath: string): void {
  const fd = fs.openSync(journal, 'r+');
  try {
    const tail = Buffer.alloc(tornBytes);
    fs.readSync(fd, tail, 0, tornBytes, completeBytes);
    const keptBefore = fs.statSync(tornPath, { throwIfNoEntry: false })?.size; // earlier torn tails stay
    try {
      const kept = fs.openSync(tornPath, 'a', JOURNAL_MODE);
      try {
        writeAll(
          kept,
          Buffer.concat([
            Buffer.from(`# torn tail at byte ${completeBytes}, cut on resume ${new Date().toISOString()}\n`),
            tail,
            Buffer.from('\n'),
          ]),
        );
        fs.fdatasyncSync(kept);
      } finally {
        fs.closeSync(kept);
      }
      if (keptBefore === undefined) syncFolder(path.dirname(tornPath));
    } catch (error) {
      // a full disk: what it began to write goes (as far as it can), so the tail is where it was and nowhere else
      try {
        if (keptBefore === undefined) fs.rmSync(tornPath, { force: true });
        else fs.truncateSync(tornPath, keptBefore);
      } catch {}
      throw error;
    }
    fs.ftruncateSync(fd, completeBytes);
    fs.fdatasyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function readExisting<T = JournalRecord>(
  file: string,
  runId: string,
  root: string,
  read: () => T = () => readRecord(file, runId, true) as T,
): T {
  const unknown = () => new RunNotResumableError(runId, 'unknown', undefined, root);
  if (!journalFileExists(file, runId)) throw unknown();
  try {
    return readingFile(file, runId, read);
  } catch (error) {
    // removed by another process between the check and the read
    if (isMissingFile(error)) throw unknown();
    throw error;
  }
}
