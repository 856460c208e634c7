/**
 * The head of a run's header: who the run is, which DAG it ran and when it was created, read
 * from the first bytes of a header line that puts its DAG spec last (as `headerText.ts` writes
 * it), without parsing the spec. For the file journal's listing: a big DAG's spec is most of its
 * header line, which a listing would otherwise parse for every run of the store, at every
 * `rxdag run` and `rxdag runs`. It does not check the spec, nor read a file itself; a
 * line written otherwise (an older journal, or options longer than the bytes given) gives
 * `undefined`, and the caller parses the whole header. Also whose header a line is at all
 * (`headerRunIdOf`), for a command that must not write over a journal.
 */
import type { JournalHeader } from './journal';

/** What a listing needs of a header. */
export type HeaderHead = Pick<JournalHeader, 'runId' | 'dagId' | 'createdAt'>;

/** Bytes of a header line enough for its head: the ids and options of nearly every run. */
export const HEAD_BYTES = 64 * 1024;

/** Where the spec begins: after the time the header was created, its last field before the spec. */
const SPEC_START = /,"createdAt":-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?=,"spec":)/g;

/**
 * The head of the header whose line starts with `start`, or `undefined`. Each `"createdAt":N`
 * followed by `,"spec":` is tried in turn: inside a JSON string its quotes would be escaped, so
 * it is either the header's own (the text through it is the header without its spec) or one of
 * an object inside the options, through which the text does not close as one object.
 *
 * @example
 * headerHeadOf('{"runId":"r","dagId":"d","options":{},"createdAt":5,"spec":{"id":"d","tasks":[') // { runId: 'r', dagId: 'd', createdAt: 5 }
 */
export function headerHeadOf(start: string): HeaderHead | undefined {
  if (!start.startsWith('{"runId":')) return undefined;
  for (const match of start.matchAll(SPEC_START)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(`${start.slice(0, match.index + match[0].length)}}`);
    } catch {
      continue;
    }
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { runId, dagId, options, createdAt } = parsed as Record<string, unknown>;
    const fits =
      typeof runId === 'string' &&
      typeof dagId === 'string' &&
      typeof options === 'object' &&
      options !== null &&
      typeof createdAt === 'number' &&
      Number.isFinite(createdAt);
    return fits ? { runId, dagId, createdAt } : undefined;
  }
  return undefined;
}

/** A header begins with its run's id (an event with its type): the id as written. */
const HEADER_START = /^\{"runId":("(?:[^"\\]|\\.)*")/;

/**
 * The id of the run whose header line starts with `start`: from its head, or from the id it
 * begins with when the head is longer than `start` (options of thousands of limits); `undefined`
 * for a line that is no header.
 */
export function headerRunIdOf(start: string): string | undefined {
  const head = headerHeadOf(start);
  if (head !== undefined) return head.runId;
  const quoted = HEADER_START.exec(start)?.[1];
  if (quoted === undefined) return undefined;
  try {
    const runId: unknown = JSON.parse(quoted);
    return typeof runId === 'string' ? runId : undefined;
  } catch {
    return undefined;
  }
}
