import type { Dag } from '../dag/defineDag';
import { type ChunkEditor, PersistentChunks } from './persistentChunks';

/**
 * Per-task state of a run, packed: for each task its status, its attempt and how many of its
 * dependencies are still unfinished in one small-integer word, 32 tasks a chunk, in a persistent
 * trie. An update copies one 256-byte chunk and a few 32-way nodes, whatever the DAG's size.
 *
 * A word is `status | attempt << 4 | remaining << 14`: 4 bits of status, 10 of attempt (at most
 * `MAX_ATTEMPTS`, 1000), 16 of remaining dependencies; it stays below 2^30, a small integer on
 * every V8 build. A task with {@link MANY} or more unfinished dependencies (a join of 65,535
 * tasks or more) keeps its exact count after the chunk's 32 words, as an (offset, count) pair.
 * Storage only: which transitions are legal is the run draft's business.
 */

/** Where a task is in its life. The last four are terminal. */
export type TaskStatus = 'pending' | 'ready' | 'running' | 'backoff' | 'completed' | 'failed' | 'skipped' | 'cancelled';

/**
 * Status codes as stored; the order matches {@link TASK_STATUSES}. Every code from `Completed` on
 * is terminal. Two codes are `skipped`, told apart for the trigger rules of dependents: a task
 * skipped because a failure made its rule impossible carries that failure on (`any-failed` sees
 * it, `none-failed` is broken by it), one skipped by its own rule while nothing failed does not.
 */
export const enum StatusCode {
  Pending = 0,
  Ready = 1,
  Running = 2,
  Backoff = 3,
  Completed = 4,
  Failed = 5,
  Skipped = 6,
  Cancelled = 7,
  SkippedAfterFailure = 8,
}

/** Every status, indexed by its code. */
export const TASK_STATUSES: readonly TaskStatus[] = Object.freeze([
  'pending',
  'ready',
  'running',
  'backoff',
  'completed',
  'failed',
  'skipped',
  'cancelled',
  'skipped',
]);

const TASK_BITS = 5;
const TASKS_PER_CHUNK = 1 << TASK_BITS;
const TASK_MASK = TASKS_PER_CHUNK - 1;
const STATUS_BITS = 4;
const STATUS_MASK = (1 << STATUS_BITS) - 1;
const ATTEMPT_BITS = 10;
const MAX_ATTEMPT = (1 << ATTEMPT_BITS) - 1;
const REMAINING_SHIFT = STATUS_BITS + ATTEMPT_BITS;
/** Status and attempt: the low bits of a word. */
const STATE_MASK = (1 << REMAINING_SHIFT) - 1;
/** The largest count a word holds; from it on, the count is kept after the chunk's words. */
const MANY = (1 << 16) - 1;
const ONE_REMAINING = 1 << REMAINING_SHIFT;

/**
 * Chunks are plain arrays of small integers, not typed arrays: V8 copies a packed SMI array with
 * `slice()` several times faster than it allocates a typed array, and copying is the hot path.
 */
export type TaskTable = PersistentChunks<number[]>;
export type OutputTable = PersistentChunks<unknown[]>;

const initialTables = new WeakMap<Dag, TaskTable>();
const initialOutputs = new WeakMap<Dag, OutputTable>();

/** Every task pending with all its dependencies outstanding, attempt 0. Shared by all runs of `dag`. */
export function initialTaskTable(dag: Dag): TaskTable {
  let table = initialTables.get(dag);
  if (table === undefined) {
    const n = dag.size;
    const { inDegree } = dag.index;
    const chunks: number[][] = [];
    for (let base = 0; base < n; base += TASKS_PER_CHUNK) {
      const chunk: number[] = new Array<number>(TASKS_PER_CHUNK).fill(0);
      for (let k = 0; k < TASKS_PER_CHUNK && base + k < n; k++) writeRemaining(chunk, k, inDegree[base + k]!);
      chunks.push(chunk);
    }
    table = PersistentChunks.from(chunks);
    initialTables.set(dag, table);
  }
  return table;
}

/** No outputs yet. Every chunk is the same empty array: writes copy it, so sharing is safe. */
export function initialOutputTable(dag: Dag): OutputTable {
  let table = initialOutputs.get(dag);
  if (table === undefined) {
    const empty: unknown[] = new Array(TASKS_PER_CHUNK).fill(undefined);
    table = PersistentChunks.from(new Array(Math.ceil(dag.size / TASKS_PER_CHUNK)).fill(empty));
    initialOutputs.set(dag, table);
  }
  return table;
}

/** Reads of one task from a version of the table. */
export function readStatus(table: TaskTable, task: number): StatusCode {
  return (table.chunk(task >>> TASK_BITS)[task & TASK_MASK]! & STATUS_MASK) as StatusCode;
}
export function readAttempt(table: TaskTable, task: number): number {
  return (table.chunk(task >>> TASK_BITS)[task & TASK_MASK]! >>> STATUS_BITS) & MAX_ATTEMPT;
}
export function readRemainingDeps(table: TaskTable, task: number): number {
  return remainingIn(table.chunk(task >>> TASK_BITS), task & TASK_MASK);
}

