/**
 * The head of a run's header: who the run is, which DAG it ran and when it was created, read
 * from the first bytes of a header line that puts its DAG spec last (as `headerText.ts` writes
 * it), without parsing the spec. For the file journal's listing: a 100k-task DAG's spec is ~9 MB
 * of its header line, and a listing parsed it for every such run of the store (~0.1 s each, at
 * every `rxdag run` and `rxdag runs`). It does not check the spec, nor read a file itself; a
 * line written otherwise (an older journal, or options longer than the bytes given) gives
 * `undefined`, and the caller parses the whole header.
 */
import type { JournalHeader } from './journal';

/** What a listing needs of a header. */
export type HeaderHead = Pick<JournalHeader, 'runId' | 'dagId' | 'createdAt'>;

/** Bytes of a header line enough for its head: the ids and options of nearly every run. */
export const HEAD_BYTES = 64 * 1024;

const SPEC_KEY = ',"spec":';

/**
 * The head of the header whose line starts with `start`, or `undefined`. Each `,"spec":` is
 * tried in turn: inside a JSON string its quotes would be escaped, so it is either the header's
 * own key (the text before it is the header without its spec) or one of an object inside the
 * options, before which the text does not close as one object.
 *
 * @example
 * headerHeadOf('{"runId":"r","dagId":"d","options":{},"createdAt":5,"spec":{"id":"d","tasks":[') // { runId: 'r', dagId: 'd', createdAt: 5 }
 */
export function headerHeadOf(start: string): HeaderHead | undefined {
  if (!start.startsWith('{"runId":')) return undefined;
  for (let at = start.indexOf(SPEC_KEY); at >= 0; at = start.indexOf(SPEC_KEY, at + 1)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(`${start.slice(0, at)}}`);
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
