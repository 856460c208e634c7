/**
 * A journal whose run writers (of the runs it creates and resumes) are wrapped, everything else
 * passed through as it is, synchronous where the journal is (the file journal's refusals stay
 * thrown at once). What a wrapper does is its maker's: halting runs (`haltableJournal.ts`), saying
 * that the store is slow (the CLI's `slowStore.ts`).
 */
import type { Journal, JournaledRun, JournalHeader, JournalWriter } from './journal';

/** `inner`, with each run's writer made by `wrap` from its own. */
export function withWrappedWriters(inner: Journal, wrap: (writer: JournalWriter) => JournalWriter): Journal {
  return {
    location: inner.location,
    create: (header: JournalHeader) => then(inner.create(header), wrap),
    resume: (runId: string) => then(inner.resume(runId), (run: JournaledRun) => ({ ...run, writer: wrap(run.writer) })),
    runs: (options) => inner.runs(options),
    events: (runId) => inner.events(runId),
    header: (runId) => inner.header(runId),
    ...(inner.remove === undefined ? {} : { remove: (runId: string) => inner.remove!(runId) }),
  };
}

/** `f` of a value that may come later, keeping a value that is there now synchronous. */
function then<T, U>(value: T | Promise<T>, f: (value: T) => U): U | Promise<U> {
  return value instanceof Promise ? value.then(f) : f(value);
}
