import type { Dag } from '../dag/defineDag';
import { type ChunkEditor, PersistentChunks } from './persistentChunks';

/**
 * Per-task state of a run, packed: for each task its status, its attempt and how many of its
 * dependencies are still unfinished, two small-integer words a task, 32 tasks a chunk, in a persistent
 * trie. An update copies one 256-byte chunk and a few 32-slot nodes, whatever the DAG's size.
 */

/** Where a task is in its life. The last four are terminal. */
export type TaskStatus = 'pending' | 'ready' | 'running' | 'backoff' | 'completed' | 'failed' | 'skipped' | 'cancelled';

/** Status codes as stored; the order matches {@link TASK_STATUSES}. */
export const enum StatusCode {
  Pending = 0,
  Ready = 1,
  Running = 2,
  Backoff = 3,
  Completed = 4,
  Failed = 5,
  Skipped = 6,
  Cancelled = 7,
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
]);

export function isTerminalStatus(code: StatusCode): boolean {
  return code >= StatusCode.Completed;
}

const TASK_BITS = 5;
const TASKS_PER_CHUNK = 1 << TASK_BITS;
const TASK_MASK = TASKS_PER_CHUNK - 1;
const STATUS_BITS = 3;
const STATUS_MASK = (1 << STATUS_BITS) - 1;

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
    const chunks: number[][] = [];
    for (let base = 0; base < n; base += TASKS_PER_CHUNK) {
      const chunk: number[] = [];
      for (let k = 0; k < TASKS_PER_CHUNK; k++) chunk.push(base + k < n ? dag.index.inDegree[base + k]! : 0, 0);
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
  return (table.chunk(task >>> TASK_BITS)[2 * (task & TASK_MASK) + 1]! & STATUS_MASK) as StatusCode;
}
export function readAttempt(table: TaskTable, task: number): number {
  return table.chunk(task >>> TASK_BITS)[2 * (task & TASK_MASK) + 1]! >>> STATUS_BITS;
}
export function readRemainingDeps(table: TaskTable, task: number): number {
  return table.chunk(task >>> TASK_BITS)[2 * (task & TASK_MASK)]!;
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
    return (this.editor.read(task >>> TASK_BITS)[2 * (task & TASK_MASK) + 1]! & STATUS_MASK) as StatusCode;
  }
  attempt(task: number): number {
    return this.editor.read(task >>> TASK_BITS)[2 * (task & TASK_MASK) + 1]! >>> STATUS_BITS;
  }
  remainingDeps(task: number): number {
    return this.editor.read(task >>> TASK_BITS)[2 * (task & TASK_MASK)]!;
  }
  setStatus(task: number, status: StatusCode, attempt: number): void {
    this.editor.write(task >>> TASK_BITS)[2 * (task & TASK_MASK) + 1] = status | (attempt << STATUS_BITS);
  }
  /** Makes room for `tasks` tasks; new ones start pending, attempt 0, nothing outstanding. */
  grow(tasks: number): void {
    const table = this.editor.finish();
    const chunks = Math.ceil(tasks / TASKS_PER_CHUNK);
    this.editor = table.grow(chunks, () => new Array<number>(2 * TASKS_PER_CHUNK).fill(0)).edit();
  }
  setRemainingDeps(task: number, remaining: number): void {
    this.editor.write(task >>> TASK_BITS)[2 * (task & TASK_MASK)] = remaining;
  }
  /** Counts one more unfinished dependency of `task`. */
  incrementRemaining(task: number): void {
    this.editor.write(task >>> TASK_BITS)[2 * (task & TASK_MASK)]!++;
  }
  /**
   * Counts one dependency of `task` as finished. Returns true when that was its last one and
   * the task is still pending: it is unblocked now. One chunk access for both.
   */
  releaseOne(task: number): boolean {
    const chunk = this.editor.write(task >>> TASK_BITS);
    const word = 2 * (task & TASK_MASK);
    return --chunk[word]! === 0 && (chunk[word + 1]! & STATUS_MASK) === StatusCode.Pending;
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
