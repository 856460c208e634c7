/**
 * The tasks an attempt's agent spawned (`ctx.spawn`), copied as each call gave them: frozen
 * JSON-safe copies, so what the agent does with its objects afterwards is not what it spawned.
 * It says the first problem of the calls, if any (a value that is not JSON-safe, or tasks longer
 * together than an event carries), for the attempt to fail with. It does not check the tasks as
 * a DAG's (the run does, when they arrive with the attempt's success) nor settle the attempt.
 */
import type { TaskSpec } from '../dag/schema';
import { appendAll } from '../appendAll';
import { bytesTooLong, jsonBytes, MAX_JSON_BYTES, toJsonSafe } from '../jsonSafe';

export class SpawnedTasks {
  private readonly tasks: TaskSpec[] = [];
  /** The first problem of the calls, in words (`spawned tasks are not JSON-safe: spawn[2].input.at is a Date …`). */
  problem: string | undefined;
  // at most how many bytes the JSON of the tasks kept so far is; exactly how many once that bound
  // may be too many (measured then, and each later call's tasks alone: the calls may be many)
  private atMostBytes = 0;
  private bytes: number | undefined;

  /** Keeps the tasks of one call of `spawn`, or notes its problem (the first one is kept: the attempt fails, later calls are not looked at). */
  keep(tasks: readonly TaskSpec[]): void {
    if (this.problem !== undefined) return;
    const copy = toJsonSafe(tasks);
    if (!copy.ok) {
      const before = this.tasks.length; // placed among every call's tasks (those before it were kept)
      const where = copy.problem.replace(/^\$(?:\[(\d+)\])?/, (_, at?: string) => (at ? `spawn[${before + Number(at)}]` : 'spawn'));
      this.problem = `spawned tasks ${copy.tooLong === true ? 'are too long for an event' : 'are not JSON-safe'}: ${where}`;
      return;
    }
    const added = copy.value as readonly TaskSpec[];
    appendAll(this.tasks, added);
    // each call's tasks fit in an event, all of them together may not
    this.atMostBytes += copy.atMostBytes;
    if (this.atMostBytes <= MAX_JSON_BYTES || added.length === 0) return;
    // an array's JSON is `[`, then each element and a `,` (the last one's `]`): the added ones' without their `[`
    this.bytes = this.bytes === undefined ? jsonBytes(this.tasks) : this.bytes + jsonBytes(added) - 1;
    const tooLong = bytesTooLong(this.bytes);
    if (tooLong !== undefined) this.problem = `spawned tasks are too long for an event: spawn ${tooLong}`;
  }

  /** Whether `spawn` was called with any task. */
  get any(): boolean {
    return this.tasks.length > 0 || this.problem !== undefined;
  }

  /** The tasks kept, frozen. */
  kept(): readonly TaskSpec[] {
    return Object.freeze(this.tasks);
  }
}
