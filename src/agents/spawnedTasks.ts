/**
 * The tasks an attempt's agent spawned (`ctx.spawn`), copied as each call gave them: frozen
 * JSON-safe copies, so what the agent does with its objects afterwards is not what it spawned.
 * It says the first problem of the calls, if any (a value that is not JSON-safe, or tasks longer
 * together than an event carries), for the attempt to fail with. It does not check the tasks as
 * a DAG's (the run does, when they arrive with the attempt's success) nor settle the attempt.
 */
import type { TaskSpec } from '../dag/schema';
import { appendAll } from '../appendAll';
import { jsonTooLong, MAX_JSON_BYTES, toJsonSafe } from '../jsonSafe';

export class SpawnedTasks {
  private readonly tasks: TaskSpec[] = [];
  /** The first problem of the calls, in words (`spawned tasks are not JSON-safe: spawn[2].input.at is a Date …`). */
  problem: string | undefined;
  // at most how many bytes the JSON of the tasks kept so far is
  private atMostBytes = 0;

  /** Keeps the tasks of one call of `spawn`, or notes its problem (the first one is kept). */
  keep(tasks: readonly TaskSpec[]): void {
    const copy = toJsonSafe(tasks);
    if (!copy.ok) {
      const before = this.tasks.length; // placed among every call's tasks (those before it were kept)
      const where = copy.problem.replace(/^\$(?:\[(\d+)\])?/, (_, at?: string) => (at ? `spawn[${before + Number(at)}]` : 'spawn'));
      this.problem ??= `spawned tasks ${copy.tooLong === true ? 'are too long for an event' : 'are not JSON-safe'}: ${where}`;
      return;
    }
    appendAll(this.tasks, copy.value as readonly TaskSpec[]);
    // each call's tasks fit in an event, all of them together may not: counted exactly only when the bound says they may
    this.atMostBytes += copy.atMostBytes;
    const tooLong = this.atMostBytes > MAX_JSON_BYTES ? jsonTooLong(this.tasks) : undefined;
    if (tooLong !== undefined) this.problem ??= `spawned tasks are too long for an event: spawn ${tooLong}`;
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
