/**
 * What a task's wait before its first start is said as: the timeline's tooltip on the line from
 * ready to started, the table's `Waited` cell, and what tasks are counted by in a large run's
 * summary of its waits. Words only: what the wait was is `taskWaits.ts`'s to find.
 */
import { describeLimit } from '../../scheduler/limits';
import { formatMs } from './html';
import type { Held } from './limitUsage';
import type { TaskWait, WaitCause } from './taskWaits';

/**
 * What the line from ready to the first start stands for, in words.
 *
 * @example
 * waitTitle('b', { kind: 'waited', ms: 500, thenMs: 1, cause: { kind: 'rate', limit: 'api', rate: { limit: 1, intervalMs: 500 }, units: 1 } })
 * // "b: waited 500 ms for limit api (its rate: 1 per 500 ms), started 1 ms later"
 */
export function waitTitle(taskId: string, wait: TaskWait): string {
  switch (wait.kind) {
    case 'waited':
      return `${taskId}: waited ${formatMs(wait.ms)} ${waitedFor(wait.cause)}${wait.thenMs > 0 ? `, started ${formatMs(wait.thenMs)} later` : ''}`;
    case 'dispatch':
      return `${taskId}: dispatch latency ${formatMs(wait.ms)} (ready → started; no slot was short)`;
    case 'unexplained':
      return `${taskId}: waited ${formatMs(wait.ms)} (ready → started; without the DAG's limits the report cannot tell what for)`;
    case 'kept':
      return `${taskId}: waited ${formatMs(wait.ms)} (ready → started; nothing it needs was full), perhaps ${keptFor(wait)}`;
    case 'resumed':
      return `${taskId}: waited ${formatMs(wait.ms)} (ready → started), across a stop and resume of the run`;
  }
}

function waitedFor(cause: WaitCause): string {
  switch (cause.kind) {
    case 'rate':
      return `for limit ${cause.limit} (its rate: ${describeLimit({ rate: cause.rate })}${takes(cause.units)})`;
    case 'limit':
      return `for limit ${cause.limit} (its concurrency: ${cause.concurrency}, ${running(cause.held, 'holding')}${takes(cause.units)})`;
    case 'agent':
      return `for a free "${cause.agent}" agent (its capacity was full)`;
    case 'slot':
      return `for a free slot (the run's concurrency: ${cause.concurrency}, ${running(cause.held)}${weighs(cause.weight)})`;
    case 'hold':
      return `while the run kept slots for heavier task ${cause.task} (it weighs ${cause.taskWeight}; ${
        cause.peak === true
          ? `the run never held more than ${cause.concurrency} at once: perhaps its concurrency limit`
          : `the run's concurrency: ${cause.concurrency}`
      })`;
    case 'busy':
      return `until an attempt ended (${running(cause.held)}${weighs(cause.weight)}; the run never held more than ${cause.peak} at once: perhaps its concurrency limit)`;
  }
}

/** A wait nothing full explains, with the heavier task that waited too: the scheduler keeps room for such a task. */
function keptFor(wait: { readonly task: string; readonly limit: string }): string {
  return `while limit ${wait.limit} was kept for task ${wait.task} (it takes more than one unit and waited too: a heavy task is not starved by lighter ones)`;
}

/** Attempts running, and the units they hold when not one each: `2 running`, `2 running weighing 5`, `2 running holding 5000`. */
function running(held: Held, verb: 'weighing' | 'holding' = 'weighing'): string {
  return `${held.attempts} running${held.units === held.attempts ? '' : ` ${verb} ${held.units}`}`;
}

function weighs(weight: number): string {
  return weight === 1 ? '' : `, it weighs ${weight}`;
}

/** The units a task takes of a limit, when more than one. */
function takes(units: number): string {
  return units === 1 ? '' : `, it takes ${units} units`;
}

/**
 * A wait for the table, when something held the task back (a wait that was only dispatch
 * latency, or that the report cannot explain, says nothing there).
 *
 * @example
 * waitCell({ kind: 'waited', ms: 500, thenMs: 1, cause: { kind: 'agent', agent: 'llm' } }) // '500 ms for a free "llm" agent (its capacity was full)'
 */
export function waitCell(wait: TaskWait | undefined): string {
  if (wait?.kind === 'waited') return `${formatMs(wait.ms)} ${waitedFor(wait.cause)}`;
  if (wait?.kind === 'resumed') return `${formatMs(wait.ms)}, across a stop and resume of the run`;
  if (wait?.kind === 'kept') return `${formatMs(wait.ms)}, perhaps ${keptFor(wait)}`;
  return '';
}

/**
 * What held a task back, without its numbers, to count tasks by (a large run's summary of its
 * waits); undefined for a wait that held nothing back (dispatch latency, or unexplained).
 *
 * @example
 * waitGroup({ kind: 'waited', ms: 50, thenMs: 0, cause: { kind: 'slot', concurrency: 8, held: { attempts: 8, units: 8 }, weight: 1 } })
 * // "for a free slot (the run's concurrency: 8)"
 */
export function waitGroup(wait: TaskWait | undefined): string | undefined {
  if (wait?.kind === 'resumed') return 'across a stop and resume of the run';
  if (wait?.kind === 'kept') return 'perhaps while a limit was kept for a heavier task';
  if (wait?.kind !== 'waited') return undefined;
  const { cause } = wait;
  switch (cause.kind) {
    case 'rate':
      return `for limit ${cause.limit} (its rate: ${describeLimit({ rate: cause.rate })})`;
    case 'limit':
      return `for limit ${cause.limit} (its concurrency: ${cause.concurrency})`;
    case 'agent':
      return `for a free "${cause.agent}" agent`;
    case 'slot':
      return `for a free slot (the run's concurrency: ${cause.concurrency})`;
    case 'hold':
      return 'while the run kept slots for a heavier task';
    case 'busy':
      return 'until an attempt ended (the run as busy as it ever was: perhaps its concurrency limit)';
  }
}