function remainingIn(chunk: readonly number[], offset: number): number {
  const remaining = chunk[offset]! >>> REMAINING_SHIFT;
  if (remaining < MANY) return remaining;
  for (let k = TASKS_PER_CHUNK; k < chunk.length; k += 2) if (chunk[k] === offset) return chunk[k + 1]!;
  throw new Error(`task table: no count kept for offset ${offset}`); // a bug, not bad input
}

/** Sets the remaining count of `offset` in a chunk being written. */
function writeRemaining(chunk: number[], offset: number, remaining: number): void {
  const state = chunk[offset]! & STATE_MASK;
  let pair = TASKS_PER_CHUNK;
  while (pair < chunk.length && chunk[pair] !== offset) pair += 2;
  if (remaining < MANY) {
    chunk[offset] = state | (remaining << REMAINING_SHIFT);
    if (pair < chunk.length) chunk.splice(pair, 2);
  } else {
    chunk[offset] = state | (MANY << REMAINING_SHIFT);
    if (pair < chunk.length) chunk[pair + 1] = remaining;
    else chunk.push(offset, remaining);
  }
}
export function readOutput(table: OutputTable, task: number): unknown {
  return table.chunk(task >>> TASK_BITS)[task & TASK_MASK];
}

/** Batched edits of a task table; reads see the edits made so far. */
export class TaskTableEditor {
  private editor: ChunkEditor<number[]>;
  constructor(base: TaskTable) {
    this.editor = base.edit();
  }
  status(task: number): StatusCode {
    return (this.editor.read(task >>> TASK_BITS)[task & TASK_MASK]! & STATUS_MASK) as StatusCode;
  }
  attempt(task: number): number {
    return (this.editor.read(task >>> TASK_BITS)[task & TASK_MASK]! >>> STATUS_BITS) & MAX_ATTEMPT;
  }
  remainingDeps(task: number): number {
    return remainingIn(this.editor.read(task >>> TASK_BITS), task & TASK_MASK);
  }
  setStatus(task: number, status: StatusCode, attempt: number): void {
    if (attempt > MAX_ATTEMPT) throw new RangeError(`task table: attempt ${attempt} is over ${MAX_ATTEMPT}`);
    const chunk = this.editor.write(task >>> TASK_BITS);
    const offset = task & TASK_MASK;
    chunk[offset] = (chunk[offset]! & ~STATE_MASK) | status | (attempt << STATUS_BITS);
  }
  /** Makes room for `tasks` tasks; new ones start pending, attempt 0, nothing outstanding. */
  grow(tasks: number): void {
    const table = this.editor.finish();
    const chunks = Math.ceil(tasks / TASKS_PER_CHUNK);
    this.editor = table.grow(chunks, () => new Array<number>(TASKS_PER_CHUNK).fill(0)).edit();
  }
  setRemainingDeps(task: number, remaining: number): void {
    writeRemaining(this.editor.write(task >>> TASK_BITS), task & TASK_MASK, remaining);
  }
  /** Counts one more unfinished dependency of `task`. */
  incrementRemaining(task: number): void {
    this.setRemainingDeps(task, this.remainingDeps(task) + 1);
  }
  /**
   * Counts one dependency of `task` as finished. Returns true when that was its last one and
   * the task is still pending: it is unblocked now. One word for both.
   */
  releaseOne(task: number): boolean {
    const chunk = this.editor.write(task >>> TASK_BITS);
    const offset = task & TASK_MASK;
    const word = chunk[offset]!;
    if (word >>> REMAINING_SHIFT < MANY) {
      const after = word - ONE_REMAINING;
      chunk[offset] = after;
      return after >>> REMAINING_SHIFT === 0 && (after & STATUS_MASK) === StatusCode.Pending;
    }
    writeRemaining(chunk, offset, remainingIn(chunk, offset) - 1); // a join of MANY or more
    return false;
  }
  finish(): TaskTable {
    return this.editor.finish();
  }
}

/** Batched edits of an output table. */
export class OutputTableEditor {
  private editor: ChunkEditor<unknown[]>;
  constructor(base: OutputTable) {
    this.editor = base.edit();
  }
  get(task: number): unknown {
    return this.editor.read(task >>> TASK_BITS)[task & TASK_MASK];
  }
  /** Makes room for `tasks` tasks, without outputs. */
  grow(tasks: number): void {
    const table = this.editor.finish();
    this.editor = table.grow(Math.ceil(tasks / TASKS_PER_CHUNK), () => new Array<unknown>(TASKS_PER_CHUNK).fill(undefined)).edit();
  }
  set(task: number, output: unknown): void {
    this.editor.write(task >>> TASK_BITS)[task & TASK_MASK] = output;
  }
  finish(): OutputTable {
    return this.editor.finish();
  }
}
