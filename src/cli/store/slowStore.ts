/**
 * What `rxdag run` and `rxdag resume` say while their store is slow to take a run's events: a
 * store that stops answering (a PostgreSQL table locked, a server hanging) holds the run, whose
 * next tasks start only once the events that release them are stored, and the person watching
 * would otherwise see nothing move for up to the backend's own time limit. One line once a group
 * of events has waited {@link SLOW_AFTER_MS}, one more when the store answers again. It wraps the
 * journal's writers and changes nothing they do: the backend decides when to give up.
 */
import type { Journal, JournalWriter } from '../../index';
import { withWrappedWriters } from '../../journal/wrappedWriters';

/**
 * How long a group of events may wait for the store before it is said: past the 10 s a Ctrl-C
 * waits for its cancellation to be stored (which says so itself), within PostgreSQL's 30 s.
 */
export const SLOW_AFTER_MS = 20_000;

/**
 * `journal`, whose writers say through `say` (with the store's `label`) when a group of events
 * waits for the store longer than `slowAfterMs`, and when it is stored after that.
 *
 * @example
 * const journal = slowStoreNotices(store.journal, store.location.label, (line) => process.stderr.write(`${line}\n`));
 */
export function slowStoreNotices(journal: Journal, label: string, say: (line: string) => void, slowAfterMs = SLOW_AFTER_MS): Journal {
  const watched = (writer: JournalWriter): JournalWriter => {
    let waiting = 0; // groups out now
    let since = 0; // when the oldest of them went out
    let said = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        said = true;
        say(
          `rxdag: the journal ${label} has not stored the run's latest events for ${Math.round((Date.now() - since) / 1000)} s: ` +
            'the tasks they release wait for it (a store that does not answer within its time limit stops the run)',
        );
      }, slowAfterMs);
      timer.unref();
    };
    // `stored`: the group was stored; a failed one is said by the run's end, not as the store back
    const settled = (stored: boolean) => {
      if (--waiting > 0 && stored) return;
      clearTimeout(timer);
      if (said && stored) say(`rxdag: the journal ${label} stored the run's events again`);
      said = false;
    };
    return {
      append: (events, durable) => {
        const stored = writer.append(events, durable);
        if (stored === undefined) return stored; // stored already: a synchronous backend
        if (waiting++ === 0) {
          since = Date.now();
          arm();
        }
        void stored.then(
          () => settled(true),
          () => settled(false),
        );
        return stored;
      },
      close: () => {
        clearTimeout(timer);
        return writer.close();
      },
      ...(writer.onLost === undefined ? {} : { onLost: (listener: (error: Error) => void) => writer.onLost!(listener) }),
    };
  };
  return withWrappedWriters(journal, watched);
}
