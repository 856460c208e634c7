import type { DagEvent } from '../../../src/index';
import { eventsOf } from '../support/eventBuilder';

/** What a generated large run holds, by kind of task, to check a report of it against. */
export const LARGE_RUN_PARTS = {
  /** `c0 … c199`, each after the one before, 10 ms each: the critical path. */
  chain: 200,
  /** `f0 …`, failing one after the other (`f0` first) after 1 ms, each with its stderr in its error. */
  failed: 150,
  /** Each failure skips two dependents (`s0a`, `s0b`, …) and a task after the first (`ss0`, …). */
  skippedBecauseFailed: 300,
  skippedBecauseSkipped: 150,
  /** `r0 …`: failed once, then completed on a second attempt. */
  retried: 80,
  /** `w1`, `w2`, `w3` of the plain tasks run 1.5 s each: the slowest. */
  slow: 3,
} as const;

/**
 * The events and dependencies of a generated run of `size` tasks: the parts of
 * {@link LARGE_RUN_PARTS}, a task `alert` skipped by its trigger rule (its dependency `w0`
 * completed: no failure), and plain tasks `w0 …` completing in 1 ms to make up the size.
 */
export function largeRun(size: number): { readonly events: DagEvent[]; readonly deps: Record<string, string[]> } {
  const deps: Record<string, string[]> = {};
  const parts: Parameters<typeof eventsOf> = [{ type: 'dag.created', at: 0, dagId: 'large', taskCount: size }];
  const ran = (taskId: string, from: number, to: number, attempt = 1) =>
    parts.push(
      { type: 'task.started', at: from, taskId, attempt, agent: 'sleep' },
      { type: 'task.completed', at: to, taskId, attempt, durationMs: to - from },
    );
  const failed = (taskId: string, at: number, attempt: number, willRetry: boolean, message: string) =>
    parts.push({
      type: 'task.failed',
      at,
      taskId,
      attempt,
      error: { name: 'ShellCommandError', message },
      severity: 'error',
      willRetry,
    });
  for (let i = 0; i < LARGE_RUN_PARTS.chain; i++) {
    deps[`c${i}`] = i === 0 ? [] : [`c${i - 1}`];
    parts.push({ type: 'task.ready', at: i * 10, taskId: `c${i}`, attempt: 1 });
    ran(`c${i}`, i * 10, i * 10 + 10);
  }
  for (let i = 0; i < LARGE_RUN_PARTS.failed; i++) {
    deps[`f${i}`] = [];
    for (const id of [`s${i}a`, `s${i}b`]) deps[id] = [`f${i}`];
    deps[`ss${i}`] = [`s${i}a`];
    parts.push(
      { type: 'task.ready', at: 0, taskId: `f${i}`, attempt: 1 },
      { type: 'task.started', at: 4 + i, taskId: `f${i}`, attempt: 1, agent: 'shell' },
    );
    failed(`f${i}`, 5 + i, 1, false, `\`exit 3\` exited with code 3; last stderr lines:\nboom ${i}`);
    parts.push(
      { type: 'task.skipped', at: 5 + i, taskId: `s${i}a`, attempt: 1, because: `f${i}` },
      { type: 'task.skipped', at: 5 + i, taskId: `s${i}b`, attempt: 1, because: `f${i}` },
      { type: 'task.skipped', at: 5 + i, taskId: `ss${i}`, attempt: 1, because: `s${i}a` },
    );
  }
  for (let i = 0; i < LARGE_RUN_PARTS.retried; i++) {
    deps[`r${i}`] = [];
    parts.push(
      { type: 'task.ready', at: 0, taskId: `r${i}`, attempt: 1 },
      { type: 'task.started', at: 0, taskId: `r${i}`, attempt: 1, agent: 'shell' },
    );
    failed(`r${i}`, 3, 1, true, 'flaky');
    ran(`r${i}`, 10, 12, 2);
  }
  const plain = size - Object.keys(deps).length - 1;
  for (let i = 0; i < plain; i++) {
    deps[`w${i}`] = [];
    parts.push({ type: 'task.ready', at: 0, taskId: `w${i}`, attempt: 1 });
    ran(`w${i}`, 0, i >= 1 && i <= LARGE_RUN_PARTS.slow ? 1500 : 1);
  }
  deps['alert'] = ['w0'];
  parts.push({ type: 'task.skipped', at: 1, taskId: 'alert', attempt: 1, because: 'w0' });
  const skipped = LARGE_RUN_PARTS.skippedBecauseFailed + LARGE_RUN_PARTS.skippedBecauseSkipped + 1;
  parts.push({
    type: 'dag.completed',
    at: 2000,
    outcome: 'failed',
    counts: { total: size, completed: size - LARGE_RUN_PARTS.failed - skipped, failed: LARGE_RUN_PARTS.failed, skipped, cancelled: 0 },
    durationMs: 2000,
  });
  return { events: eventsOf(...parts), deps };
}
