import { firstValueFrom, from, lastValueFrom, type Observable, type ObservableInput, toArray } from 'rxjs';
import type { AgentSpec, DagEvent, TaskContext } from '../../src/index';
import { createHmac } from 'node:crypto';
import { canonicalJson, keyBytes } from '../../src/bullmq/signing';
export { failingJournal } from '../support/journals';

/**
 * Small helpers of the BullMQ specs: collecting a run's events, waiting for a condition,
 * closing whatever a test opened (workers, remote agents, child processes) after it, and a
 * journal whose disk goes away.
 */

/** Every event of a run, once it ended. */
export function collect(events$: Observable<DagEvent>): Promise<DagEvent[]> {
  return lastValueFrom(events$.pipe(toArray()));
}

/** Calls an agent kind's `run` as the scheduler does, subscribed at once: its result as a promise. */
export function runNow<Instance>(agent: AgentSpec<Instance>, context: TaskContext, instance: Instance): Promise<unknown> {
  return firstValueFrom(from(agent.run(context, instance) as ObservableInput<unknown>));
}

/** Resolves when `done()` holds; rejects after `withinMs` with `what` in the message. */
export async function waitFor(done: () => boolean | Promise<boolean>, what: string, withinMs = 10_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${withinMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Things to close after each test, closed in reverse order of opening. */
export class Closer {
  private readonly items: Array<() => Promise<unknown>> = [];

  add<T extends { close(): Promise<unknown> }>(item: T): T {
    this.items.push(() => item.close());
    return item;
  }

  onClose(close: () => Promise<unknown> | void): void {
    this.items.push(async () => close());
  }

  async closeAll(): Promise<void> {
    for (const close of this.items.splice(0).reverse()) await close().catch(() => undefined);
  }
}

/** Task events of one type, by task id. */
export function byTask<T extends DagEvent['type']>(events: readonly DagEvent[], type: T): Map<string, Extract<DagEvent, { type: T }>> {
  const found = new Map<string, Extract<DagEvent, { type: T }>>();
  for (const event of events)
    if (event.type === type && 'taskId' in event) found.set(event.taskId, event as Extract<DagEvent, { type: T }>);
  return found;
}

/** The run's last event. */
export function ending(events: readonly DagEvent[]): Extract<DagEvent, { type: 'dag.completed' }> {
  const last = events[events.length - 1];
  if (last?.type !== 'dag.completed') throw new Error(`the run did not end: last event ${last?.type}`);
  return last;
}

/**
 * A signature as an earlier rxdag made it (scheme v1: the queue's name without its key prefix),
 * written here from its definition, for the specs of how this version refuses such a job or result.
 */
export function signedAsEarlierRxdag(key: string, kind: 'job' | 'result', queue: string, jobId: string, body: object): string {
  const { signature: _signature, ...unsigned } = body as { signature?: unknown };
  const hmac = createHmac('sha256', keyBytes(key, 'spec')).update(`rxdag-${kind}/v1\n${queue}\n${jobId}\n`).update(canonicalJson(unsigned));
  return `v1=${hmac.digest('hex')}`;
}
