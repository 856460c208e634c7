import type { Dag } from '../dag/defineDag';
import type { DagSpec } from '../dag/schema';
import { dagSpecOf, TaskSpecs } from '../dag/specOf';
import type { JournalHeader } from './journal';
import { hasKeys, jsonString } from './jsonText';

/**
 * The JSON text of a run's header, exactly `JSON.stringify(header)`, handed out in pieces: the
 * spec's task list is written a slice of tasks at a time. A header made by {@link headerOfDag}
 * is written from its DAG's index, a plain task's text put together by hand; any other task
 * goes through `JSON.stringify`, and a header whose keys are not those `journalHeader` gives, in
 * its order, goes out in one piece. It writes nothing itself: its caller does.
 * Why: a big DAG's header is one long line (~60 bytes a task); as one string and one buffer it
 * took twice its size at once (~12 MB at 100k tasks, ~120 MB at 1M) and cost the run more GC;
 * and the spec's objects, built only to be written, cost the run as much as the writing.
 */

/** Tasks per piece: a few tens of KB of text, which the young generation collects cheaply. */
export const TASKS_PER_PIECE = 1024;

/** The spec last: a listing reads the fields before it without parsing it (`headerHead.ts`). */
const HEADER_KEYS = ['runId', 'dagId', 'options', 'createdAt', 'spec'];
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
  const dag = dagOfHeader.get(header);
  if (dag !== undefined) {
    // made by `headerOfDag`: its keys are known, its tasks are read from the DAG
    const ends = endsOf(header, dag.id, dag.defaults);
    if (ends !== undefined) {
      write(ends.start);
      writeItems(dag.size, taskTextOf(dag), write, tasksPerPiece);
      write(ends.end);
      return;
    }
  }
  const spec = header.spec;
  const ends =
    hasKeys(header, HEADER_KEYS) && typeof spec === 'object' && spec !== null && hasKeys(spec, SPEC_KEYS, 2)
      ? endsOf(header, spec.id, spec.defaults)
      : undefined;
  if (ends === undefined || !Array.isArray(spec.tasks)) {
    write(JSON.stringify(header));
    return;
  }
  const tasks = spec.tasks;
  write(ends.start);
  // `null` where JSON.stringify writes an array item without JSON text (undefined, a function)
  writeItems(tasks.length, (i) => (JSON.stringify(tasks[i]) as string | undefined) ?? 'null', write, tasksPerPiece);
  write(ends.end);
}

/** Writes the items `textOf(0 .. count - 1)` of a JSON array, comma-separated, `perPiece` items a piece. */
function writeItems(count: number, textOf: (i: number) => string, write: (piece: string) => void, perPiece: number): void {
  let piece = '';
  for (let i = 0; i < count; i++) {
    if (i > 0 && i % perPiece === 0) {
      write(piece);
      piece = ',';
    } else if (i > 0) piece += ',';
    piece += textOf(i);
  }
  if (piece !== '') write(piece);
}

/**
 * The text before the first task (`{"runId":…,"createdAt":…,"spec":{"id":…,"tasks":[`) and after the last,
 * `undefined` when a key `JSON.stringify` would leave out (a value without JSON text) would
 * make them wrong.
 */
function endsOf(
  header: JournalHeader,
  specId: string,
  specDefaults: DagSpec['defaults'],
): { readonly start: string; readonly end: string } | undefined {
  const runId = JSON.stringify(header.runId) as string | undefined;
  const dagId = JSON.stringify(header.dagId) as string | undefined;
  const id = JSON.stringify(specId) as string | undefined;
  const options = JSON.stringify(header.options) as string | undefined;
  const createdAt = JSON.stringify(header.createdAt) as string | undefined;
  if (runId === undefined || dagId === undefined || id === undefined || options === undefined || createdAt === undefined) return undefined;
  const defaults = JSON.stringify(specDefaults) as string | undefined;
  return {
    start: `{"runId":${runId},"dagId":${dagId},"options":${options},"createdAt":${createdAt},"spec":{"id":${id},"tasks":[`,
    end: `]${defaults === undefined ? '' : `,"defaults":${defaults}`}}}`,
  };
}

/** The DAG each header made by {@link headerOfDag} reads its spec from. */
const dagOfHeader = new WeakMap<JournalHeader, Dag>();

/**
 * The header of a new run of `dag`: its `spec` is `dagSpecOf(dag)`, built only when read (by a
 * backend that stores the header as an object), as the file journal writes it from the DAG.
 */
export function headerOfDag(fields: Omit<JournalHeader, 'spec'>, dag: Dag): JournalHeader {
  let spec: DagSpec | undefined;
  const header: JournalHeader = {
    runId: fields.runId,
    dagId: fields.dagId,
    options: fields.options,
    createdAt: fields.createdAt,
    get spec() {
      spec ??= dagSpecOf(dag);
      return spec;
    },
  };
  dagOfHeader.set(header, dag);
  return header;
}

/** The JSON text of each task of `dagSpecOf(dag).tasks`: a plain one's put together by hand. */
function taskTextOf(dag: Dag): (i: number) => string {
  const specs = new TaskSpecs(dag);
  const { ids, deps } = dag.index;
  return (i) => {
    if (!specs.isPlain(i)) return JSON.stringify(specs.specOf(i));
    // `{"id":…,"deps":[…],"agent":…}`, the keys as `dagSpecOf` orders them, each only when written
    let text = `{"id":${jsonString(ids[i]!)}`;
    const first = deps.start[i]!;
    const end = deps.start[i + 1]!;
    if (end > first) {
      text += `,"deps":[${jsonString(ids[deps.targets[first]!]!)}`;
      for (let k = first + 1; k < end; k++) text += `,${jsonString(ids[deps.targets[k]!]!)}`;
      text += ']';
    }
    const agent = specs.agentOf(i);
    return agent === undefined ? `${text}}` : `${text},"agent":${jsonString(agent)}}`;
  };
}
