import type { JournalHeader } from './journal';
import { hasKeys } from './jsonText';

/**
 * The JSON text of a run's header, exactly `JSON.stringify(header)`, handed out in pieces: the
 * spec's task list is written a slice of tasks at a time, each slice through `JSON.stringify`.
 * A header whose keys are not those `journalHeader` gives, in its order, goes out in one piece.
 * It writes nothing itself: its caller does, piece by piece.
 * Why: a big DAG's header is one long line (~60 bytes a task); as one string and one buffer it
 * took twice its size at once (~12 MB at 100k tasks, ~120 MB at 1M) and cost the run more GC.
 */

/** Tasks per piece: a few tens of KB of text, which the young generation collects cheaply. */
export const TASKS_PER_PIECE = 1024;

const HEADER_KEYS = ['runId', 'dagId', 'spec', 'options', 'createdAt'];
/** `defaults` is optional. */
const SPEC_KEYS = ['id', 'tasks', 'defaults'];

/**
 * Calls `write` with each piece of the header's JSON text, in order (no newline).
 *
 * @example
 * let text = '';
 * headerText(header, (piece) => (text += piece));
 * text === JSON.stringify(header) // true
 */
export function headerText(header: JournalHeader, write: (piece: string) => void, tasksPerPiece = TASKS_PER_PIECE): void {
  const spec = header.spec;
  const ends =
    hasKeys(header, HEADER_KEYS) && typeof spec === 'object' && spec !== null && hasKeys(spec, SPEC_KEYS, 2) ? endsOf(header) : undefined;
  if (ends === undefined || !Array.isArray(spec.tasks)) {
    write(JSON.stringify(header));
    return;
  }
  write(ends.start);
  const tasks = spec.tasks;
  for (let first = 0; first < tasks.length; first += tasksPerPiece) {
    const slice = JSON.stringify(tasks.slice(first, first + tasksPerPiece));
    // the slice's items without its brackets, after a comma unless it is the first
    write(first === 0 ? slice.slice(1, -1) : `,${slice.slice(1, -1)}`);
  }
  write(ends.end);
}

/**
 * The text before the first task (`{"runId":…,"spec":{"id":…,"tasks":[`) and after the last,
 * `undefined` when a key `JSON.stringify` would leave out (a value without JSON text) would
 * make them wrong.
 */
function endsOf(header: JournalHeader): { readonly start: string; readonly end: string } | undefined {
  const runId = JSON.stringify(header.runId) as string | undefined;
  const dagId = JSON.stringify(header.dagId) as string | undefined;
  const id = JSON.stringify(header.spec.id) as string | undefined;
  const options = JSON.stringify(header.options) as string | undefined;
  const createdAt = JSON.stringify(header.createdAt) as string | undefined;
  if (runId === undefined || dagId === undefined || id === undefined || options === undefined || createdAt === undefined) return undefined;
  const defaults = JSON.stringify(header.spec.defaults) as string | undefined;
  return {
    start: `{"runId":${runId},"dagId":${dagId},"spec":{"id":${id},"tasks":[`,
    end: `]${defaults === undefined ? '' : `,"defaults":${defaults}`}},"options":${options},"createdAt":${createdAt}}`,
  };
}
