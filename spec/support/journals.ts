import { fileJournal, type Journal, type JournalWriter } from '../../src';

/**
 * `inner` with each writer it makes (for a new run or a resumed one) passed through `wrap`: a
 * journal whose appends a spec watches, holds back or fails. Reading goes to `inner` as it is.
 */
export function withWrappedWriters(inner: Journal, wrap: (writer: JournalWriter) => JournalWriter): Journal {
  return {
    location: inner.location,
    create: async (header) => wrap(await inner.create(header)),
    resume: async (runId) => {
      const taken = await inner.resume(runId);
      return { ...taken, writer: wrap(taken.writer) };
    },
    runs: () => inner.runs(),
    events: (runId) => inner.events(runId),
    header: (runId) => inner.header(runId),
  };
}

/** `fileJournal(dir)` whose appends throw once `failing()` says so, as a disk that went away. */
export function failingJournal(dir: string, failing: () => boolean): Journal {
  return withWrappedWriters(fileJournal(dir), (writer) => ({
    ...writer,
    append: (events, durable) => {
      if (failing()) throw new Error('EIO: the disk went away');
      return writer.append(events, durable);
    },
    close: () => writer.close(),
  }));
}
